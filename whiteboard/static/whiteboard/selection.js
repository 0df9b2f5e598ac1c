// The select tool: click an element to select it (Shift+click adds or
// removes one), drag on empty board for a marquee, drag the selection to
// move it, drag a handle of its box to resize it (a corner keeps its shape
// when it holds a text or picture, or with Shift) or the round one above to
// turn it (Shift: in steps of 15°). Dragging holds the selection (the others
// see it move, with the mover's name, and cannot move it meanwhile); the
// change is sent once, when the pointer is released, as one `move` or
// `transform` of every selected element. Keys: Delete or Backspace erase the
// selection, the arrow keys nudge it (Shift: ten times as far), Escape lets
// it go, Ctrl+A selects everything, Ctrl+D duplicates (copy and paste:
// clipboard.js), Shift+Alt+C copies it as a PNG for other apps,
// Ctrl+Shift+] and Ctrl+Shift+[ bring it to the front and send it to the
// back, Shift+2 zooms to the selection.

import { HANDLE_PX, handlePoints, ROTATE_HANDLE_PX } from "./canvas.js";
import { clipboardText, parseClipboard } from "./clipboard.js";
import { isAttached, TEXT_TOOLS } from "./geometry.js";
import { strokeTouches } from "./tools.js";

const HIT_RADIUS_PX = 6; // how near the pointer must be to a line to pick it, in CSS px
const NUDGE_PX = 1; // board pixels per arrow key press
const NUDGE_SHIFT_PX = 10;
const MIN_DRAG_PX = 2; // CSS px: less is a click, not a move
const MIN_SCALE = 0.01; // as the protocol's 1/MAX_SCALE
const TURN_STEP = Math.PI / 12; // Shift held while turning: steps of 15°
const OPPOSITE = { nw: "se", n: "s", ne: "sw", e: "w", se: "nw", s: "n", sw: "ne", w: "e" };
const CURSORS = {
  nw: "nwse-resize", se: "nwse-resize", ne: "nesw-resize", sw: "nesw-resize", n: "ns-resize", s: "ns-resize",
  e: "ew-resize", w: "ew-resize", rotate: "grab",
};

function round(value, decimals) {
  const factor = 10 ** decimals;
  return Math.round(value * factor) / factor;
}

export class Selection {
  /** `board`: what the tools get (canvas, state, sendMove, erase, ready), and hold/drag/release for a drag. */
  constructor(board) {
    this.board = board;
    this.canvas = board.canvas;
    this.ids = new Set();
    this.drag = null; // {start, dx, dy} in board px, while the selection is dragged
    this.transform = null; // {handle, origin, grab, params} while it is resized or turned (board px; params as sent)
    this.marquee = null; // {start, end} in board px, while one is drawn
  }

  /** The selected elements still on the board (others may erase them meanwhile). */
  selected() {
    return [...this.ids].map((id) => this.board.state.get(id)).filter((stroke) => stroke && !stroke.hidden);
  }

  clear() {
    if (!this.ids.size && !this.marquee) return;
    this.ids.clear();
    this.marquee = null;
    this.changed();
  }

  changed() {
    this.canvas.requestRender();
    this.board.selectionChanged?.(this.ids.size);
  }

  /** The topmost visible element at (x, y) board px, or null. */
  elementAt(x, y) {
    const { boardWidth, boardHeight } = this.canvas;
    const radius = HIT_RADIUS_PX / this.canvas.view.scale;
    const visible = this.board.state.visible();
    for (let index = visible.length - 1; index >= 0; index -= 1) {
      const stroke = visible[index];
      const drawn = isAttached(stroke) ? { ...stroke, points: this.canvas.pointsOf(stroke) } : stroke;
      if (strokeTouches(drawn, x, y, radius, boardWidth, boardHeight)) return stroke;
    }
    return null;
  }

  /** An element of the selection if (x, y) board px is inside the selection's box, else null. */
  selectedAround(x, y) {
    const box = this.box();
    return box && x >= box[0] && x <= box[2] && y >= box[1] && y <= box[3] ? this.selected()[0] : null;
  }

