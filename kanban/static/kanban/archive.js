// The Archive dialog: the board's archived columns and cards, each to
// restore or delete for good. Read from archive.json when it opens, and
// again after any change that may have changed it while it is open.

import { sizeInWords } from "./attachments.js";
import { element } from "./render.js";

const ARCHIVE_EVENTS = new Set([
  "card.archived", "card.restored", "card.deleted", "card.created", "column.archived", "column.restored",
  "column.deleted", "column.created", "column.updated", "card.updated",
  "attachment.created", "attachment.removed", "attachment.restored", "attachment.deleted",
]);

export class ArchiveView {
  /** board: { send(message) -> Promise, madeOwnChange(), notify(message) } */
  constructor(dialog, board, { archiveUrl }) {
    this.dialog = dialog;
    this.board = board;
    this.archiveUrl = archiveUrl;
    this.columns = dialog.querySelector("#archive-columns");
    this.cards = dialog.querySelector("#archive-cards");
    this.files = dialog.querySelector("#archive-files");
    this.storage = dialog.querySelector("#archive-storage");
    this.error = dialog.querySelector("#archive-error");
    dialog.addEventListener("click", (event) => this.clicked(event));
  }

  async open() {
    this.showError("");
    this.dialog.showModal();
    await this.load();
  }

  /** A stored change: the list may have changed with it. */
  boardChanged(frame) {
    if (this.dialog.open && ARCHIVE_EVENTS.has(frame.type)) this.load();
  }

  async load() {
    try {
      const response = await fetch(this.archiveUrl, { headers: { Accept: "application/json" }, credentials: "same-origin" });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      this.render(await response.json());
    } catch (error) {
      this.showError(`The archive could not be loaded: ${error.message}`);
    }
  }

  render({ columns, cards, attachments, storage }) {
    this.files.replaceChildren(
      ...(attachments.length
        ? attachments.map((file) => this.row(`“${file.name}”`, `from “${file.card_title}”, ${sizeInWords(file.size)}`,
            { kind: "attachment", id: file.id, title: file.name }))
        : [element("li", "muted", "No removed files.")]),
    );
    this.storage.textContent = `The board’s files take ${sizeInWords(storage.used)} of ${sizeInWords(storage.quota)}. `
      + "Removed files count until they are deleted for good.";
    this.columns.replaceChildren(
      ...(columns.length
        ? columns.map((column) => this.row(`“${column.title}”`, `${column.cards} card${column.cards === 1 ? "" : "s"}`,
            { kind: "column", id: column.id, title: column.title }))
        : [element("li", "muted", "No archived columns.")]),
    );
    this.cards.replaceChildren(
      ...(cards.length
        ? cards.map((card) => this.row(`“${card.title}”`, `in ${card.column.title}${card.column.archived ? " (archived)" : ""}`,
            { kind: "card", id: card.id, title: card.title, version: card.version }))
        : [element("li", "muted", "No archived cards.")]),
    );
  }

  row(title, detail, data) {
    const item = element("li", "archive-item");
    Object.assign(item.dataset, { kind: data.kind, id: data.id, title: data.title, version: data.version ?? "" });
    const restore = element("button", "button archive-restore", "Restore");
    restore.type = "button";
    restore.setAttribute("aria-label", `Restore: ${title}`);
    const remove = element("button", "button danger archive-delete", "Delete");
    remove.type = "button";
    remove.setAttribute("aria-label", `Delete: ${title}`);
    item.append(element("strong", "", title), element("span", "muted", detail), restore, remove);
    return item;
  }

  async clicked(event) {
    const item = event.target.closest(".archive-item");
    if (!item) return;
    const { kind, id, title, version } = item.dataset;
    let message = null;
    if (event.target.closest(".archive-restore")) {
      message = { type: `${kind}.restore`, [kind]: Number(id) };
    } else if (event.target.closest(".archive-delete")) {
      if (kind === "attachment") {
        if (!window.confirm(`Delete “${title}” for good? This frees its space and cannot be undone.`)) return;
        message = { type: "attachment.delete", attachment: Number(id) };
      } else {
        const what = kind === "column" ? `the column “${title}” and its cards` : `“${title}”`;
        if (!window.confirm(`Delete ${what} for good? You can still undo it with Ctrl+Z.`)) return;
        message = kind === "column" ? { type: "column.delete", column: Number(id) } : { type: "card.delete", card: Number(id), version: Number(version) };
      }
    }
    if (!message) return;
    this.showError("");
    try {
      await this.board.send(message);
      this.board.madeOwnChange();
      await this.load();
    } catch (error) {
      this.showError(error.message);
    }
  }

  showError(message) {
    this.error.textContent = message;
    this.error.hidden = !message;
  }
}
