// The checklists of the card open in the editor: loaded when it opens, kept
// live from the board's `checklist.*` and `item.*` events. Items are ticked,
// edited in place, reordered by dragging (SortableJS, within and between
// the card's checklists) or with Alt+↑/↓, deleted, or made cards.

import Sortable from "../vendor/sortablejs-1.15.7/sortable.esm.js";
import { element } from "./render.js";

export class CardChecklists {
  /** board: { state, send(message) -> Promise, madeOwnChange(), notify(message) } */
  constructor(section, board, { checklistsUrl }) {
    this.section = section;
    this.board = board;
    this.checklistsUrl = checklistsUrl; // card 0's URL: `/cards/0/` becomes the card's id
    this.cardId = null;
    this.lists = []; // [{id, card, title, items: [item]}] in order
    this.removed = new Set(); // checklist and item ids ("c12", "i40") removed since the card opened
    this.editing = null; // "c<id>" or "i<id>": the title or text being edited here
    this.draft = "";
    this.seen = "";
    this.redrawing = false;
    this.sortables = [];
    this.container = section.querySelector("#card-checklists-list");
    this.error = section.querySelector("#checklist-error");
    section.querySelector("#checklist-add").addEventListener("click", () => this.run({ type: "checklist.create", card: this.cardId }));
    this.container.addEventListener("click", (event) => this.clicked(event));
    this.container.addEventListener("change", (event) => {
      if (event.target.matches(".item-done")) {
        const item = this.item(Number(event.target.closest(".checklist-item").dataset.itemId));
        this.run({ type: "item.check", item: item.id, done: event.target.checked });
      }
    });
    this.container.addEventListener("keydown", (event) => this.keydown(event));
  }

  /** Add the typed item to its checklist; the box is cleared and keeps the focus, for the next one. */
  async addItem(input) {
    const text = input.value.trim();
    if (!text) return;
    const checklistId = Number(input.closest(".checklist").dataset.checklistId);
    input.value = "";
    const added = await this.run({ type: "item.create", checklist: checklistId, text });
    const again = this.container.querySelector(`.checklist[data-checklist-id="${checklistId}"] .item-new`);
    if (!added && again && !again.value) again.value = text; // to fix and send again
    again?.focus();
  }

  async open(cardId) {
    this.cardId = cardId;
    this.lists = [];
    this.removed.clear();
    this.editing = null;
    this.showError("");
    this.render();
    try {
      const response = await fetch(this.checklistsUrl.replace("/cards/0/", `/cards/${cardId}/`), {
        headers: { Accept: "application/json" },
        credentials: "same-origin",
      });
      const result = await response.json();
      if (!response.ok) throw new Error(result.error ?? `HTTP ${response.status}`);
      if (this.cardId !== cardId) return;
      // What events brought while loading is at least as new as the list: keep it, add the rest.
      for (const loaded of result.checklists) {
        if (this.removed.has(`c${loaded.id}`) || this.list(loaded.id)) continue;
        loaded.items = loaded.items.filter((item) => !this.removed.has(`i${item.id}`));
        this.lists.push(loaded);
      }
    } catch (error) {
      if (this.cardId === cardId) this.showError(`Checklists could not be loaded: ${error.message}`);
    }
    this.render();
  }

  close() {
    this.cardId = null;
  }

  list(id) {
    return this.lists.find((list) => list.id === id);
  }

  item(id) {
    for (const list of this.lists) {
      const item = list.items.find((other) => other.id === id);
      if (item) return item;
    }
    return null;
  }

  takeItem(id) {
    for (const list of this.lists) list.items = list.items.filter((item) => item.id !== id);
  }

  /** A stored event (someone else's, or our own from its ack): follow it if it is about the open card. */
  apply(frame) {
    if (this.cardId === null) return;
    const cardId = frame.type.startsWith("checklist.") && typeof frame.checklist === "object" ? frame.checklist.card : frame.card;
    if (cardId !== this.cardId) return;
    switch (frame.type) {
      case "checklist.created":
        this.removed.delete(`c${frame.checklist.id}`);
        this.lists = this.lists.filter((list) => list.id !== frame.checklist.id);
        this.lists.splice(Math.min(frame.index, this.lists.length), 0, frame.checklist);
        break;
      case "checklist.updated":
        if (this.list(frame.checklist.id)) this.list(frame.checklist.id).title = frame.checklist.title;
        break;
      case "checklist.deleted":
        this.removed.add(`c${frame.checklist}`);
        this.lists = this.lists.filter((list) => list.id !== frame.checklist);
        break;
      case "item.created":
      case "item.moved": {
        this.removed.delete(`i${frame.item.id}`);
        this.takeItem(frame.item.id);
        const list = this.list(frame.type === "item.moved" ? frame.checklist : frame.item.checklist);
        if (list) list.items.splice(Math.min(frame.index, list.items.length), 0, frame.item);
        break;
      }
      case "item.updated": {
        const item = this.item(frame.item.id);
        if (item) Object.assign(item, frame.item);
        break;
      }
      case "item.deleted":
        this.removed.add(`i${frame.item}`);
        this.takeItem(frame.item);
        break;
      default:
        return;
    }
    this.render();
  }