  /** The box around the selection, [left, top, right, bottom] in board px, or null. */
  box() {
    const boxes = this.selected().map((stroke) => this.canvas.extent(stroke));
    if (!boxes.length) return null;
    return [
      Math.min(...boxes.map((box) => box[0])), Math.min(...boxes.map((box) => box[1])),
      Math.max(...boxes.map((box) => box[2])), Math.max(...boxes.map((box) => box[3])),
    ];
  }

  /**
   * The handle of the selection's box at (x, y) board px: "rotate", a side
   * or corner ("nw", "n", ...), or null; a `touch` reaches further.
   */
  handleAt(x, y, { touch = false } = {}) {
    const box = this.box();
    if (!box) return null;
    const pixel = 1 / this.canvas.view.scale;
    const reach = (HANDLE_PX / 2 + (touch ? 12 : 4)) * pixel; // a finger is less precise than a mouse
    if (Math.hypot(x - (box[0] + box[2]) / 2, y - (box[1] - ROTATE_HANDLE_PX * pixel)) <= reach) return "rotate";
    // Inside the box a handle reaches in at most a third of its size: the middle of a small
    // selection (a word of text on a phone) is still where a finger takes it to move it.
    const inside = x > box[0] && x < box[2] && y > box[1] && y < box[3];
    const [reachX, reachY] = inside ? [Math.min(reach, (box[2] - box[0]) / 3), Math.min(reach, (box[3] - box[1]) / 3)] : [reach, reach];
    for (const [name, [handleX, handleY]] of Object.entries(handlePoints(box))) {
      if (Math.abs(x - handleX) <= reachX && Math.abs(y - handleY) <= reachY) return name;
    }
    return null;
  }

  /** The pointer moves over the board with nothing pressed: show what a handle under it would do. */
  hover(event) {
    const handle = this.ids.size ? this.handleAt(...this.pixel(event)) : null;
    this.canvas.canvas.style.cursor = handle ? CURSORS[handle] : "";
  }

  pixel(event) {
    const [x, y] = this.canvas.toBoard(event.clientX, event.clientY);
    return [x * this.canvas.boardWidth, y * this.canvas.boardHeight];
  }

  down(event) {
    const start = this.pixel(event);
    const handle = this.ids.size && !event.shiftKey ? this.handleAt(...start, { touch: event.pointerType === "touch" }) : null;
    if (handle) {
      this.startTransform(handle, start);
      return;
    }
    // A press inside the selection's box takes the selection, as one on an element of it
    // does: an outline or a thin line is hard to hit, with a finger most of all.
    const hit = this.elementAt(...start) ?? (event.shiftKey ? null : this.selectedAround(...start));
    if (hit && event.shiftKey) {
      if (this.ids.has(hit.id)) this.ids.delete(hit.id);
      else this.ids.add(hit.id);
    } else if (hit && !this.ids.has(hit.id)) {
      this.ids = new Set([hit.id]);
    } else if (!hit) {
      if (!event.shiftKey) this.ids.clear();
      this.marquee = { start, end: start, adding: event.shiftKey };
    }
    if (hit && this.ids.has(hit.id)) {
      const holder = this.board.holderOf(this.selected().map((stroke) => stroke.id));
      if (holder) {
        this.board.toast(`${holder} is moving that right now.`);
      } else {
        const drag = { start, client: [event.clientX, event.clientY], dx: 0, dy: 0 };
        this.drag = drag;
        this.canvas.invalidateBase(); // what moves is drawn over the base, not in it
        this.board.holdSelection(this.selected().map((stroke) => stroke.id)).catch(() => {
          if (this.drag === drag) this.cancel(); // someone else got there first
        });
      }
    }
    this.changed();
  }

  /** Start resizing (from a side or corner, the opposite one staying put) or turning (about the box's centre). */
  startTransform(handle, start) {
    const box = this.box();
    const corners = handlePoints(box);
    const origin = handle === "rotate" ? [(box[0] + box[2]) / 2, (box[1] + box[3]) / 2] : corners[OPPOSITE[handle]];
    const grabbed = handle === "rotate" ? start : corners[handle];
    const transform = { handle, origin, grab: [grabbed[0] - start[0], grabbed[1] - start[1]], reference: grabbed, params: null };
    this.transform = transform;
    this.canvas.invalidateBase(); // what changes is drawn over the base, not in it
    this.board.holdSelection(this.selected().map((stroke) => stroke.id), "resize").catch(() => {
      if (this.transform === transform) this.cancel();
    });
    this.changed();
  }

