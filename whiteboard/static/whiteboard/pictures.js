// Pictures on the board: a file picked, dropped or pasted is uploaded
// (images.json: checked and encoded again on the server, which answers with
// its id and size), then placed as an `image` element where it was
// dropped, or else in the middle of the view, at most MAX_SIDE board pixels
// on its longer side, its proportions kept; several at once a little apart.

import { roundCoordinate } from "./tools.js";

const MAX_SIDE = 600;
const ACCEPTED = new Set(["image/png", "image/jpeg", "image/webp", "image/gif"]);
const STEP_PX = 24; // several pictures at once go this far apart

export class Pictures {
  /** `board`: the page (canvas, toast, sendImage, ready); `imagesUrl`, `csrfToken`, `maxBytes` from its config. */
  constructor(board, { imagesUrl, csrfToken, maxBytes }) {
    this.board = board;
    this.imagesUrl = imagesUrl;
    this.csrfToken = csrfToken;
    this.maxBytes = maxBytes;
  }

  /** The files that are pictures, of those given (a drop or a paste may hold others). */
  static picturesIn(files) {
    return [...(files ?? [])].filter((file) => ACCEPTED.has(file.type) || /\.(png|jpe?g|webp|gif)$/i.test(file.name));
  }

  /** Upload and place each picture, one after the other, `at` a client position if given; what fails is said in a toast. */
  async add(files, { at = null } = {}) {
    let placed = 0;
    for (const file of files) {
      if (!this.board.ready) return;
      if (file.size > this.maxBytes) {
        this.board.toast(`“${file.name}” is too large: pictures may be at most ${Math.round(this.maxBytes / 1024 / 1024)} MB.`);
        continue;
      }
      try {
        const image = await this.upload(file);
        this.place(image, placed, at);
        placed += 1;
      } catch (error) {
        this.board.toast(error.message);
      }
    }
  }

  /** Fetch a picture of another board (one this person may open) and upload it to this one: {image, width, height}. */
  async copy(src) {
    const response = await fetch(src).catch(() => null);
    if (!response?.ok) throw new Error("A pasted picture could not be fetched from its board.");
    const blob = await response.blob();
    const extension = { "image/jpeg": "jpg", "image/webp": "webp", "image/gif": "gif" }[blob.type] ?? "png";
    return this.upload(new File([blob], `pasted.${extension}`, { type: blob.type }));
  }

  async upload(file) {
    const form = new FormData();
    form.append("file", file);
    let response;
    try {
      response = await fetch(this.imagesUrl, {
        method: "POST", body: form, headers: { "X-CSRFToken": this.csrfToken, Accept: "application/json" },
      });
    } catch {
      throw new Error(`“${file.name}” could not be uploaded: the connection failed.`);
    }
    const answer = await response.json().catch(() => ({}));
    if (!response.ok) throw new Error(answer.error || `“${file.name}” could not be uploaded (${response.status}).`);
    return answer;
  }

  /** Place an uploaded picture centred at `at` (client px) or in the view (the `index`-th of several a little further on). */
  place({ image, width, height }, index = 0, at = null) {
    const canvas = this.board.canvas;
    const scale = Math.min(1, MAX_SIDE / Math.max(width, height));
    const [w, h] = [width * scale, height * scale]; // board px
    const rect = canvas.canvas.getBoundingClientRect();
    const [cx, cy] = at ? canvas.toBoard(...at) : canvas.toBoard(rect.left + rect.width / 2, rect.top + rect.height / 2);
    const left = cx - w / 2 / canvas.boardWidth + (index * STEP_PX) / canvas.boardWidth;
    const top = cy - h / 2 / canvas.boardHeight + (index * STEP_PX) / canvas.boardHeight;
    const points = [
      [roundCoordinate(left), roundCoordinate(top)],
      [roundCoordinate(left + w / canvas.boardWidth), roundCoordinate(top + h / canvas.boardHeight)],
    ];
    this.board.sendImage({ image, points });
  }
}
