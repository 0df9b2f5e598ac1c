// The activity feed: a drawer listing what happened on the board, newest
// first ("alice moved ‘Write report’ from Doing to Done, 2 minutes ago"),
// filtered by person or card, paged, and refreshed as changes arrive; and the
// same entries for one card inside the card editor. The server words every
// entry (kanban/activity.py); this page only ever sets them as textContent.

const REFRESH_DELAY_MS = 250;
const CLOCK_TICK_MS = 30_000;

const relative = new Intl.RelativeTimeFormat(undefined, { numeric: "auto" });
const exact = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });
const STEPS = [
  ["second", 60],
  ["minute", 60],
  ["hour", 24],
  ["day", 7],
  ["week", 4.35],
  ["month", 12],
  ["year", Infinity],
];

/** "2 minutes ago", "yesterday": how long ago `date` was. */
export function timeAgo(date, now = Date.now()) {
  let amount = (date.getTime() - now) / 1000;
  for (const [unit, size] of STEPS) {
    if (Math.abs(amount) < size) return unit === "second" && Math.abs(amount) < 45 ? "just now" : relative.format(Math.round(amount), unit);
    amount /= size;
  }
  return exact.format(date);
}

function node(tag, className, text) {
  const element = document.createElement(tag);
  if (className) element.className = className;
  if (text !== undefined) element.textContent = text;
  return element;
}

/** One entry as a list item; `onCard(cardId)` filters by its card when given. */
function entryItem(entry, { onCard } = {}) {
  const item = node("li", "activity-entry");
  item.dataset.seq = entry.seq;
  item.append(node("p", "activity-summary", entry.summary));
  if (entry.details.length) {
    const details = node("ul", "activity-details");
    for (const detail of entry.details) {
      const line = node("li");
      line.append(node("span", "activity-field", `${detail.field}: `), node("del", "", detail.old), " → ", node("ins", "", detail.new));
      details.append(line);
    }
    item.append(details);
  }
  const meta = node("p", "activity-meta");
  const when = node("time", "", timeAgo(new Date(entry.at)));
  when.dateTime = entry.at;
  when.title = exact.format(new Date(entry.at));
  meta.append(when);
  if (entry.via === "admin") meta.append(node("span", "activity-badge", "in the admin"));
  if (onCard && entry.card && entry.type !== "card.deleted") {
    const only = node("button", "button subtle activity-card-filter", "This card's history");
    only.type = "button";
    only.addEventListener("click", () => onCard(entry.card, entry));
    meta.append(only);
  }
  item.append(meta);
  return item;
}

async function fetchPage(url, params) {
  const query = new URLSearchParams(Object.entries(params).filter(([, value]) => value !== null && value !== ""));
  const response = await fetch(`${url}?${query}`, { headers: { Accept: "application/json" } });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(body.error || `the server answered ${response.status}`);
  return body;
}

function refreshTimes(list) {
  for (const time of list.querySelectorAll("time")) time.textContent = timeAgo(new Date(time.dateTime));
}

class ActivityFeed {
  constructor({ panel, button, url, cardTitle }) {
    this.panel = panel;
    this.button = button;
    this.url = url;
    this.cardTitle = cardTitle; // (cardId) -> the card's title on the board now, if it is there
    this.list = panel.querySelector("#activity-list");
    this.more = panel.querySelector("#activity-more");
    this.status = panel.querySelector("#activity-status");
    this.person = panel.querySelector("#activity-person");
    this.cardChip = panel.querySelector("#activity-card");
    this.filters = { user: "", card: null };
    this.nextBefore = null;
    this.refreshTimer = null;
    button.addEventListener("click", () => (panel.hidden ? this.open() : this.close()));
    panel.querySelector("#activity-close").addEventListener("click", () => this.close());
    this.person.addEventListener("change", () => {
      this.filters.user = this.person.value;
      this.load();
    });
    this.cardChip.querySelector("button").addEventListener("click", () => this.filterByCard(null));
    this.more.addEventListener("click", () => this.load({ append: true }));
    panel.addEventListener("keydown", (event) => {
      if (event.key === "Escape") this.close();
    });
    setInterval(() => refreshTimes(this.list), CLOCK_TICK_MS);
  }