  /** The transform the pointer at (x, y) board px makes: {x, y, sx, sy, angle}, origin in board fractions, as sent. */
  transformTo(x, y, event) {
    const { handle, origin: [ox, oy], grab, reference: [rx, ry] } = this.transform;
    let [sx, sy, angle] = [1, 1, 0];
    if (handle === "rotate") {
      angle = Math.atan2(y - oy, x - ox) - Math.atan2(ry - oy, rx - ox);
      if (event.shiftKey) angle = Math.round(angle / TURN_STEP) * TURN_STEP;
      angle = Math.atan2(Math.sin(angle), Math.cos(angle));
    } else {
      const [px, py] = [x + grab[0], y + grab[1]];
      if (handle.includes("e") || handle.includes("w")) sx = Math.abs(rx - ox) > 1e-6 ? (px - ox) / (rx - ox) : 1;
      if (handle.includes("n") || handle.includes("s")) sy = Math.abs(ry - oy) > 1e-6 ? (py - oy) / (ry - oy) : 1;
      const corner = handle.length === 2;
      const keepsShape = this.selected().some((stroke) => TEXT_TOOLS.has(stroke.tool) || stroke.tool === "image");
      if (corner && keepsShape !== event.shiftKey) {
        const even = Math.max(Math.abs(sx), Math.abs(sy));
        [sx, sy] = [Math.sign(sx || 1) * even, Math.sign(sy || 1) * even];
      }
      [sx, sy] = [sx, sy].map((scale) => (Math.abs(scale) < MIN_SCALE ? Math.sign(scale || 1) * MIN_SCALE : scale));
    }
    return {
      x: round(ox / this.canvas.boardWidth, 4), y: round(oy / this.canvas.boardHeight, 4),
      sx: round(sx, 6), sy: round(sy, 6), angle: round(angle, 6),
    };
  }

  move(event) {
    const [x, y] = this.pixel(event);
    if (this.transform) {
      this.transform.params = this.transformTo(x, y, event);
      this.board.dragTransform(this.transform.params);
    } else if (this.drag) {
      this.drag.dx = x - this.drag.start[0];
      this.drag.dy = y - this.drag.start[1];
      this.board.dragSelection(this.drag.dx / this.canvas.boardWidth, this.drag.dy / this.canvas.boardHeight);
    } else if (this.marquee) {
      this.marquee.end = [x, y];
    } else {
      return;
    }
    this.canvas.requestRender();
  }

  up(event, { cancelled = false } = {}) {
    const drag = this.drag;
    const marquee = this.marquee;
    const transform = this.transform;
    this.drag = null;
    this.marquee = null;
    this.transform = null;
    if (transform) {
      const { params } = transform;
      const changes = params && (params.sx !== 1 || params.sy !== 1 || params.angle !== 0);
      if (changes && !cancelled) this.board.sendTransform(this.selected().map((stroke) => stroke.id), params);
      else this.canvas.invalidateBase();
      this.board.releaseSelection();
    } else if (drag) {
      const moved = Math.hypot(event.clientX - drag.client[0], event.clientY - drag.client[1]) >= MIN_DRAG_PX;
      if (moved && !cancelled) this.moveBy(drag.dx, drag.dy);
      else this.canvas.invalidateBase();
      this.board.releaseSelection();
    } else if (marquee && !cancelled) {
      const [left, right] = [Math.min(marquee.start[0], marquee.end[0]), Math.max(marquee.start[0], marquee.end[0])];
      const [top, bottom] = [Math.min(marquee.start[1], marquee.end[1]), Math.max(marquee.start[1], marquee.end[1])];
      for (const stroke of this.board.state.visible()) {
        const [minX, minY, maxX, maxY] = this.canvas.extent(stroke);
        if (minX >= left && maxX <= right && minY >= top && maxY <= bottom) this.ids.add(stroke.id);
      }
    }
    this.changed();
  }

