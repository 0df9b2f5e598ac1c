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
      if (await this.run({ type: "label.create", name, colour: form.elements.colour.value })) form.reset();
    });
    dialog.addEventListener("close", () => this.showError(""));
  }

  async run(message) {
    try {
      await this.board.send(message);
      this.showError("");
      return true;
    } catch (error) {
      this.showError(error.message);
      return false;
    }
  }

  render() {
    const labels = [...this.board.state.labels.values()].sort((a, b) => a.name.localeCompare(b.name));
    if (!labels.length) {
      this.list.replaceChildren(element("li", "muted", "No labels yet."));
      return;
    }
    this.list.replaceChildren(...labels.map((label) => this.row(label)));
  }

  row(label) {
    const row = element("li", "label-row");
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
    save.addEventListener("click", () => {
      const changes = {};
      if (name.value.trim() !== label.name) changes.name = name.value.trim();
      if (colour.value !== label.colour) changes.colour = colour.value;
      if (Object.keys(changes).length) this.run({ type: "label.update", label: label.id, ...changes });
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
