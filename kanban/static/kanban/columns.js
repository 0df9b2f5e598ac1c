// The column dialog: add a column, or rename one, set its WIP limit, move it
// left or right, archive it with its cards, or delete it with them (after
// confirming).

export class ColumnEditor {
  /** board: { state, send(message) -> Promise, notify(message) } */
  constructor(dialog, board) {
    this.dialog = dialog;
    this.board = board;
    this.columnId = null;
    this.seen = null; // the column's title and WIP limit as this dialog showed them (sent as `was`)
    this.deletingColumnId = null;
    this.form = dialog.querySelector("#column-editor-form");
    this.title = dialog.querySelector("#column-title");
    this.wipLimit = dialog.querySelector("#column-wip");
    this.heading = dialog.querySelector("#column-editor-heading");
    this.existingActions = dialog.querySelector("#column-existing-actions");
    this.error = dialog.querySelector("#column-editor-error");
    this.form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.save();
    });
    dialog.querySelector("#column-left").addEventListener("click", () => this.move(-1));
    dialog.querySelector("#column-right").addEventListener("click", () => this.move(1));
    dialog.querySelector("#column-delete").addEventListener("click", () => this.remove());
    dialog.querySelector("#column-archive").addEventListener("click", () => this.archive());
  }

  get column() {
    return this.board.state.column(this.columnId);
  }

  openNew() {
    this.columnId = null;
    this.heading.textContent = "New column";
    this.title.value = "";
    this.wipLimit.value = "";
    this.existingActions.hidden = true;
    this.show();
  }

  open(columnId) {
    this.columnId = columnId;
    const column = this.column;
    this.heading.textContent = "Column";
    this.title.value = column.title;
    this.wipLimit.value = column.wip_limit ?? "";
    this.seen = { title: column.title, wip_limit: column.wip_limit };
    this.existingActions.hidden = false;
    this.show();
  }

  show() {
    this.showError("");
    this.dialog.showModal();
    this.title.focus();
  }

  /** The WIP limit typed, null for none, or undefined (with the error shown) when it is not valid. */
  readWipLimit() {
    if (!this.wipLimit.value.trim()) return null;
    const value = Number(this.wipLimit.value);
    if (!Number.isInteger(value) || value < Number(this.wipLimit.min) || value > Number(this.wipLimit.max)) {
      this.showError(`A WIP limit is a whole number from ${this.wipLimit.min} to ${this.wipLimit.max}, or empty.`);
      return undefined;
    }
    return value;
  }

  async save() {
    const title = this.title.value.trim();
    if (!title) {
      this.showError("Give the column a title.");
      return;
    }
    const wipLimit = this.readWipLimit();
    if (wipLimit === undefined) return;
    try {
      if (this.columnId === null) {
        await this.board.send({ type: "column.create", title, wip_limit: wipLimit });
      } else {
        // Only what this person changed, with what they saw of it: a change someone else made
        // meanwhile, to those fields, is refused as a conflict instead of overwritten.
        const changes = {};
        if (title !== this.seen.title) changes.title = title;
        if (wipLimit !== this.seen.wip_limit) changes.wip_limit = wipLimit;
        const was = Object.fromEntries(Object.keys(changes).map((name) => [name, this.seen[name]]));
        if (Object.keys(changes).length) {
          await this.board.send({ type: "column.update", column: this.columnId, ...changes, was });
        }
      }
      this.dialog.close();
    } catch (error) {
      // Theirs is said in the message; this person's stays in the form, saved over theirs if saved again.
      if (error.code === "conflict" && error.column) this.seen = { title: error.column.title, wip_limit: error.column.wip_limit };
      this.showError(error.message);
    }
  }

  async move(step) {
    const index = this.board.state.columns.indexOf(this.column) + step;
    if (index < 0 || index >= this.board.state.columns.length) return;
    try {
      await this.board.send({ type: "column.move", column: this.columnId, index });
    } catch (error) {
      this.showError(error.message);
    }
  }

  async remove() {
    const column = this.column;
    const count = column.cardIds.length;
    const cards = count === 0 ? "" : count === 1 ? " and its card" : ` and its ${count} cards`;
    if (!window.confirm(`Delete the column “${column.title}”${cards} for everyone? You can undo it (Ctrl+Z) as long as nobody changes the board there first.`)) return;
    this.deletingColumnId = column.id; // its deletion, applied before the ack resolves, is ours: no notice
    try {
      await this.board.send({ type: "column.delete", column: column.id });
      this.dialog.close();
    } catch (error) {
      this.showError(error.message);
    } finally {
      this.deletingColumnId = null;
    }
  }

  /** Take the column and its cards off the board into its archive (restored from the Archive dialog). */
  async archive() {
    const column = this.column;
    this.deletingColumnId = column.id; // it leaves the board by our hand: no notice
    try {
      await this.board.send({ type: "column.archive", column: column.id });
      this.dialog.close();
      this.board.notify(`Archived the column “${column.title}”. Restore it from the Archive.`);
    } catch (error) {
      this.showError(error.message);
    } finally {
      this.deletingColumnId = null;
    }
  }

  /** Called after every change to the board: close if the column is gone, saying so unless we deleted it. */
  boardChanged() {
    if (this.dialog.open && this.columnId !== null && !this.column) {
      const ours = this.columnId === this.deletingColumnId;
      this.dialog.close();
      if (!ours) this.board.notify("That column was deleted or archived.");
    }
  }

  showError(message) {
    this.error.textContent = message;
    this.error.hidden = !message;
  }
}