  /** The pointer was taken away mid-drag (another tool, a pinch): nothing moves. */
  cancel() {
    if (this.drag || this.transform) {
      this.canvas.invalidateBase();
      this.board.releaseSelection();
    }
    this.drag = null;
    this.transform = null;
    this.marquee = null;
    this.changed();
  }

  /** Fit the selection in the window. */
  zoomToSelection() {
    const boxes = this.selected().map((stroke) => this.canvas.extent(stroke));
    if (!boxes.length) return;
    const [left, top] = [Math.min(...boxes.map((box) => box[0])), Math.min(...boxes.map((box) => box[1]))];
    const [right, bottom] = [Math.max(...boxes.map((box) => box[2])), Math.max(...boxes.map((box) => box[3]))];
    const margin = 24;
    this.canvas.fitted = false;
    this.canvas.showArea(left - margin, top - margin, right - left + 2 * margin, bottom - top + 2 * margin);
  }

  /** Send the move of the selection by (dx, dy) board px. */
  moveBy(dx, dy) {
    const ids = this.selected().map((stroke) => stroke.id);
    if (!ids.length || !this.board.ready) return;
    this.board.sendMove(ids, dx / this.canvas.boardWidth, dy / this.canvas.boardHeight);
  }

  /** A key the selection answers; returns whether it did. */
  key(event) {
    const key = event.key;
    if ((event.ctrlKey || event.metaKey) && key.toLowerCase() === "a") {
      this.ids = new Set(this.board.state.visible().map((stroke) => stroke.id));
      this.changed();
      return true;
    }
    if (!this.ids.size) return false;
    if ((event.ctrlKey || event.metaKey) && key.toLowerCase() === "d") {
      this.duplicate();
      return true;
    }
    if (key === "Escape") {
      this.clear();
      return true;
    }
    if ((event.ctrlKey || event.metaKey) && event.shiftKey && (event.code === "BracketRight" || event.code === "BracketLeft")) {
      this.reorder(event.code === "BracketRight" ? "front" : "back");
      return true;
    }
    if (event.shiftKey && event.altKey && event.code === "KeyC") {
      this.board.copyAs("png");
      return true;
    }
    if (event.shiftKey && event.code === "Digit2") {
      this.zoomToSelection();
      return true;
    }
    if (key === "Delete" || key === "Backspace") {
      this.erase();
      return true;
    }
    const steps = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] }[key];
    if (!steps) return false;
    const distance = event.shiftKey ? NUDGE_SHIFT_PX : NUDGE_PX;
    this.moveBy(steps[0] * distance, steps[1] * distance);
    return true;
  }

  /** Draw the selection again beside itself (clipboard.js); the copy is selected. */
  duplicate() {
    const selected = this.selected();
    if (!selected.length || !this.board.ready) return;
    const text = clipboardText(selected, (stroke) => this.canvas.pointsOf(stroke), (image) => this.board.pictureUrl(image));
    this.board.paste(parseClipboard(text), { aside: true });
  }

  erase() {
    const ids = this.selected().map((stroke) => stroke.id);
    if (ids.length && this.board.ready) this.board.erase(ids);
    this.clear();
  }

  /** Put the selection in front of everything else, or behind it. */
  reorder(place) {
    const ids = this.selected().map((stroke) => stroke.id);
    if (ids.length && this.board.ready) this.board.sendOrder(ids, place);
  }

  /**
   * What the canvas draws for the selection: the ids moving and by how much
   * (board px) or how they are being transformed, the boxes, the box with
   * its handles, the marquee.
   */
  scene() {
    const { drag, transform } = this;
    const selected = this.selected();
    return {
      moving: drag || transform ? this.ids : null,
      offset: drag ? [drag.dx, drag.dy] : [0, 0],
      transform: transform?.params ?? null,
      selected,
      marquee: this.marquee,
      box: selected.length && !this.marquee ? this.box() : null,
    };
  }
}
