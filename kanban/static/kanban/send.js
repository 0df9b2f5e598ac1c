// "Copy or move to another board", in the card editor: the boards the
// person can open (destinations.json, read when the section opens) and
// their columns; Copy leaves the card here, Move takes it there.

export class CardSender {
  /** board: { state, send(message) -> Promise, madeOwnChange(), notify(message) } */
  constructor(section, board, { destinationsUrl, boardSlug }) {
    this.section = section;
    this.board = board;
    this.destinationsUrl = destinationsUrl;
    this.boardSlug = boardSlug;
    this.boards = [];
    this.cardId = null;
    this.boardSelect = section.querySelector("#send-board");
    this.columnSelect = section.querySelector("#send-column");
    this.error = section.querySelector("#send-error");
    section.addEventListener("toggle", () => section.open && this.load());
    this.boardSelect.addEventListener("change", () => this.showColumns());
    section.querySelector("#send-copy").addEventListener("click", () => this.send("card.copy"));
    section.querySelector("#send-move").addEventListener("click", () => this.send("card.move_to_board"));
  }

  open(cardId) {
    this.cardId = cardId;
    this.section.open = false;
    this.showError("");
  }

  async load() {
    try {
      const response = await fetch(this.destinationsUrl, { headers: { Accept: "application/json" }, credentials: "same-origin" });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      this.boards = (await response.json()).boards;
    } catch (error) {
      this.showError(`The boards could not be loaded: ${error.message}`);
      return;
    }
    const others = this.boards.filter((board) => board.slug !== this.boardSlug);
    const here = this.boards.find((board) => board.slug === this.boardSlug);
    this.boardSelect.replaceChildren(
      ...[...others, ...(here ? [here] : [])].map((board) => new Option(board.slug === this.boardSlug ? `${board.name} (this board)` : board.name, board.slug)),
    );
    this.showColumns();
  }

  showColumns() {
    const board = this.boards.find((each) => each.slug === this.boardSelect.value);
    this.columnSelect.replaceChildren(...(board?.columns ?? []).map((column) => new Option(column.title, String(column.id))));
  }

  async send(type) {
    const card = this.board.state.cards.get(this.cardId);
    const slug = this.boardSelect.value;
    const column = Number(this.columnSelect.value);
    if (!card || !slug || !column) return;
    const target = this.boards.find((board) => board.slug === slug);
    const message = { type, card: card.id, board: slug, column };
    if (type === "card.move_to_board") message.version = card.version;
    this.showError("");
    try {
      const ack = await this.board.send(message);
      this.board.madeOwnChange();
      const left = ack.labels_left_behind?.length ? ` (without the label${ack.labels_left_behind.length === 1 ? "" : "s"} ${ack.labels_left_behind.join(", ")}, which that board has not got)` : "";
      this.board.notify(`${type === "card.copy" ? "Copied" : "Moved"} “${card.title}” to ${target.name}${left}.`);
      if (type === "card.move_to_board") this.section.closest("dialog").close();
    } catch (error) {
      this.showError(error.message);
    }
  }

  showError(message) {
    this.error.textContent = message;
    this.error.hidden = !message;
  }
}
