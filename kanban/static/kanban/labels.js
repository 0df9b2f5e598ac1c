// The label manager: the board's labels with their colours; add, rename,
// recolour, delete. Cards pick from these in the card editor.

import { element, labelChip } from "./render.js";

export class LabelManager {
  /** board: { state, send(message) -> Promise } */
  constructor(dialog, board) {
    this.dialog = dialog;
    this.board = board;
    this.list = dialog.querySelector("#label-list");
    this.error = dialog.querySelector("#label-error");
    this.colours = [...dialog.querySelectorAll("#new-label-colour option")].map((option) => option.value);
    const form = dialog.querySelector("#label-create-form");
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const name = form.elements.name.value.trim();
      if (!(await this.run({ type: "label.create", name, colour: form.elements.colour.value }))) form.reset();
    });
    dialog.addEventListener("close", () => this.showError(""));
  }

  /** Send `message`; returns null once acked, or the error (shown). */
  async run(message) {
    try {
      await this.board.send(message);
      this.showError("");
      return null;
    } catch (error) {
      this.showError(error.message);
      return error;
    }
  }

  render() {
    const labels = [...this.board.state.labels.values()].sort((a, b) => a.name.localeCompare(b.name));
    if (!labels.length) {
      this.list.replaceChildren(element("li", "muted", "No labels yet."));
      return;
    }
    // A row someone is changing stays as it is, typing and all, when the board changes under it.
    const changing = new Map([...this.list.querySelectorAll(".label-row")].filter((row) => row.changed())
      .map((row) => [row.dataset.labelId, row]));
    this.list.replaceChildren(...labels.map((label) => changing.get(String(label.id)) ?? this.row(label)));
  }

  /** A label's row; `label` is the label as the row shows it, sent as `was` with a change. */
  row(label) {
    const row = element("li", "label-row");
    row.dataset.labelId = label.id;
    const name = document.createElement("input");
    name.type = "text";
    name.value = label.name;
    name.maxLength = 40;
    name.setAttribute("aria-label", `Name of label ${label.name}`);
    const colour = document.createElement("select");
    colour.setAttribute("aria-label", `Colour of label ${label.name}`);
    for (const value of this.colours) colour.append(new Option(value, value, false, value === label.colour));
    const save = element("button", "button", "Save");
    save.type = "button";
    const changes = () => {
      const changed = {};
      if (name.value.trim() !== label.name) changed.name = name.value.trim();
      if (colour.value !== label.colour) changed.colour = colour.value;
      return changed;
    };
    row.changed = () => Object.keys(changes()).length > 0;
    save.addEventListener("click", async () => {
      const changed = changes();
      if (!Object.keys(changed).length) return;
      const was = Object.fromEntries(Object.keys(changed).map((field) => [field, label[field]]));
      // A change someone else made to those fields meanwhile is refused as a conflict, not overwritten.
      const error = await this.run({ type: "label.update", label: label.id, ...changed, was });
      if (!error) {
        row.changed = () => false; // saved: shown again as the board has it
        this.render();
      } else if (error.code === "conflict" && error.label) {
        // Theirs is what the row now starts from; what was typed stays, saved over theirs if saved again.
        const fresh = this.row(error.label);
        fresh.querySelector("input").value = name.value;
        fresh.querySelector("select").value = colour.value;
        row.replaceWith(fresh);
      }
    });
    const remove = element("button", "button subtle danger", "Delete");
    remove.type = "button";
    remove.addEventListener("click", () => {
      if (window.confirm(`Delete the label “${label.name}”? Cards lose it.`)) this.run({ type: "label.delete", label: label.id });
    });
    row.append(labelChip(label), name, colour, save, remove);
    return row;
  }

  showError(message) {
    this.error.textContent = message;
    this.error.hidden = !message;
  }
}
