// The files of the card open in the editor: loaded when it opens, kept live
// from the board's `attachment.*` events. Files are added by choosing them,
// dropping them on the section or pasting an image, each sent over HTTP
// (a websocket frame is no place for a file); the server's event then adds
// it here and on everyone's page. Names are shown as text, never as HTML.

import { newClientKey } from "../js/connection.js";
import { element } from "./render.js";

const timeFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });

export function sizeInWords(bytes) {
  if (bytes < 1024) return `${bytes} bytes`;
  const units = ["KB", "MB", "GB"];
  let size = bytes / 1024;
  let unit = 0;
  while (size >= 1024 && unit < units.length - 1) {
    size /= 1024;
    unit += 1;
  }
  return `${size.toFixed(size < 10 ? 1 : 0).replace(/\.0$/, "")} ${units[unit]}`;
}

/** `/files/0/` of a board's file URL becomes the file's id. */
export function fileUrl(template, id, { thumbnail = false } = {}) {
  return template.replace("/files/0/", `/files/${id}/`) + (thumbnail ? "thumbnail/" : "");
}

export class CardAttachments {
  /** board: { state, send(message) -> Promise, me(), isOwner, madeOwnChange(), notify(message) } */
  constructor(section, board, { attachmentsUrl, fileUrl: fileTemplate, csrfToken, maxBytes }) {
    this.section = section;
    this.board = board;
    this.attachmentsUrl = attachmentsUrl; // card 0's: `/cards/0/` becomes the card's id
    this.fileTemplate = fileTemplate;
    this.csrfToken = csrfToken;
    this.maxBytes = maxBytes;
    this.cardId = null;
    this.files = new Map(); // id -> attachment frame
    this.gone = new Set(); // ids removed since the card opened: a list loaded later may still hold them
    this.uploading = new Map(); // a key -> the name of a file being sent
    this.list = section.querySelector("#card-attachments-list");
    this.status = section.querySelector("#card-attachments-status");
    this.error = section.querySelector("#attachment-error");
    this.input = section.querySelector("#attachment-file");
    section.querySelector("#attachment-choose").addEventListener("click", () => this.input.click());
    this.input.addEventListener("change", () => {
      this.upload([...this.input.files]);
      this.input.value = "";
    });
    section.addEventListener("dragover", (event) => {
      if (!event.dataTransfer?.types.includes("Files")) return;
      event.preventDefault();
      section.classList.add("is-drop-target");
    });
    section.addEventListener("dragleave", (event) => {
      if (!section.contains(event.relatedTarget)) section.classList.remove("is-drop-target");
    });
    section.addEventListener("drop", (event) => {
      section.classList.remove("is-drop-target");
      if (!event.dataTransfer?.files.length) return;
      event.preventDefault();
      this.upload([...event.dataTransfer.files]);
    });
    // A pasted image (a screenshot) anywhere in the open card, except into a text box.
    section.closest("dialog")?.addEventListener("paste", (event) => {
      const files = [...(event.clipboardData?.files ?? [])];
      if (!files.length || this.cardId === null) return;
      event.preventDefault();
      this.upload(files.map((file, index) => (file.name && file.name !== "image.png"
        ? file : new File([file], `Pasted image ${new Date().toISOString().slice(0, 19).replace("T", " ")}${index ? ` ${index + 1}` : ""}.png`, { type: file.type }))));
    });
    this.list.addEventListener("click", (event) => this.clicked(event));
  }

  async open(cardId) {
    this.cardId = cardId;
    this.files.clear();
    this.gone.clear();
    this.showError("");
    this.render();
    try {
      const response = await fetch(this.attachmentsUrl.replace("/cards/0/", `/cards/${cardId}/`), {
        headers: { Accept: "application/json" }, credentials: "same-origin",
      });
      const result = await response.json();
      if (!response.ok) throw new Error(result.error ?? `HTTP ${response.status}`);
      if (this.cardId !== cardId) return;
      for (const file of result.attachments) if (!this.gone.has(file.id)) this.files.set(file.id, file);
      this.status.textContent = "";
    } catch (error) {
      if (this.cardId === cardId) this.status.textContent = `Files could not be loaded: ${error.message}`;
    }
    this.render();
  }

  close() {
    this.cardId = null;
  }

  /** A stored event about files: follow it if it is about the open card. */
  apply(frame) {
    if (this.cardId === null || frame.card !== this.cardId) return;
    if (frame.type === "attachment.created" || frame.type === "attachment.restored") {
      this.gone.delete(frame.attachment.id);
      this.files.set(frame.attachment.id, frame.attachment);
    } else if (frame.type === "attachment.removed" || frame.type === "attachment.deleted") {
      this.files.delete(frame.attachment);
      this.gone.add(frame.attachment);
    }
    this.render();
  }

  /** The open card's face changed (its cover): the buttons follow it. */
  cardChanged(cardId) {
    if (cardId === this.cardId) this.render();
  }