  open() {
    this.panel.hidden = false;
    this.button.setAttribute("aria-expanded", "true");
    this.load();
    this.panel.querySelector("#activity-close").focus();
  }

  close() {
    this.panel.hidden = true;
    this.button.setAttribute("aria-expanded", "false");
    this.button.focus();
  }

  filterByCard(cardId, entry = null) {
    this.filters.card = cardId;
    this.cardChip.hidden = cardId === null;
    if (cardId !== null) {
      const title = this.cardTitle(cardId) ?? entry?.summary ?? `card ${cardId}`;
      this.cardChip.querySelector("span").textContent = `Card: ${title}`;
    }
    this.load();
  }

  /** A stored change arrived: show it (and anything else new) shortly, if the feed is open. */
  changed() {
    if (this.panel.hidden) return;
    clearTimeout(this.refreshTimer);
    this.refreshTimer = setTimeout(() => this.load(), REFRESH_DELAY_MS);
  }

  async load({ append = false } = {}) {
    this.status.textContent = append ? "Loading older changes…" : "Loading…";
    let page;
    try {
      page = await fetchPage(this.url, { user: this.filters.user, card: this.filters.card, before: append ? this.nextBefore : null });
    } catch (error) {
      this.status.textContent = `Could not load the activity (${error.message}).`;
      return;
    }
    const items = page.entries.map((entry) => entryItem(entry, { onCard: (cardId, picked) => this.filterByCard(cardId, picked) }));
    if (append) this.list.append(...items);
    else this.list.replaceChildren(...items);
    this.nextBefore = page.next_before;
    this.more.hidden = page.next_before === null;
    this.status.textContent = this.list.children.length ? "" : "Nothing has happened here yet.";
  }
}

/** The card editor's History section: the card's own entries, loaded when the editor opens it. */
class CardHistory {
  constructor({ dialog, url }) {
    this.section = dialog.querySelector("#card-history");
    this.list = dialog.querySelector("#card-history-list");
    this.url = url;
    this.cardId = null;
  }

  async show(cardId) {
    this.cardId = cardId;
    this.list.replaceChildren(node("li", "activity-status", "Loading…"));
    let page;
    try {
      page = await fetchPage(this.url, { card: cardId });
    } catch (error) {
      this.list.replaceChildren(node("li", "activity-status", `Could not load the history (${error.message}).`));
      return;
    }
    if (cardId !== this.cardId) return; // another card was opened meanwhile
    this.list.replaceChildren(...page.entries.map((entry) => entryItem(entry)));
    this.section.querySelector("summary").textContent = `History (${page.entries.length}${page.next_before ? "+" : ""})`;
  }

  changed(frame) {
    const card = typeof frame.card === "object" ? frame.card?.id : frame.card;
    if (this.cardId !== null && card === this.cardId && this.section.closest("dialog").open) this.show(this.cardId);
  }
}

const root = document.getElementById("kanban");
const feed = new ActivityFeed({
  panel: document.getElementById("activity-panel"),
  button: document.getElementById("activity-open"),
  url: root.dataset.activityUrl,
  cardTitle: (cardId) => document.querySelector(`.kanban-card[data-card-id="${cardId}"]`)?.getAttribute("aria-label") ?? null,
});
const cardHistory = new CardHistory({ dialog: document.getElementById("card-editor"), url: root.dataset.activityUrl });

document.addEventListener("kanban:change", (event) => {
  feed.changed();
  cardHistory.changed(event.detail);
});
document.addEventListener("kanban:card-opened", (event) => cardHistory.show(event.detail.cardId));
