// Filtering the board's cards by text (title, description and comments),
// label, assignee, due date and files. Titles and descriptions are matched here at
// once; the server (search.json) adds the cards whose comments match, as
// this page holds no comments until a card is opened. The filter lives in the page's URL (?q=, label=,
// assignee=, due=, files=), so a filtered board can be reloaded and shared. A card
// someone is moving or editing stays in view even when it does not match,
// saying so, so the filter never hides a change in progress.

import { isOverdue } from "./render.js";

const DAY_MS = 24 * 60 * 60 * 1000;
const SEARCH_DELAY_MS = 200; // typing pauses this long before the server is asked

/** Today and a week from today as YYYY-MM-DD, the form of a card's `due`. */
function dayRange() {
  const today = new Date();
  const iso = (date) => date.toISOString().slice(0, 10);
  return { today: iso(today), weekEnd: iso(new Date(today.getTime() + 7 * DAY_MS)) };
}

export class CardFilter {
  /** `form`: the filter's form; `onChange()` runs after every change of the filter (and when the server answers). */
  constructor(form, { onChange, searchUrl }) {
    this.form = form;
    this.onChange = onChange;
    this.searchUrl = searchUrl;
    this.found = { q: "", cards: new Set() }; // the server's answer for the text `q`
    this.searchTimer = null;
    this.text = form.querySelector("#filter-text");
    this.label = form.querySelector("#filter-label");
    this.assignee = form.querySelector("#filter-assignee");
    this.due = form.querySelector("#filter-due");
    this.files = form.querySelector("#filter-files");
    this.status = form.querySelector("#filter-status");
    this.clearButton = form.querySelector("#filter-clear");
    const params = new URLSearchParams(window.location.search);
    this.wanted = { q: params.get("q") ?? "", label: params.get("label") ?? "", assignee: params.get("assignee") ?? "", due: params.get("due") ?? "",
      files: params.get("files") ?? "" };
    this.text.value = this.wanted.q;
    this.assignee.value = this.wanted.assignee;
    this.due.value = this.wanted.due;
    this.files.value = this.wanted.files;
    form.addEventListener("submit", (event) => event.preventDefault());
    form.addEventListener("input", () => this.changed());
    this.clearButton.addEventListener("click", () => this.clear());
    if (this.wanted.q.trim()) this.search();
    this.text.addEventListener("keydown", (event) => {
      if (event.key === "Escape" && this.text.value) {
        event.preventDefault();
        this.text.value = "";
        this.changed();
      }
    });
  }

  /** The label choices follow the board's labels; the one chosen stays chosen. */
  setLabels(labels) {
    const chosen = this.label.value || this.wanted.label;
    const options = [new Option("Any label", "")];
    for (const label of labels) options.push(new Option(label.name, String(label.id)));
    this.label.replaceChildren(...options);
    this.label.value = [...this.label.options].some((option) => option.value === chosen) ? chosen : "";
  }

  clear() {
    this.text.value = "";
    this.label.value = "";
    this.assignee.value = "";
    this.due.value = "";
    this.files.value = "";
    this.changed();
    this.text.focus();
  }

  focus() {
    this.text.focus();
    this.text.select();
  }

  changed() {
    this.wanted = { q: this.text.value, label: this.label.value, assignee: this.assignee.value, due: this.due.value,
      files: this.files.value };
    const params = new URLSearchParams(window.location.search);
    for (const [name, value] of Object.entries(this.wanted)) {
      if (value.trim()) params.set(name, value.trim());
      else params.delete(name);
    }
    const query = params.toString();
    window.history.replaceState(null, "", `${window.location.pathname}${query ? `?${query}` : ""}`);
    if (this.wanted.q.trim() !== this.found.q) this.search();
    this.onChange();
  }

  /** Ask the server, once typing pauses, which cards' comments hold the words too. */
  search() {
    clearTimeout(this.searchTimer);
    const q = this.wanted.q.trim();
    if (!q) {
      this.found = { q: "", cards: new Set() };
      return;
    }
    this.searchTimer = setTimeout(async () => {
      try {
        const response = await fetch(`${this.searchUrl}?${new URLSearchParams({ q })}`, {
          headers: { Accept: "application/json" },
          credentials: "same-origin",
        });
        if (!response.ok) return; // titles and descriptions still filter
        const result = await response.json();
        if (result.q !== this.wanted.q.trim()) return; // typed on since
        this.found = { q: result.q, cards: new Set(result.cards) };
        this.onChange();
      } catch {
        // offline: titles and descriptions still filter
      }
    }, SEARCH_DELAY_MS);
  }

  /** Comments changed: what the server found may have changed with them. */
  commentsChanged() {
    if (this.wanted.q.trim()) this.search();
  }

  get active() {
    return Object.values(this.wanted).some((value) => value.trim());
  }

  /** Whether `card` matches every part of the filter. */
  matches(card) {
    const words = this.wanted.q.toLowerCase().split(/\s+/).filter(Boolean);
    if (words.length) {
      const text = `${card.title}\n${card.description ?? ""}`.toLowerCase();
      const foundByServer = this.found.q === this.wanted.q.trim() && this.found.cards.has(card.id);
      if (!foundByServer && !words.every((word) => text.includes(word))) return false;
    }
    if (this.wanted.label && !card.labels.includes(Number(this.wanted.label))) return false;
    if (this.wanted.assignee === "nobody" && card.assignees.length) return false;
    if (this.wanted.assignee && this.wanted.assignee !== "nobody" && !card.assignees.some((user) => user.username === this.wanted.assignee)) return false;
    if (this.wanted.due) {
      const { today, weekEnd } = dayRange();
      if (this.wanted.due === "none" && card.due) return false;
      if (this.wanted.due === "overdue" && !isOverdue(card)) return false;
      if (this.wanted.due === "week" && !(card.due && card.due >= today && card.due <= weekEnd)) return false;
    }
    if (this.wanted.files === "with" && !card.attachments) return false;
    if (this.wanted.files === "without" && card.attachments) return false;
    return true;
  }

  /** Say how many cards show, and how many of those are in view only because someone is moving them. */
  report(shown, total, heldOnly) {
    this.clearButton.hidden = !this.active;
    if (!this.active) {
      this.status.textContent = "";
      return;
    }
    const held = heldOnly ? ` (${heldOnly} shown only because someone is moving or editing ${heldOnly === 1 ? "it" : "them"})` : "";
    this.status.textContent = shown === 0 ? `No cards match the filter (${total} hidden).` : `Showing ${shown} of ${total} cards${held}.`;
  }
}
