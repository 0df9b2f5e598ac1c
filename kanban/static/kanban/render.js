// Draws the board from its state. Elements are kept per column and per card
// and only moved or refilled when they change, so focus and drags survive.
// User data always goes in as text; the one exception is a card's
// `description_html`, which the server sanitised.
import { placeInCell } from "./state.js";

const dueFormat = new Intl.DateTimeFormat(undefined, { day: "numeric", month: "short", timeZone: "UTC" });

/** "9 Dec" or "9 Dec, 17:00": a card's day and optional time, as written (in the site's time zone). */
function whenText(day, time) {
  return `${dueFormat.format(new Date(`${day}T00:00:00Z`))}${time ? `, ${time}` : ""}`;
}

/** Whether the card's due moment (`due_at`, from the server, with the site's offset) has passed. */
export function isOverdue(card, now = Date.now()) {
  return Boolean(card.due_at) && Date.parse(card.due_at) <= now;
}

/** Now as "YYYY-MM-DDTHH:MM" in this page's time zone: near enough to the site's to stop saying "Starts" once a start has passed. */
function siteNow() {
  const now = new Date();
  const local = new Date(now.getTime() - now.getTimezoneOffset() * 60_000);
  return local.toISOString().slice(0, 16);
}

export function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

/** Set a node's text only if it differs: a text written again, even the same, lays its column out again. */
function setText(node, text) {
  if (node.textContent !== text) node.textContent = text;
}

export function avatar(user, title) {
  const node = element("span", "avatar", (user.username[0] || "?").toUpperCase());
  node.title = title ?? user.username;
  node.style.setProperty("--avatar-hue", String(hue(user.username)));
  return node;
}

function hue(text) {
  let total = 0;
  for (const char of text) total = (total * 31 + char.codePointAt(0)) % 360;
  return total;
}

export function labelChip(label) {
  return element("span", `label-chip colour-${label.colour}`, label.name);
}

/**
 * The columns as shown: the confirmed order with our unconfirmed moves
 * applied, of columns (`pendingColumnMoves`, column id -> index) and of cards.
 */
export function projectedColumns(state, pendingMoves, pendingColumnMoves = new Map()) {
  const laneOf = projectedLaneOf(state, pendingMoves);
  const columns = state.columns.map((column) => ({ ...column, cardIds: [...column.cardIds] }));
  for (const [columnId, index] of pendingColumnMoves) {
    const from = columns.findIndex((column) => column.id === columnId);
    if (from >= 0) columns.splice(Math.min(index, columns.length - 1), 0, ...columns.splice(from, 1));
  }
  for (const [cardId, move] of pendingMoves) {
    for (const column of columns) column.cardIds = column.cardIds.filter((id) => id !== cardId);
    const target = columns.find((column) => column.id === move.column);
    if (target && state.cards.has(cardId)) placeInCell(target.cardIds, cardId, move.index, laneOf);
  }
  return columns;
}

/** A card's lane as shown: the one an unconfirmed move of ours takes it to, else the board's. */
export function projectedLaneOf(state, pendingMoves) {
  return (cardId) => {
    const move = pendingMoves.get(cardId);
    return move?.lane !== undefined ? move.lane : (state.cards.get(cardId)?.lane ?? null);
  };
}

const NO_LANE = "none"; // the one cell of each column on a board without lanes

// A card's least height on screen: how many cards of a list the window can show at most.
const CARD_MIN_HEIGHT = 40;

/** `callback(deadline)` when the page is idle; a timer where there is no requestIdleCallback (Safari). */
function whenIdle(callback) {
  if ("requestIdleCallback" in globalThis) return requestIdleCallback(callback);
  return setTimeout(() => {
    const started = performance.now();
    callback({ timeRemaining: () => Math.max(0, 10 - (performance.now() - started)) });
  }, 1);
}