  /** Send a command; true once acknowledged, false (the error shown, and told to `refused`) when refused. */
  async run(message, { refused = () => {} } = {}) {
    this.showError("");
    try {
      await this.board.send(message);
      this.board.madeOwnChange();
      return true;
    } catch (error) {
      refused(error);
      this.showError(error.message);
      this.render(); // a refused tick shows the box as it is
      return false;
    }
  }

  clicked(event) {
    const target = event.target;
    const checklist = target.closest(".checklist");
    const itemNode = target.closest(".checklist-item");
    if (target.closest(".checklist-delete")) {
      const list = this.list(Number(checklist.dataset.checklistId));
      if (window.confirm(`Delete the checklist “${list.title}” and its ${list.items.length} item(s)? You can undo this with Ctrl+Z.`)) {
        this.run({ type: "checklist.delete", checklist: list.id });
      }
    } else if (target.closest(".checklist-title")) {
      this.startEditing(`c${checklist.dataset.checklistId}`, this.list(Number(checklist.dataset.checklistId)).title);
    } else if (target.closest(".item-text")) {
      const item = this.item(Number(itemNode.dataset.itemId));
      this.startEditing(`i${item.id}`, item.text);
    } else if (target.closest(".item-delete")) {
      const item = this.item(Number(itemNode.dataset.itemId));
      this.run({ type: "item.delete", item: item.id, version: item.version });
    } else if (target.closest(".item-to-card")) {
      const item = this.item(Number(itemNode.dataset.itemId));
      this.run({ type: "item.to_card", item: item.id, version: item.version }).then((ok) => {
        if (ok) this.board.notify(`“${item.text}” is a card now, at the end of this card's column.`);
      });
    }
  }

  startEditing(key, text) {
    this.editing = key;
    this.draft = text;
    this.seen = text; // what the box started from (sent as `was` with a checklist's new title)
    this.render();
    const input = this.container.querySelector(".checklist-edit");
    input.focus();
    input.select();
  }

  /** Enter adds an item or saves an edit, Escape drops the edit; Alt+↑/↓ moves the focused item. */
  keydown(event) {
    if (event.target.matches(".item-new") && event.key === "Enter") {
      event.preventDefault(); // not the card's Save
      this.addItem(event.target);
      return;
    }
    if (event.target.matches(".checklist-edit")) {
      if (event.key === "Enter") {
        event.preventDefault();
        this.saveEdit(event.target.value);
      } else if (event.key === "Escape") {
        event.preventDefault();
        event.stopPropagation(); // the dialog stays open
        this.editing = null;
        this.render();
      }
      return;
    }
    const itemNode = event.target.closest(".checklist-item");
    if (itemNode && event.altKey && (event.key === "ArrowUp" || event.key === "ArrowDown")) {
      event.preventDefault();
      const item = this.item(Number(itemNode.dataset.itemId));
      const list = this.list(item.checklist);
      const index = list.items.indexOf(item) + (event.key === "ArrowUp" ? -1 : 1);
      if (index < 0 || index >= list.items.length) return;
      this.run({ type: "item.move", item: item.id, checklist: list.id, index }).then(() => {
        this.container.querySelector(`.checklist-item[data-item-id="${item.id}"] .item-done`)?.focus();
      });
    }
  }

  async saveEdit(value) {
    const key = this.editing;
    const text = value.trim();
    this.editing = null;
    if (!text) {
      this.render();
      return;
    }
    const id = Number(key.slice(1));
    if (key.startsWith("c")) {
      // With the title this box started from: a rename made meanwhile by someone else is refused, not
      // overwritten. Refused, the box opens again with what was typed, over the title as it is now.
      if (text !== this.list(id)?.title) {
        let seen = this.seen;
        const saved = await this.run({ type: "checklist.update", checklist: id, title: text, was: { title: seen } }, {
          refused: (error) => (seen = error.code === "conflict" && error.checklist ? error.checklist.title : seen),
        });
        if (!saved && this.list(id)) {
          this.startEditing(key, text);
          this.seen = seen; // theirs, after a conflict: saving again replaces it
          return;
        }
      }
    } else {
      const item = this.item(id);
      if (item && text !== item.text) await this.run({ type: "item.update", item: id, version: item.version, text });
    }
    this.render();
  }

