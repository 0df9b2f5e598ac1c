// Swimlanes on the page: the lane dialog (add a lane, or rename, move up or
// down, or delete one), and the lanes this person has folded, remembered in
// this browser only (folding is a way of looking at the board, not a change
// to it).

export class LaneEditor {
  /** board: { state, send(message) -> Promise, notify(message) } */
  constructor(dialog, board) {
    this.dialog = dialog;
    this.board = board;
    this.laneId = null;
    this.seenTitle = null; // the lane's title as this dialog showed it (sent as `was`)
    this.deletingLaneId = null;
    this.form = dialog.querySelector("#lane-editor-form");
    this.title = dialog.querySelector("#lane-title");
    this.heading = dialog.querySelector("#lane-editor-heading");
    this.help = dialog.querySelector("#lane-editor-help");
    this.existingActions = dialog.querySelector("#lane-existing-actions");
    this.error = dialog.querySelector("#lane-editor-error");
    this.form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.save();
    });
    dialog.querySelector("#lane-up").addEventListener("click", () => this.move(-1));
    dialog.querySelector("#lane-down").addEventListener("click", () => this.move(1));
    dialog.querySelector("#lane-delete").addEventListener("click", () => this.remove());
  }

  get lane() {
    return this.board.state.lane(this.laneId);
  }

  openNew() {
    this.laneId = null;
    const first = !this.board.state.lanes.length;
    this.heading.textContent = "New lane";
    this.help.textContent = first
      ? "Lanes are rows across the columns (a team, a client, a kind of work). The first lane takes every card on the board."
      : "The new lane starts empty, at the bottom; drag cards into it.";
    this.title.value = "";
    this.existingActions.hidden = true;
    this.show();
  }

  open(laneId) {
    this.laneId = laneId;
    this.heading.textContent = "Lane";
    this.help.textContent = "";
    this.title.value = this.lane.title;
    this.seenTitle = this.lane.title;
    this.existingActions.hidden = false;
    this.show();
  }

  show() {
    this.showError("");
    this.dialog.showModal();
    this.title.focus();
  }

  async save() {
    const title = this.title.value.trim();
    if (!title) {
      this.showError("Give the lane a title.");
      return;
    }
    try {
      if (this.laneId === null) await this.board.send({ type: "lane.create", title });
      else if (title !== this.seenTitle) {
        // A rename someone else made meanwhile is refused as a conflict instead of overwritten.
        await this.board.send({ type: "lane.update", lane: this.laneId, title, was: { title: this.seenTitle } });
      }
      this.dialog.close();
    } catch (error) {
      if (error.code === "conflict" && error.lane) this.seenTitle = error.lane.title; // saved again: over theirs
      this.showError(error.message);
    }
  }

  async move(step) {
    const index = this.board.state.lanes.indexOf(this.lane) + step;
    if (index < 0 || index >= this.board.state.lanes.length) return;
    try {
      await this.board.send({ type: "lane.move", lane: this.laneId, index });
    } catch (error) {
      this.showError(error.message);
    }
  }

  async remove() {
    const lane = this.lane;
    const last = this.board.state.lanes.length === 1;
    const question = last
      ? `Delete “${lane.title}”, the board’s last lane? Its cards stay in their columns, without lanes.`
      : `Delete the lane “${lane.title}”?`;
    if (!window.confirm(`${question} You can undo it (Ctrl+Z).`)) return;
    this.deletingLaneId = lane.id;
    try {
      await this.board.send({ type: "lane.delete", lane: lane.id });
      this.dialog.close();
    } catch (error) {
      this.showError(error.message);
    } finally {
      this.deletingLaneId = null;
    }
  }

  /** Called after every change to the board: close if the lane is gone, saying so unless we deleted it. */
  boardChanged() {
    if (this.dialog.open && this.laneId !== null && !this.lane) {
      const ours = this.laneId === this.deletingLaneId;
      this.dialog.close();
      if (!ours) this.board.notify("That lane was deleted.");
    }
  }

  showError(message) {
    this.error.textContent = message;
    this.error.hidden = !message;
  }
}

/** The ids of the lanes folded on this board, kept in localStorage under `key`. */
export class FoldedLanes {
  constructor(key) {
    this.key = key;
    this.ids = new Set();
    try {
      const stored = JSON.parse(window.localStorage.getItem(key) ?? "[]");
      if (Array.isArray(stored)) this.ids = new Set(stored.filter(Number.isInteger));
    } catch {
      // storage refused or unreadable: nothing folded
    }
  }

  toggle(laneId) {
    if (this.ids.has(laneId)) this.ids.delete(laneId);
    else this.ids.add(laneId);
    this.save();
  }

  unfold(laneId) {
    if (this.ids.delete(laneId)) this.save();
  }

  save() {
    try {
      window.localStorage.setItem(this.key, JSON.stringify([...this.ids]));
    } catch {
      // private browsing without storage: folded for this page only
    }
  }
}