export class BoardView {
  /** thumbnailUrl: a file's thumbnail URL with 0 for its id (card covers). */
  constructor(container, { thumbnailUrl = "" } = {}) {
    this.container = container;
    this.thumbnailUrl = thumbnailUrl;
    this.columnNodes = new Map();
    this.cardNodes = new Map();
    // Cards below the window are drawn when the page is idle, after the board is on screen:
    // until then each is an empty card with its title as its label, in its place.
    this.unfilled = new Set();
    this.state = null;
    this.filling = false;
    this.drawn = new Promise((resolve) => (this.allDrawn = resolve)); // once every card is first drawn
    this.myConnection = null;
    this.myUserId = null;
    this.filter = null; // {active, matches(card)}: cards it does not match are hidden
  }

  /**
   * Draw the board. On a board with lanes each column holds a cell per lane
   * (its head, then its cards), and the columns share the rows (a CSS
   * subgrid), so each lane reads across the board. `collapsed`: the ids of
   * the lanes this person has folded.
   */
  render(state, pendingMoves, pendingCreates = new Map(), pendingColumnMoves = new Map(), collapsed = new Set()) {
    this.state = state;
    const columns = projectedColumns(state, pendingMoves, pendingColumnMoves);
    const laneOf = projectedLaneOf(state, pendingMoves);
    const lanes = state.lanes ?? [];
    this.container.classList.toggle("has-lanes", lanes.length > 0);
    this.container.style.setProperty("--lanes", String(lanes.length));
    const wanted = new Set(columns.map((column) => column.id));
    for (const [id, node] of this.columnNodes) {
      if (!wanted.has(id)) {
        node.remove();
        this.columnNodes.delete(id);
      }
    }
    columns.forEach((column, index) => {
      const node = this.columnNode(column);
      this.fillColumn(node, column, state, { lanes, laneOf, collapsed, first: index === 0 });
      this.fillPending(node, [...pendingCreates.values()].filter((card) => card.column === column.id));
      if (this.container.children[index] !== node) this.container.insertBefore(node, this.container.children[index] ?? null);
    });
    for (const [id, node] of this.cardNodes) {
      if (!state.cards.has(id)) {
        node.remove();
        this.cardNodes.delete(id);
        this.unfilled.delete(id);
      }
    }
    this.fillWhenIdle();
    return this.applyFilter(state, columns);
  }

  /**
   * Draw the cards left empty below the window, a few at a time while the
   * page is idle, from the latest state; then say every card is drawn.
   */
  fillWhenIdle() {
    if (this.filling) return;
    if (!this.unfilled.size) {
      this.allDrawn();
      return;
    }
    this.filling = true;
    whenIdle((deadline) => {
      this.filling = false;
      for (const cardId of this.unfilled) {
        if (deadline.timeRemaining() < 1) break;
        this.unfilled.delete(cardId);
        const card = this.state.cards.get(cardId);
        if (card) this.cardNode(card, this.state);
      }
      this.fillWhenIdle();
    });
  }

  /**
   * Hide the cards the filter does not match, except one someone else is
   * moving or editing, which stays in view marked as outside the filter.
   * Returns {shown, total, heldOnly}.
   */
  applyFilter(state, columns) {
    let shown = 0;
    let total = 0;
    let heldOnly = 0;
    for (const column of columns) {
      let shownHere = 0;
      for (const cardId of column.cardIds) {
        const card = state.cards.get(cardId);
        const node = this.cardNodes.get(cardId);
        if (!card || !node) continue;
        total += 1;
        const matches = !this.filter?.active || this.filter.matches(card);
        const held = Boolean(card.lock && card.lock.conn !== this.myConnection);
        node.hidden = !matches && !held;
        node.classList.toggle("outside-filter", !matches && held);
        if (matches || held) shownHere += 1;
        if (!matches && held) heldOnly += 1;
      }
      shown += shownHere;
      if (this.filter?.active) {
        // The column's count says how many of its cards show; its WIP limit counts them all.
        const count = this.columnNodes.get(column.id)?.querySelector(".column-count");
        if (count) {
          setText(count, `${shownHere} of ${column.cardIds.length}`);
          count.title = `Cards shown by the filter, of the column's ${column.cardIds.length}`;
        }
      }
    }
    return { shown, total, heldOnly };
  }

