// The card editor dialog: title, Markdown description with a server-rendered
// preview, assignees, labels, due date, and the card's comments. Opening a
// card takes nothing from anyone: everyone may have it open, read it and
// comment. Changing one of its fields takes the card's lock (renewed before
// it runs out), so nobody else changes it meanwhile, and the others see the
// card held and its fields read-only; saving or closing releases it. A save
// names the version the editor opened: if someone saved the card meanwhile
// (the lock lapsed while this page was offline), the server refuses it and
// the editor shows both versions.

import { CardAttachments } from "./attachments.js";
import { CardChecklists } from "./checklists.js";
import { CardComments } from "./comments.js";
import { CardSender } from "./send.js";
import { avatar, element, labelChip } from "./render.js";

const LOCK_RENEW_MS = 20_000; // the server's lock lasts 30 s
const SCHEDULE_FIELDS = ["start", "start_time", "due", "due_time"];

/** The checklists, comments and copy-or-move change on their own, not as the card's fields (no lock, no Save). */
function isOutsideTheFields(node) {
  return Boolean(node.closest("#card-comments, #card-checklists, #card-attachments, #card-send"));
}

export class CardEditor {
  /** board: { state, send(message) -> Promise, notify(message), me(), isOwner, madeOwnChange(), focusCard(id) } */
  constructor(dialog, board, { previewUrl, commentsUrl, checklistsUrl, attachmentsUrl, fileUrl, uploadMaxBytes,
    destinationsUrl, boardSlug, csrfToken }) {
    this.dialog = dialog;
    this.board = board;
    this.previewUrl = previewUrl;
    this.csrfToken = csrfToken;
    this.cardId = null;
    this.deletingCardId = null;
    this.lockHeld = false;
    this.locking = null; // the pending `card.lock` taken by the first change
    this.form = dialog.querySelector("#card-editor-form");
    this.fields = {
      title: dialog.querySelector("#card-title"),
      description: dialog.querySelector("#card-description"),
      assignees: dialog.querySelector("#card-assignees"),
      due: dialog.querySelector("#card-due"),
      due_time: dialog.querySelector("#card-due-time"),
      start: dialog.querySelector("#card-start"),
      start_time: dialog.querySelector("#card-start-time"),
      labels: dialog.querySelector("#card-labels"),
    };
    this.preview = dialog.querySelector("#card-description-preview");
    this.writeTab = dialog.querySelector("#description-write-tab");
    this.previewTab = dialog.querySelector("#description-preview-tab");
    this.error = dialog.querySelector("#card-editor-error");
    this.conflict = dialog.querySelector("#card-editor-conflict");
    this.held = dialog.querySelector("#card-editor-held");
    this.saveButton = dialog.querySelector("#card-save");
    this.deleteButton = dialog.querySelector("#card-delete");
    this.archiveButton = dialog.querySelector("#card-archive");
    this.watchButton = dialog.querySelector("#card-watch");
    this.watchButton.addEventListener("click", () => this.toggleWatching());
    this.comments = new CardComments(dialog.querySelector("#card-comments"), board, { commentsUrl });
    this.checklists = new CardChecklists(dialog.querySelector("#card-checklists"), board, { checklistsUrl });
    this.attachments = new CardAttachments(dialog.querySelector("#card-attachments"), board, {
      attachmentsUrl, fileUrl, csrfToken, maxBytes: uploadMaxBytes,
    });
    this.sender = new CardSender(dialog.querySelector("#card-send"), board, { destinationsUrl, boardSlug });
    // The first change to a field takes the card; its checklists and comments are not its fields.
    for (const type of ["input", "change"]) {
      this.form.addEventListener(type, (event) => {
        if (!isOutsideTheFields(event.target)) this.startEditing();
      });
    }
    this.opened = null; // the card as the person started editing it: what their changes are made to
    dialog.querySelector("#card-conflict-mine").addEventListener("click", () => this.keepMine());
    dialog.querySelector("#card-conflict-theirs").addEventListener("click", () => this.useTheirs());
    this.form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.save();
    });
    dialog.querySelector("#card-cancel").addEventListener("click", () => dialog.close());
    dialog.querySelector("#card-delete").addEventListener("click", () => this.remove());
    dialog.querySelector("#card-archive").addEventListener("click", () => this.archive());
    dialog.addEventListener("close", () => this.closed());
    this.writeTab.addEventListener("click", () => this.showPreview(false));
    this.previewTab.addEventListener("click", () => this.showPreview(true));
  }

  get card() {
    return this.board.state.cards.get(this.cardId);
  }

  open(cardId) {
    if (this.dialog.open || !this.board.state.cards.has(cardId)) return;
    this.cardId = cardId;
    this.lockHeld = false;
    this.locking = null;
    this.opened = { ...this.card };
    this.showConflict(null);
    this.fill(this.card);
    // A card with a description opens on its rendered text; "Write" edits it.
    this.showPreview(Boolean(this.card.description), this.card.description_html);
    this.showError("");
    this.showHeld();
    this.showWatching();
    this.dialog.showModal();
    this.dialog.dispatchEvent(new CustomEvent("kanban:card-opened", { bubbles: true, detail: { cardId } })); // its history
    this.comments.open(cardId);
    this.checklists.open(cardId);
    this.attachments.open(cardId);
    this.sender.open(cardId);
    (this.heldByOther() ? this.comments.composer : this.fields.title).focus();
  }

  /** Take the card for this connection once the person changes a field; resolves when it is taken (or refused). */
  startEditing() {
    if (this.lockHeld || this.locking || this.cardId === null) return this.locking ?? Promise.resolve();
    const cardId = this.cardId;
    this.locking = this.board
      .send({ type: "card.lock", card: cardId, reason: "edit" })
      .then(() => {
        if (this.cardId !== cardId) {
          this.board.send({ type: "card.unlock", card: cardId }).catch(() => {});
          return;
        }
        this.lockHeld = true;
        this.renewTimer = setInterval(
          () => this.board.send({ type: "card.lock", card: cardId, reason: "edit" }).catch(() => {}),
          LOCK_RENEW_MS,
        );
      })
      .catch((error) => {
        if (this.cardId === cardId) this.showError(error.message);
      })
      .finally(() => {
        this.locking = null;
        this.showHeld();
      });
    return this.locking;
  }

  showWatching() {
    if (this.cardId === null) return;
    const watching = this.board.state.watching.has(this.cardId);
    this.watchButton.setAttribute("aria-pressed", String(watching));
    this.watchButton.textContent = watching ? "Watching" : "Watch";
  }

  async toggleWatching() {
    const watching = !this.board.state.watching.has(this.cardId);
    try {
      await this.board.send({ type: "card.watch", card: this.cardId, watching });
      if (watching) this.board.state.watching.add(this.cardId);
      else this.board.state.watching.delete(this.cardId);
      this.showWatching();
    } catch (error) {
      this.showError(error.message);
    }
  }

  /** Whether another connection (someone else, or this person in another tab) holds the open card. */
  heldByOther() {
    const lock = this.card?.lock;
    return Boolean(lock && lock.conn !== this.board.me()?.conn && (!lock.deadline || lock.deadline > Date.now()));
  }

  /** While someone else edits the card its fields are read-only here, and say who; comments stay open. */
  showHeld() {
    const held = this.heldByOther();
    const lock = this.card?.lock;
    for (const control of this.form.querySelectorAll("input, textarea, select")) {
      if (!isOutsideTheFields(control)) control.disabled = held;
    }
    this.saveButton.disabled = held;
    this.deleteButton.disabled = held;
    this.archiveButton.disabled = held;
    this.held.hidden = !held;
    if (held) {
      this.held.textContent =
        lock.user.id === this.board.me()?.id
          ? "You are editing this card in another tab; its fields can be changed there."
          : `${lock.user.username} is editing this card: you can read it and comment meanwhile.`;
    }
  }

  fill(card) {
    this.fields.title.value = card.title;
    this.fields.description.value = card.description;
    for (const field of SCHEDULE_FIELDS) this.fields[field].value = card[field] ?? "";
    const assigned = new Set(card.assignees.map((user) => user.id));
    this.fields.assignees.replaceChildren(
      ...this.board.state.members.map((member) => {
        const option = element("label", "assignee-option");
        const box = document.createElement("input");
        box.type = "checkbox";
        box.value = String(member.id);
        box.checked = assigned.has(member.id);
        option.append(box, avatar(member), element("span", "", member.username));
        return option;
      }),
    );
    const labels = [...this.board.state.labels.values()].sort((a, b) => a.name.localeCompare(b.name));
    this.fields.labels.replaceChildren(
      ...labels.map((label) => {
        const option = element("label", "label-option");
        const box = document.createElement("input");
        box.type = "checkbox";
        box.value = String(label.id);
        box.checked = card.labels.includes(label.id);
        option.append(box, labelChip(label));
        return option;
      }),
    );
    if (!labels.length) this.fields.labels.append(element("span", "help", "No labels yet: add some with the Labels button."));
  }

  /** The fields the person changed from the card as they opened it. */
  changes() {
    const card = this.opened;
    const changes = {};
    const title = this.fields.title.value.trim();
    if (title !== card.title) changes.title = title;
    const description = this.fields.description.value;
    if (description.trim() !== card.description) changes.description = description;
    const assignees = [...this.fields.assignees.querySelectorAll("input:checked")].map((box) => Number(box.value)).sort((a, b) => a - b);
    if (JSON.stringify(assignees) !== JSON.stringify(card.assignees.map((user) => user.id).sort((a, b) => a - b))) changes.assignees = assignees;
    const labels = [...this.fields.labels.querySelectorAll("input:checked")].map((box) => Number(box.value)).sort((a, b) => a - b);
    if (JSON.stringify(labels) !== JSON.stringify([...card.labels].sort((a, b) => a - b))) changes.labels = labels;
    for (const field of SCHEDULE_FIELDS) {
      const value = this.fields[field].value || null;
      if (value !== (card[field] ?? null)) changes[field] = value;
    }
    return changes;
  }

  async save() {
    if (!this.fields.title.value.trim()) {
      this.showError("Give the card a title.");
      this.fields.title.focus();
      return;
    }
    const changes = this.changes();
    if (!Object.keys(changes).length) {
      this.dialog.close();
      return;
    }
    this.setBusy(true);
    await this.startEditing();
    try {
      await this.board.send({ type: "card.update", card: this.cardId, version: this.opened.version, ...changes });
      this.lockHeld = false; // saving released it
      this.board.madeOwnChange();
      this.dialog.close();
    } catch (error) {
      if (error.code === "conflict" && error.card) {
        const theirs = { ...this.card, ...error.card };
        this.board.state.cards.set(error.card.id, theirs);
        this.showConflict(theirs, changes);
      } else {
        this.showError(error.message);
      }
    } finally {
      this.setBusy(false);
    }
  }

  async remove() {
    const card = this.card;
    if (!window.confirm(`Delete “${card.title}”? You can undo this with Ctrl+Z.`)) return;
    this.deletingCardId = card.id; // its deletion, applied before the ack resolves, is ours: no notice
    try {
      await this.board.send({ type: "card.delete", card: card.id, version: card.version });
      this.board.madeOwnChange();
      this.dialog.close();
    } catch (error) {
      this.showError(error.message);
    } finally {
      this.deletingCardId = null;
    }
  }

  /** Take the card off the board into its archive (restored from the Archive dialog; Ctrl+Z undoes). */
  async archive() {
    const card = this.card;
    this.deletingCardId = card.id; // it leaves the board by our hand: no notice
    try {
      await this.board.send({ type: "card.archive", card: card.id, version: card.version });
      this.lockHeld = false; // archiving released it
      this.board.madeOwnChange();
      this.dialog.close();
      this.board.notify(`Archived “${card.title}”. Restore it from the Archive, or undo with Ctrl+Z.`);
    } catch (error) {
      this.showError(error.message);
    } finally {
      this.deletingCardId = null;
    }
  }

  closed() {
    clearInterval(this.renewTimer);
    this.comments.close();
    this.checklists.close();
    this.attachments.close();
    const cardId = this.cardId;
    this.cardId = null;
    if (this.lockHeld && this.board.state.cards.has(cardId)) {
      this.board.send({ type: "card.unlock", card: cardId }).catch(() => {});
    }
    this.lockHeld = false;
    this.board.focusCard(cardId);
  }

  /**
   * Called after every change to the board: close if the card is gone,
   * saying so unless we deleted it. Until the person changes a field, the
   * fields follow the card as others change it.
   */
  boardChanged() {
    if (this.cardId === null) return;
    if (!this.card) {
      if (this.cardId !== this.deletingCardId) this.board.notify("The card you had open was deleted or archived.");
      this.dialog.close();
      return;
    }
    const untouched = !this.lockHeld && !this.locking && !this.theirs;
    if (untouched && this.card.version !== this.opened.version) {
      this.opened = { ...this.card };
      this.fill(this.card);
      if (!this.fields.description.hidden) this.showPreview(false);
      else this.showPreview(true, this.card.description_html);
    }
    this.showHeld();
  }

  /** `savedHtml`: the saved description's HTML, shown without asking the server again. */
  async showPreview(previewing, savedHtml = null) {
    this.writeTab.setAttribute("aria-selected", String(!previewing));
    this.previewTab.setAttribute("aria-selected", String(previewing));
    this.fields.description.hidden = previewing;
    this.preview.hidden = !previewing;
    if (!previewing) return;
    if (savedHtml !== null) {
      this.preview.innerHTML = savedHtml; // sanitised by the server (nh3) when it was saved
      return;
    }
    this.preview.textContent = "Rendering…";
    try {
      const response = await fetch(this.previewUrl, {
        method: "POST",
        headers: { "X-CSRFToken": this.csrfToken, Accept: "application/json" },
        body: new URLSearchParams({ description: this.fields.description.value }),
        credentials: "same-origin",
      });
      const result = await response.json();
      if (!result.ok) throw new Error(result.error);
      // Sanitised by the server (nh3), exactly as a saved description is.
      this.preview.innerHTML = result.html || "<p class='muted'>Nothing to preview.</p>";
    } catch (error) {
      this.preview.textContent = `Preview unavailable: ${error.message}`;
    }
  }

  /**
   * Someone saved the card since it was opened: list each field the person
   * changed that now differs, theirs beside the person's, until they choose.
   */
  showConflict(theirs, changes = {}) {
    this.theirs = theirs;
    this.conflict.hidden = !theirs;
    if (!theirs) return;
    this.showError("");
    const shown = (field, card) => {
      if (field === "assignees") return card.assignees.map((user) => (typeof user === "number" ? this.memberName(user) : user.username)).join(", ") || "nobody";
      if (field === "labels") return card.labels.map((id) => this.board.state.labels.get(id)?.name ?? "?").join(", ") || "none";
      if (SCHEDULE_FIELDS.includes(field)) return card[field] ?? "none";
      return card[field] || "(empty)";
    };
    const mine = { ...theirs, ...changes };
    const names = {
      title: "Title", description: "Description", assignees: "Assignees", labels: "Labels", due: "Due date", due_time: "Due time",
      start: "Start date", start_time: "Start time",
    };
    const rows = Object.keys(changes)
      .filter((field) => shown(field, mine) !== shown(field, theirs))
      .flatMap((field) => [
        element("dt", "", names[field]),
        element("dd", "", `Theirs: ${shown(field, theirs)}`),
        element("dd", "", `Yours: ${shown(field, mine)}`),
      ]);
    this.conflict.querySelector("#card-conflict-fields").replaceChildren(...rows);
    this.conflict.querySelector("#card-conflict-mine").focus();
  }

  memberName(id) {
    return this.board.state.members.find((member) => member.id === id)?.username ?? "nobody";
  }

  /** Save the person's fields over the card as it is now, knowing what they replace. */
  keepMine() {
    this.opened = { ...this.theirs };
    this.showConflict(null);
    this.save();
  }

  /** Drop the person's changes for the card as it is now. */
  useTheirs() {
    this.opened = { ...this.theirs };
    this.showConflict(null);
    this.fill(this.opened);
    this.showPreview(false);
  }

  showError(message) {
    this.error.textContent = message;
    this.error.hidden = !message;
  }

  setBusy(busy) {
    for (const button of this.form.querySelectorAll("button")) {
      if (!isOutsideTheFields(button)) button.disabled = busy;
    }
    if (!busy) this.showHeld();
  }
}