  async upload(files) {
    const cardId = this.cardId;
    if (cardId === null) return;
    this.showError("");
    const problems = [];
    await Promise.all(files.map(async (file) => {
      if (file.size > this.maxBytes) {
        problems.push(`“${file.name}” is ${sizeInWords(file.size)}; files may be at most ${sizeInWords(this.maxBytes)}.`);
        return;
      }
      const key = newClientKey(); // not crypto.randomUUID: it needs a secure context
      this.uploading.set(key, file.name);
      this.render();
      try {
        const form = new FormData();
        form.append("file", file);
        const response = await fetch(this.attachmentsUrl.replace("/cards/0/", `/cards/${cardId}/`), {
          method: "POST", body: form, credentials: "same-origin",
          headers: { "X-CSRFToken": this.csrfToken, Accept: "application/json" },
        });
        const result = await response.json().catch(() => ({ error: `HTTP ${response.status}` }));
        if (!response.ok) throw new Error(result.error ?? `HTTP ${response.status}`);
        this.board.madeOwnChange();
        // The event may come after the answer: show the file at once (the event changes nothing more).
        if (this.cardId === cardId && !this.gone.has(result.attachment.id)) this.files.set(result.attachment.id, result.attachment);
      } catch (error) {
        problems.push(`“${file.name}” was not attached: ${error.message}`);
      } finally {
        this.uploading.delete(key);
        this.render();
      }
    }));
    this.showError(problems.join(" "));
  }

  render() {
    const card = this.cardId === null ? null : this.board.state.cards.get(this.cardId);
    const me = this.board.me();
    const sorted = [...this.files.values()].sort((a, b) => a.created_at.localeCompare(b.created_at) || a.id - b.id);
    const items = sorted.map((file) => {
      const item = element("li", "attachment");
      item.dataset.attachmentId = file.id;
      const link = element("a", "attachment-preview");
      link.href = fileUrl(this.fileTemplate, file.id);
      if (file.image) {
        link.target = "_blank";
        link.rel = "noopener";
        const image = element("img");
        image.src = fileUrl(this.fileTemplate, file.id, { thumbnail: true });
        image.alt = "";
        image.loading = "lazy";
        link.append(image);
      } else {
        link.append(element("span", "attachment-kind", (file.name.split(".").pop() || "file").slice(0, 4).toUpperCase()));
      }
      link.setAttribute("aria-label", `${file.image ? "Open" : "Download"} ${file.name}`);
      const about = element("div", "attachment-about");
      const name = element("a", "attachment-name", file.name);
      name.href = link.href;
      if (file.image) {
        name.target = "_blank";
        name.rel = "noopener";
      } else {
        name.download = file.name;
      }
      const who = file.uploaded_by ? file.uploaded_by.username : "a former member";
      about.append(name, element("span", "muted", `${sizeInWords(file.size)} · ${who} · ${timeFormat.format(new Date(file.created_at))}`));
      const actions = element("div", "attachment-actions");
      if (file.image && card) {
        const isCover = card.cover === file.id;
        const cover = element("button", "button subtle attachment-cover", isCover ? "Remove cover" : "Make cover");
        cover.type = "button";
        cover.setAttribute("aria-label", `${isCover ? "Remove the cover" : "Make the cover"}: ${file.name}`);
        cover.setAttribute("aria-pressed", String(isCover));
        actions.append(cover);
      }
      if (me && (file.uploaded_by?.id === me.id || this.board.isOwner)) {
        const remove = element("button", "button subtle danger attachment-remove", "Remove");
        remove.type = "button";
        remove.setAttribute("aria-label", `Remove ${file.name}`);
        actions.append(remove);
      }
      about.append(actions);
      item.append(link, about);
      return item;
    });
    for (const name of this.uploading.values()) {
      items.push(element("li", "attachment is-pending", `Uploading “${name}”…`));
    }
    this.list.replaceChildren(...items);
    if (!items.length && !this.status.textContent.startsWith("Files could not")) this.status.textContent = "";
  }

  async clicked(event) {
    const item = event.target.closest(".attachment");
    if (!item || !item.dataset.attachmentId) return;
    const id = Number(item.dataset.attachmentId);
    const file = this.files.get(id);
    const card = this.board.state.cards.get(this.cardId);
    this.showError("");
    try {
      if (event.target.closest(".attachment-remove")) {
        await this.board.send({ type: "attachment.remove", attachment: id });
      } else if (event.target.closest(".attachment-cover") && card) {
        await this.board.send({ type: "card.cover", card: card.id, attachment: card.cover === id ? null : id });
      } else {
        return;
      }
      this.board.madeOwnChange();
    } catch (error) {
      this.showError(`${file?.name ?? "The file"}: ${error.message}`);
    }
  }

  showError(message) {
    this.error.textContent = message;
    this.error.hidden = !message;
  }
}