  columnNode(column) {
    let node = this.columnNodes.get(column.id);
    if (node) return node;
    node = element("section", "kanban-column");
    node.dataset.columnId = column.id;
    const head = element("header", "column-head");
    head.title = "Drag to move the column";
    const title = element("h2", "column-title");
    title.id = `column-title-${column.id}`;
    node.setAttribute("aria-labelledby", title.id);
    const count = element("span", "column-count");
    const menu = element("button", "button subtle column-menu", "⋯");
    menu.type = "button";
    head.append(title, count, menu);
    const pending = element("div", "pending-cards");
    pending.setAttribute("role", "list");
    pending.setAttribute("aria-label", "Cards not saved yet");
    const form = element("form", "add-card-form");
    form.hidden = true;
    const input = element("textarea", "add-card-input");
    input.maxLength = 200;
    input.rows = 2;
    input.placeholder = "Card title";
    input.setAttribute("aria-label", "New card title");
    const actions = element("div", "add-card-actions");
    const add = element("button", "button primary", "Add card");
    add.type = "submit";
    const cancel = element("button", "button subtle add-card-cancel", "Cancel");
    cancel.type = "button";
    actions.append(add, cancel);
    form.append(input, actions);
    const opener = element("button", "add-card", "+ Add card");
    opener.type = "button";
    const foot = element("div", "column-foot");
    foot.append(pending, form, opener);
    node.append(head, foot);
    node.cells = new Map(); // lane id (or NO_LANE) -> {head, list}
    this.columnNodes.set(column.id, node);
    return node;
  }

  /** The column's cell for a lane (laneId null: its only cell on a board without lanes). */
  cell(node, column, laneId) {
    const key = laneId ?? NO_LANE;
    let cell = node.cells.get(key);
    if (!cell) {
      const list = element("div", "card-list");
      list.dataset.columnId = column.id;
      if (laneId !== null) list.dataset.laneId = laneId;
      list.setAttribute("role", "list");
      cell = { head: laneId === null ? null : element("div", "lane-head"), list };
      if (cell.head) cell.head.dataset.laneId = laneId;
      node.cells.set(key, cell);
    }
    return cell;
  }

  /** A lane's head: its name, count and menu in the first column; an empty row start in the others. */
  fillLaneHead(head, lane, { first, count, folded }) {
    head.classList.toggle("is-collapsed", folded);
    if (!first) {
      head.setAttribute("aria-hidden", "true");
      head.replaceChildren();
      return;
    }
    const signature = JSON.stringify([lane.title, count, folded]);
    if (head.dataset.signature === signature) return;
    head.dataset.signature = signature;
    head.removeAttribute("aria-hidden");
    const toggle = element("button", "lane-toggle");
    toggle.type = "button";
    toggle.setAttribute("aria-expanded", String(!folded));
    toggle.title = folded ? "Show this lane's cards" : "Fold this lane";
    toggle.append(element("span", "lane-caret", folded ? "▸" : "▾"), element("span", "lane-title", lane.title),
      element("span", "column-count", String(count)));
    const menu = element("button", "button subtle lane-menu", "⋯");
    menu.type = "button";
    menu.setAttribute("aria-label", `Edit lane ${lane.title}`);
    head.replaceChildren(toggle, menu);
  }

