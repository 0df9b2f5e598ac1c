// The comments of the card open in the editor: loaded when it opens, kept
// live from the board's `comment.*` events, written with @mentions that
// autocomplete the board's members (Tribute). Comment bodies are HTML the
// server rendered and sanitised; everything else goes in as text.

import Tribute from "../vendor/tributejs-5.1.3/tribute.esm.js";
import { newClientKey } from "../js/connection.js";
import { avatar, element } from "./render.js";

const timeFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });

/** Newest first, as the server lists them. */
function newestFirst(a, b) {
  return b.created_at.localeCompare(a.created_at) || b.id - a.id;
}

export class CardComments {
  /** board: { state, send(message) -> Promise, me(), isOwner, madeOwnChange() } */
  constructor(section, board, { commentsUrl }) {
    this.section = section;
    this.board = board;
    this.commentsUrl = commentsUrl; // the URL of card 0's comments: `/cards/0/` becomes the card's id
    this.cardId = null;
    this.comments = new Map(); // id -> comment frame
    this.deleted = new Set(); // ids deleted since the card opened: a list loaded later may still hold them
    this.editing = null; // id of the comment being edited here
    this.editDraft = null; // its text as being edited, kept when the list is drawn again
    this.list = section.querySelector("#card-comments-list");
    this.status = section.querySelector("#card-comments-status");
    this.composer = section.querySelector("#comment-body");
    this.sendButton = section.querySelector("#comment-send");
    this.error = section.querySelector("#comment-error");
    this.heading = section.querySelector("#card-comments-heading");
    this.tribute = this.mentionMenu(this.composer);
    this.sendButton.addEventListener("click", () => this.create());
    this.composer.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
        event.preventDefault();
        this.create();
      }
    });
    this.list.addEventListener("click", (event) => this.clicked(event));
  }

  /**
   * The @mention menu of a text box: the board's members, shown at the
   * caret. The box sits in a `.mention-field`, which holds the menu: in the
   * dialog's top layer a menu on the page's body would be hidden behind it.
   */
  mentionMenu(textarea) {
    const tribute = new Tribute({
      values: (text, callback) => callback(this.board.state.members.map((member) => ({ key: member.username, value: member.username }))),
      menuContainer: textarea.closest(".mention-field"),
      // Usernames are letters, digits and @.+-_ only; still built as text.
      menuItemTemplate: (item) => element("span", "", `@${item.original.value}`).outerHTML,
      noMatchTemplate: () => "",
      replaceTextSuffix: " ",
    });
    tribute.attach(textarea);
    return tribute;
  }

  async open(cardId) {
    this.cardId = cardId;
    this.comments.clear();
    this.deleted.clear();
    this.editing = null;
    this.composer.value = "";
    this.showError("");
    this.render();
    this.status.textContent = "Loading comments…";
    try {
      const response = await fetch(this.commentsUrl.replace("/cards/0/", `/cards/${cardId}/`), {
        headers: { Accept: "application/json" },
        credentials: "same-origin",
      });
      const result = await response.json();
      if (!response.ok) throw new Error(result.error ?? `HTTP ${response.status}`);
      if (this.cardId !== cardId) return;
      // Events received while loading are newer than or as new as the list: keep the newest version of each.
      for (const comment of result.comments) {
        const known = this.comments.get(comment.id);
        if (!this.deleted.has(comment.id) && (!known || known.version < comment.version)) this.comments.set(comment.id, comment);
      }
      this.status.textContent = "";
    } catch (error) {
      if (this.cardId === cardId) this.status.textContent = `Comments could not be loaded: ${error.message}`;
    }
    this.render();
  }

  close() {
    this.cardId = null;
    this.tribute.hideMenu();
  }

  /** A stored event (someone else's, or our own from its ack): follow it if it is about the open card. */
  apply(frame) {
    if (this.cardId === null) return;
    if (frame.type === "comment.created" || frame.type === "comment.updated") {
      if (frame.comment.card !== this.cardId) return;
      const known = this.comments.get(frame.comment.id);
      if (known && known.version > frame.comment.version) return;
      this.deleted.delete(frame.comment.id);
      this.comments.set(frame.comment.id, frame.comment);
      this.render();
    } else if (frame.type === "comment.deleted" && frame.card === this.cardId) {
      this.comments.delete(frame.comment);
      this.deleted.add(frame.comment);
      if (this.editing === frame.comment) this.editing = null;
      this.render();
    }
  }

  async create() {
    const body = this.composer.value;
    if (!body.trim() || this.cardId === null) return;
    this.showError("");
    this.sendButton.disabled = true;
    try {
      await this.board.send({ type: "comment.create", card: this.cardId, body, key: newClientKey() });
      this.board.madeOwnChange();
      this.composer.value = "";
    } catch (error) {
      this.showError(error.message); // the text stays, to change and send again
    } finally {
      this.sendButton.disabled = false;
      this.composer.focus();
    }
  }

  clicked(event) {
    const item = event.target.closest(".comment");
    if (!item) return;
    const comment = this.comments.get(Number(item.dataset.commentId));
    if (!comment) return;
    if (event.target.closest(".comment-edit")) {
      this.editing = comment.id;
      this.editDraft = null;
      this.render();
      const box = this.list.querySelector(".comment-edit-body");
      box.focus();
      box.setSelectionRange(box.value.length, box.value.length);
    } else if (event.target.closest(".comment-cancel")) {
      this.editing = null;
      this.render();
    } else if (event.target.closest(".comment-save")) {
      this.update(comment, item.querySelector(".comment-edit-body"));
    } else if (event.target.closest(".comment-delete")) {
      this.remove(comment);
    }
  }

  async update(comment, box) {
    const body = box.value;
    const problem = box.parentElement.querySelector(".comment-problem");
    if (body.trim() === comment.body) {
      this.editing = null;
      this.render();
      return;
    }
    try {
      await this.board.send({ type: "comment.update", comment: comment.id, version: comment.version, body });
      this.board.madeOwnChange();
      this.editing = null;
      this.render();
    } catch (error) {
      if (error.code === "conflict" && error.comment) {
        // Edited meanwhile (in another tab, or in the admin): show theirs, keep the person's text to reapply.
        this.comments.set(error.comment.id, error.comment);
        problem.textContent = "This comment was changed since you opened it; its text now is shown above. Save again to replace it.";
        const shown = box.closest(".comment").querySelector(".comment-body");
        shown.innerHTML = error.comment.body_html; // sanitised by the server
        shown.hidden = false;
      } else {
        problem.textContent = error.message;
      }
      problem.hidden = false;
    }
  }

  async remove(comment) {
    if (!window.confirm("Delete this comment? You can undo this with Ctrl+Z.")) return;
    try {
      await this.board.send({ type: "comment.delete", comment: comment.id, version: comment.version });
      this.board.madeOwnChange();
    } catch (error) {
      this.showError(error.message);
    }
  }

  /** Draw the list again; an edit in progress keeps its text, caret and focus. */
  render() {
    const me = this.board.me();
    const comments = [...this.comments.values()].sort(newestFirst);
    this.heading.textContent = comments.length ? `Comments (${comments.length})` : "Comments";
    const oldBox = this.list.querySelector(".comment-edit-body");
    const focused = oldBox !== null && oldBox === document.activeElement;
    const caret = focused ? [oldBox.selectionStart, oldBox.selectionEnd] : null;
    if (oldBox) {
      this.editTribute?.detach(oldBox);
      this.editTribute?.menu?.remove();
      this.editTribute = null;
    }
    if (this.editing === null) this.editDraft = null;
    this.pendingEditBox = null;
    this.list.replaceChildren(...comments.map((comment) => this.item(comment, me)));
    if (this.pendingEditBox) this.editTribute = this.mentionMenu(this.pendingEditBox);
    const box = this.list.querySelector(".comment-edit-body");
    if (box && focused) {
      box.focus();
      box.setSelectionRange(...caret);
    }
  }

  item(comment, me) {
    const item = element("li", "comment");
    item.dataset.commentId = comment.id;
    const head = element("div", "comment-head");
    const author = comment.author ?? { username: "a former member" };
    head.append(avatar(author), element("strong", "comment-author", author.username));
    const when = element("time", "comment-time", timeFormat.format(new Date(comment.created_at)));
    when.dateTime = comment.created_at;
    head.append(when);
    if (comment.edited_at) {
      const edited = element("span", "comment-edited", "(edited)");
      edited.title = `Edited ${timeFormat.format(new Date(comment.edited_at))}`;
      head.append(edited);
    }
    const mine = Boolean(me && comment.author?.id === me.id);
    const actions = element("span", "comment-actions");
    if (mine && this.editing !== comment.id) actions.append(this.button("Edit", "comment-edit", comment));
    if (mine || this.board.isOwner) actions.append(this.button("Delete", "comment-delete", comment));
    head.append(actions);
    const body = element("div", "comment-body markdown");
    body.innerHTML = comment.body_html; // sanitised by the server (nh3), as descriptions are
    for (const mention of body.querySelectorAll(".mention")) {
      if (me && mention.textContent === `@${me.username}`) mention.classList.add("is-me");
    }
    item.append(head, body);
    if (this.editing === comment.id) {
      body.hidden = true;
      const box = element("textarea", "comment-edit-body");
      box.value = this.editDraft ?? comment.body;
      box.addEventListener("input", () => (this.editDraft = box.value));
      box.rows = 4;
      box.maxLength = this.composer.maxLength;
      box.setAttribute("aria-label", "Edit your comment");
      const field = element("div", "mention-field");
      field.append(box);
      box.addEventListener("keydown", (event) => {
        if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
          event.preventDefault();
          this.update(comment, box);
        } else if (event.key === "Escape" && !this.editTribute?.isActive) {
          event.preventDefault();
          event.stopPropagation();
          this.editing = null;
          this.render();
        }
      });
      const problem = element("p", "form-errors comment-problem");
      problem.setAttribute("role", "alert");
      problem.hidden = true;
      const buttons = element("div", "comment-edit-actions");
      buttons.append(this.button("Save", "comment-save primary", comment), this.button("Cancel", "comment-cancel", comment));
      item.append(field, problem, buttons);
      this.pendingEditBox = box;
    }
    return item;
  }

  button(text, className, comment) {
    const button = element("button", `button subtle ${className}`, text);
    button.type = "button";
    button.setAttribute("aria-label", `${text} the comment of ${comment.author?.username ?? "a former member"}`);
    return button;
  }

  showError(message) {
    this.error.textContent = message;
    this.error.hidden = !message;
  }
}
