// The select tool: click an element to select it (Shift+click adds or
// removes one), drag on empty board for a marquee, drag the selection to
// move it. Dragging holds the selection (the others see it move, with the
// mover's name, and cannot move it meanwhile); the move is sent once, when
// the pointer is released, as one `move` of every selected element. Keys: Delete or Backspace erase the selection,
// the arrow keys nudge it (Shift: ten times as far), Escape lets it go,
// Ctrl+A selects everything, Ctrl+D duplicates (copy and paste: clipboard.js),
// Shift+2 zooms to the selection.

import { strokeTouches } from "./tools.js";

const HIT_RADIUS_PX = 6; // how near the pointer must be to a line to pick it, in CSS px
const NUDGE_PX = 1; // board pixels per arrow key press
const NUDGE_SHIFT_PX = 10;
const MIN_DRAG_PX = 2; // CSS px: less is a click, not a move

export class Selection {
  /** `board`: what the tools get (canvas, state, sendMove, erase, ready), and hold/drag/release for a drag. */
  constructor(board) {
    this.board = board;
    this.canvas = board.canvas;
    this.ids = new Set();
    this.drag = null; // {start, dx, dy} in board px, while the selection is dragged
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
      if (strokeTouches(visible[index], x, y, radius, boardWidth, boardHeight)) return visible[index];
    }
    return null;
  }

  pixel(event) {
    const [x, y] = this.canvas.toBoard(event.clientX, event.clientY);
    return [x * this.canvas.boardWidth, y * this.canvas.boardHeight];
  }

  down(event) {
    const start = this.pixel(event);
    const hit = this.elementAt(...start);
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

  move(event) {
    const [x, y] = this.pixel(event);
    if (this.drag) {
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
    this.drag = null;
    this.marquee = null;
    if (drag) {
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
    if (this.drag) {
      this.canvas.invalidateBase();
      this.board.releaseSelection();
    }
    this.drag = null;
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
      const selected = this.selected();
      if (selected.length && this.board.ready) this.board.paste(selected, { aside: true });
      return true;
    }
    if (key === "Escape") {
      this.clear();
      return true;
    }
    if (event.shiftKey && event.code === "Digit2") {
      this.zoomToSelection();
      return true;
    }
    if (key === "Delete" || key === "Backspace") {
      const ids = this.selected().map((stroke) => stroke.id);
      if (ids.length) this.board.erase(ids);
      this.clear();
      return true;
    }
    const steps = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] }[key];
    if (!steps) return false;
    const distance = event.shiftKey ? NUDGE_SHIFT_PX : NUDGE_PX;
    this.moveBy(steps[0] * distance, steps[1] * distance);
    return true;
  }

  /** What the canvas draws for the selection: the ids moving and by how much (board px), the boxes, the marquee. */
  scene() {
    const drag = this.drag;
    return {
      moving: drag ? this.ids : null,
      offset: drag ? [drag.dx, drag.dy] : [0, 0],
      selected: this.selected(),
      marquee: this.marquee,
    };
  }
}