  fillColumn(node, column, state, { lanes, laneOf, collapsed, first }) {
    const title = node.querySelector(".column-title");
    setText(title, column.title);
    node.querySelector(".column-menu").setAttribute("aria-label", `Edit column ${column.title}`);
    const count = node.querySelector(".column-count");
    const full = column.wip_limit !== null && column.cardIds.length >= column.wip_limit;
    setText(count, column.wip_limit === null ? String(column.cardIds.length) : `${column.cardIds.length} / ${column.wip_limit}`);
    count.title = column.wip_limit === null ? "Cards" : `Cards / WIP limit${full ? " (full)" : ""}`;
    node.classList.toggle("at-limit", full);
    const rows = [node.querySelector(".column-head")];
    const shownKeys = new Set();
    // The cards the window can show of each cell (a lane's cell scrolls on its own): drawn now;
    // the rest when idle. A folded lane shows none.
    const inWindow = Math.ceil(innerHeight / CARD_MIN_HEIGHT);
    for (const lane of lanes.length ? lanes : [null]) {
      const laneId = lane?.id ?? null;
      const cell = this.cell(node, column, laneId);
      const ids = lane ? column.cardIds.filter((id) => laneOf(id) === laneId) : column.cardIds;
      if (lane) {
        const folded = collapsed.has(laneId);
        const count = first ? state.columns.reduce((sum, other) => sum + other.cardIds.filter((id) => laneOf(id) === laneId).length, 0) : 0;
        this.fillLaneHead(cell.head, lane, { first, count, folded });
        cell.list.hidden = folded;
        rows.push(cell.head);
      }
      this.fillList(cell.list, ids, state, cell.list.hidden ? 0 : inWindow);
      rows.push(cell.list);
      shownKeys.add(laneId ?? NO_LANE);
    }
    rows.push(node.querySelector(".column-foot"));
    for (const [key, cell] of node.cells) {
      if (!shownKeys.has(key)) {
        cell.head?.remove();
        cell.list.remove();
        node.cells.delete(key);
      }
    }
    rows.forEach((row, index) => {
      if (node.children[index] !== row) node.insertBefore(row, node.children[index] ?? null);
    });
  }

  /**
   * Put a cell's cards in order, its first `inWindow` drawn; what is left
   * after them has moved elsewhere (which takes it) or was deleted.
   */
  fillList(list, cardIds, state, inWindow) {
    cardIds.forEach((cardId, index) => {
      const card = this.cardNode(state.cards.get(cardId), state, { now: index < inWindow });
      if (list.children[index] !== card) list.insertBefore(card, list.children[index] ?? null);
    });
    while (list.children.length > cardIds.length) list.lastElementChild.remove();
  }

  /** Cards added here and not confirmed yet, after the column's cards: their title and that they are not saved. */
  fillPending(node, cards) {
    const list = node.querySelector(".pending-cards");
    if (!cards.length && !list.firstChild) return;
    list.replaceChildren(
      ...cards.map((card) => {
        const item = element("article", "kanban-card is-pending");
        item.setAttribute("role", "listitem");
        item.append(element("p", "card-title", card.title), element("p", "card-pending", "Not saved yet"));
        return item;
      }),
    );
  }

  /** The card's element, drawn; or, not `now`, left empty until idle if it is new or still empty. */
  cardNode(card, state, { now = true } = {}) {
    let node = this.cardNodes.get(card.id);
    if (!node) {
      node = element("article", "kanban-card");
      node.dataset.cardId = card.id;
      node.tabIndex = 0;
      node.setAttribute("role", "listitem");
      this.cardNodes.set(card.id, node);
      if (!now) this.unfilled.add(card.id);
    }
    if (!now && this.unfilled.has(card.id)) {
      node.setAttribute("aria-label", card.title);
      return node;
    }
    this.unfilled.delete(card.id);
    const labels = card.labels.map((id) => state.labels.get(id)).filter(Boolean);
    // Whose lock it is, as the face says it: learning our own connection id (at `hello`) refills no card.
    const lock = card.lock
      ? [card.lock.conn === this.myConnection, card.lock.user.id === this.myUserId, card.lock.user.username, card.lock.reason]
      : null;
    const signature = JSON.stringify([card.version, lock, labels, card.assignees, card.comments,
      card.checklist, card.attachments, card.cover]);
    if (node.dataset.signature !== signature) {
      node.dataset.signature = signature;
      this.fillCard(node, card, labels);
    }
    return node;
  }

