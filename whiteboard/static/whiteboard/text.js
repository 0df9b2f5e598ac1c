// Writing a text or sticky note in place: a textarea over the board where
// it will be, in its font at the board's zoom, growing with what is typed.
// Done (Escape, Ctrl+Enter, or clicking elsewhere), it hands over the text
// and the box it takes (geometry.js, layoutText): the page sends both, so
// every client and the SVG export draw it in the same box.

import { font, layoutText, LINE_HEIGHT, NOTE_PADDING, NOTE_RADIUS } from "./geometry.js";
import { roundCoordinate } from "./tools.js";

const MAX_TEXT_LENGTH = 5000; // as the server allows (docs/protocol.md)

export class TextEditor {
  /**
   * `onDone({tool, color, points, text, size, align, fill, element, blank,
   * unchanged})` when writing ends: what was written, in the box it takes.
   */
  constructor({ stage, canvas, onDone }) {
    this.stage = stage;
    this.canvas = canvas;
    this.onDone = onDone;
    this.measurer = document.createElement("canvas").getContext("2d");
    this.current = null;
  }

  get isOpen() {
    return this.current !== null;
  }

  /** The element being edited, or null. */
  get editing() {
    return this.current?.element ?? null;
  }

  /**
   * Start writing at `point` (board fractions, the box's top-left corner);
   * one already open is finished first. To edit a text or note, `element`
   * names it and `text` is what it says (`onDone` then gets both back); a
   * turned one is written turned (`angle`).
   */
  open({ tool, point, size, align, color, fill, text = "", element = null, angle = 0 }) {
    this.finish();
    const area = document.createElement("textarea");
    area.value = text;
    area.className = "wb-text-editor";
    area.dataset.kind = tool;
    area.maxLength = MAX_TEXT_LENGTH;
    area.wrap = "off";
    area.setAttribute("aria-label", tool === "note" ? "Sticky note" : "Text");
    area.addEventListener("input", () => this.place());
    area.addEventListener("keydown", (event) => {
      if (event.key === "Escape" || (event.key === "Enter" && (event.ctrlKey || event.metaKey))) {
        event.preventDefault();
        this.finish();
      }
    });
    area.addEventListener("blur", () => this.finish());
    this.current = { tool, point, size, align, color, fill, area, element, angle, original: text };
    this.stage.append(area);
    this.place();
    area.focus(); // at once: what is typed next goes in, not to the tools' shortcuts
  }

  /**
   * The size of the box `text` takes, in board pixels: what it needs, and
   * for a note being edited at least the size it has (it may have been resized larger).
   */
  box({ tool, size, element }, text) {
    this.measurer.font = font(size);
    const needed = layoutText({ tool, text: text || " ", size }, (line) => this.measurer.measureText(line).width);
    if (tool !== "note" || !element) return needed;
    const [[x1, y1], [x2, y2]] = element.points;
    return {
      width: Math.max(needed.width, Math.round(Math.abs(x2 - x1) * this.canvas.boardWidth)),
      height: Math.max(needed.height, Math.round(Math.abs(y2 - y1) * this.canvas.boardHeight)),
    };
  }

  /** Put the editor where the text goes, at the board's zoom (again after the view changes). */
  place() {
    if (!this.current) return;
    const { tool, point, size, align, color, fill, area, angle } = this.current;
    const scale = this.canvas.view.scale;
    const [left, top] = this.canvas.toScreen(point[0], point[1]);
    const { width, height } = this.box(this.current, area.value);
    const note = tool === "note";
    Object.assign(area.style, {
      left: `${left}px`,
      top: `${top}px`,
      width: `${(width + size) * scale}px`, // room for the caret past the last letter
      height: `${height * scale}px`,
      font: font(size * scale),
      lineHeight: String(LINE_HEIGHT),
      color,
      background: fill ?? "transparent",
      padding: note ? `${NOTE_PADDING * scale}px` : "0",
      borderRadius: note ? `${NOTE_RADIUS * scale}px` : "0",
      textAlign: align,
      transform: angle ? `rotate(${angle}rad)` : "",
      transformOrigin: `${(width * scale) / 2}px ${(height * scale) / 2}px`, // the box's centre, as the canvas turns it
    });
  }

  /** Stop writing and keep nothing of it (the text could not be held). */
  cancel() {
    const current = this.current;
    this.current = null;
    current?.area.remove();
  }

  /** Stop writing: hand over what was written, in the box it takes. */
  finish() {
    const current = this.current;
    if (!current) return;
    this.current = null;
    const { tool, point, size, align, color, fill, area, element, original } = current;
    const text = area.value;
    const { width, height } = this.box(current, text);
    area.remove();
    const [x, y] = point;
    const points = [[x, y], [roundCoordinate(x + width / this.canvas.boardWidth), roundCoordinate(y + height / this.canvas.boardHeight)]];
    const unchanged = element !== null && text === original;
    this.onDone({ tool, color, points, text, size, align, fill, element, blank: !text.trim(), unchanged });
  }
}