  /** Draw the checklists again, keeping what is being typed in an add box and where the focus was. */
  render() {
    for (const sortable of this.sortables) sortable.destroy();
    this.sortables = [];
    const focusedItem = document.activeElement?.closest?.(".checklist-item")?.dataset.itemId;
    const typing = new Map(
      [...this.container.querySelectorAll(".item-new")].map((input) => [input.closest(".checklist").dataset.checklistId, input.value]),
    );
    const focusedAdd = document.activeElement?.matches?.(".item-new") ? document.activeElement.closest(".checklist").dataset.checklistId : null;
    const focusedEdit = document.activeElement?.matches?.(".checklist-edit") ? document.activeElement.selectionStart : null;
    this.redrawing = true; // Chromium blurs a focused box as it is taken away: that is no leaving it
    try {
      this.container.replaceChildren(...this.lists.map((list) => this.checklistNode(list)));
    } finally {
      this.redrawing = false;
    }
    if (focusedEdit !== null) {
      // Someone else's change drew the checklists again under an edit: it goes on where it was.
      const input = this.container.querySelector(".checklist-edit");
      input?.focus();
      input?.setSelectionRange(focusedEdit, focusedEdit);
    }
    for (const node of this.container.querySelectorAll(".checklist-items")) {
      this.sortables.push(Sortable.create(node, {
        group: `checklists-${this.cardId}`,
        handle: ".item-handle",
        animation: 120,
        forceFallback: true,
        onEnd: (event) => {
          const itemId = Number(event.item.dataset.itemId);
          const checklistId = Number(event.to.closest(".checklist").dataset.checklistId);
          if (event.from === event.to && event.oldIndex === event.newIndex) return;
          this.run({ type: "item.move", item: itemId, checklist: checklistId, index: event.newIndex }).then(() => this.render());
        },
      }));
    }
    for (const [checklistId, value] of typing) {
      const input = this.container.querySelector(`.checklist[data-checklist-id="${checklistId}"] .item-new`);
      if (input) input.value = value;
    }
    if (focusedAdd) this.container.querySelector(`.checklist[data-checklist-id="${focusedAdd}"] .item-new`)?.focus();
    else if (focusedItem) this.container.querySelector(`.checklist-item[data-item-id="${focusedItem}"] .item-done`)?.focus();
  }

  checklistNode(list) {
    const node = element("section", "checklist");
    node.dataset.checklistId = list.id;
    const head = element("div", "checklist-head");
    if (this.editing === `c${list.id}`) {
      head.append(this.editInput(this.draft, "Checklist title", 100));
    } else {
      const title = element("button", "checklist-title", list.title);
      title.type = "button";
      title.title = "Rename the checklist";
      head.append(title);
    }
    const done = list.items.filter((item) => item.done).length;
    const count = element("span", "checklist-count", `${done}/${list.items.length}`);
    const remove = element("button", "button subtle checklist-delete", "Delete");
    remove.type = "button";
    remove.setAttribute("aria-label", `Delete the checklist ${list.title}`);
    head.append(count, remove);
    const bar = element("progress", "checklist-progress");
    bar.max = Math.max(list.items.length, 1);
    bar.value = done;
    bar.setAttribute("aria-label", `${list.title}: ${done} of ${list.items.length} done`);
    const items = element("ul", "checklist-items");
    items.append(...list.items.map((item) => this.itemNode(item)));
    const input = element("input", "item-new");
    input.type = "text";
    input.maxLength = 500;
    input.placeholder = "Add an item (Enter)";
    input.setAttribute("aria-label", `Add an item to ${list.title}`);
    node.append(head, bar, items, input);
    return node;
  }

  itemNode(item) {
    const node = element("li", `checklist-item${item.done ? " is-done" : ""}`);
    node.dataset.itemId = item.id;
    const handle = element("span", "item-handle", "⋮⋮");
    handle.title = "Drag to reorder (or Alt+↑/↓)";
    handle.setAttribute("aria-hidden", "true");
    const box = element("input", "item-done");
    box.type = "checkbox";
    box.checked = item.done;
    box.setAttribute("aria-label", item.text);
    node.append(handle, box);
    if (this.editing === `i${item.id}`) {
      node.append(this.editInput(this.draft, "Item", 500));
    } else {
      const text = element("button", "item-text", item.text);
      text.type = "button";
      text.title = "Edit the item";
      node.append(text);
    }
    const toCard = element("button", "button subtle item-to-card", "Make card");
    toCard.type = "button";
    toCard.setAttribute("aria-label", `Make card: “${item.text}”`);
    const remove = element("button", "button subtle item-delete", "✕");
    remove.type = "button";
    remove.setAttribute("aria-label", `Delete “${item.text}”`);
    node.append(toCard, remove);
    return node;
  }

  editInput(value, label, maxLength) {
    const input = element("input", "checklist-edit");
    input.type = "text";
    input.value = value;
    input.maxLength = maxLength;
    input.setAttribute("aria-label", label);
    input.addEventListener("input", () => (this.draft = input.value));
    input.addEventListener("blur", () => {
      // Leaving the box saves; the box taken away by a redraw (render) does not.
      if (this.editing !== null && !this.redrawing && input.isConnected) this.saveEdit(input.value);
    });
    return input;
  }

  showError(message) {
    this.error.textContent = message;
    this.error.hidden = !message;
  }
}