  fillCard(node, card, labels) {
    const lockedByOther = Boolean(card.lock && card.lock.conn !== this.myConnection);
    node.classList.toggle("is-locked", lockedByOther);
    node.setAttribute("aria-label", card.title);
    const parts = [];
    if (card.cover && this.thumbnailUrl) {
      const cover = element("img", "card-cover");
      cover.src = this.thumbnailUrl.replace("/files/0/", `/files/${card.cover}/`);
      cover.alt = "";
      cover.loading = "lazy";
      cover.decoding = "async";
      parts.push(cover);
    }
    if (labels.length) {
      const row = element("div", "card-labels");
      row.append(...labels.map(labelChip));
      parts.push(row);
    }
    parts.push(element("p", "card-title", card.title));
    const meta = element("div", "card-meta");
    if (card.start && `${card.start}T${card.start_time ?? "00:00"}` > siteNow()) {
      const start = element("span", "card-start", `Starts ${whenText(card.start, card.start_time)}`);
      start.title = `Starts ${card.start}${card.start_time ? ` ${card.start_time}` : ""}`;
      meta.append(start);
    }
    if (card.due) {
      const overdue = isOverdue(card);
      // Said in words, not only by its colour.
      const due = element("span", "card-due", `${overdue ? "Overdue:" : "Due"} ${whenText(card.due, card.due_time)}`);
      due.classList.toggle("overdue", overdue);
      due.title = `Due ${card.due}${card.due_time ? ` ${card.due_time}` : ""}`;
      meta.append(due);
    }
    if (card.description) {
      const mark = element("span", "card-has-description", "≡");
      mark.title = "Has a description";
      meta.append(mark);
    }
    if (card.checklist?.total) {
      const { done, total } = card.checklist;
      const progress = element("span", `card-checklist${done === total ? " is-complete" : ""}`, `☑ ${done}/${total}`);
      progress.title = `Checklist items: ${done} of ${total} done`;
      progress.setAttribute("aria-label", progress.title);
      meta.append(progress);
    }
    if (card.comments) {
      const count = element("span", "card-comment-count");
      count.textContent = String(card.comments);
      count.title = `${card.comments} comment${card.comments === 1 ? "" : "s"}`;
      count.setAttribute("aria-label", count.title);
      meta.append(count);
    }
    if (card.attachments) {
      const count = element("span", "card-attachment-count");
      count.textContent = String(card.attachments);
      count.title = `${card.attachments} attachment${card.attachments === 1 ? "" : "s"}`;
      count.setAttribute("aria-label", count.title);
      meta.append(count);
    }
    if (card.assignees.length) {
      const people = element("span", "card-assignees");
      const shown = card.assignees.length > 3 ? card.assignees.slice(0, 2) : card.assignees;
      for (const user of shown) people.append(avatar(user, `Assigned to ${user.username}`));
      if (shown.length < card.assignees.length) {
        const more = element("span", "avatar more", `+${card.assignees.length - shown.length}`);
        more.title = `Also assigned to ${card.assignees.slice(shown.length).map((user) => user.username).join(", ")}`;
        people.append(more);
      }
      meta.append(people);
    }
    if (meta.children.length) parts.push(meta);
    if (lockedByOther) {
      const doing = card.lock.reason === "drag" ? "dragging" : "editing";
      const who = card.lock.user.id === this.myUserId ? `You are ${doing} this in another tab` : `${card.lock.user.username} is ${doing} this`;
      parts.push(element("p", "card-lock", who));
      node.setAttribute("aria-disabled", "true");
    } else {
      node.removeAttribute("aria-disabled");
    }
    node.replaceChildren(...parts);
  }

  /** Whether the card is on screen (the filter hides some). */
  isShown(cardId) {
    const node = this.cardNodes.get(cardId);
    return Boolean(node && !node.hidden);
  }

  cardElement(cardId) {
    return this.cardNodes.get(cardId);
  }
}
