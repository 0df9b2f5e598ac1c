// Pointer input on the board: drawing with the pen and highlighter (sent in
// chunks while the pen moves, so others see the stroke grow), shapes, texts
// and notes (placed with a click, written in place), the eraser, the select
// tool (handed to the page's Selection, selection.js), and panning
// and zooming (wheel, pinch, drag with the hand tool, the middle button or
// Space held).

import { SHAPE_TOOLS } from "./strokes.js";
import { anchorOn, angleOf, boxCentre, isAttached, TEXT_TOOLS, turnedAbout } from "./geometry.js";

const CHUNK_INTERVAL_MS = 40;
const ERASER_RADIUS_PX = 10;
const TOUCH_START_DELAY_MS = 90; // a second finger this soon means pinch, not a stroke
const MIN_SHAPE_SIZE_PX = 3;

export function newStrokeId() {
  const random = crypto.getRandomValues(new Uint32Array(2));
  return `${Date.now().toString(36)}-${random[0].toString(36)}${random[1].toString(36)}`.slice(0, 40);
}

function round(value, decimals) {
  const factor = 10 ** decimals;
  return Math.round(value * factor) / factor;
}

/** A board coordinate (or a distance in board fractions) rounded as the protocol keeps it: 4 decimals. */
export function roundCoordinate(value) {
  return round(value, 4);
}

/** Distance in board pixels from (px, py) to the segment (ax, ay)-(bx, by). */
function segmentDistance(px, py, ax, ay, bx, by) {
  const dx = bx - ax;
  const dy = by - ay;
  const lengthSquared = dx * dx + dy * dy;
  const t = lengthSquared ? Math.max(0, Math.min(1, ((px - ax) * dx + (py - ay) * dy) / lengthSquared)) : 0;
  return Math.hypot(px - (ax + t * dx), py - (ay + t * dy));
}

/** The outline a shape is drawn along, as points, for hit testing. */
function shapeOutline(stroke, width, height) {
  const [[x1, y1], [x2, y2]] = stroke.points.map(([x, y]) => [x * width, y * height]);
  if (stroke.tool === "line" || stroke.tool === "arrow") return [[x1, y1], [x2, y2]];
  if (stroke.tool === "rect") return [[x1, y1], [x2, y1], [x2, y2], [x1, y2], [x1, y1]];
  if (stroke.tool === "diamond") {
    const [cx, cy] = [(x1 + x2) / 2, (y1 + y2) / 2];
    return [[cx, y1], [x2, cy], [cx, y2], [x1, cy], [cx, y1]];
  }
  const steps = 48;
  return Array.from({ length: steps + 1 }, (_, i) => {
    const angle = (i / steps) * 2 * Math.PI;
    return [(x1 + x2) / 2 + (Math.abs(x2 - x1) / 2) * Math.cos(angle), (y1 + y2) / 2 + (Math.abs(y2 - y1) / 2) * Math.sin(angle)];
  });
}

const outlines = new WeakMap(); // stroke -> {version, points, box}: hit-test geometry, kept until the stroke grows

function outlineOf(stroke, width, height) {
  const cached = outlines.get(stroke);
  if (cached && cached.version === stroke.version && cached.length === stroke.points.length) return cached;
  const points = stroke.tool === "pen" || stroke.tool === "highlighter"
    ? stroke.points.map(([x, y]) => [x * width, y * height])
    : shapeOutline(stroke.tool === "image" || TEXT_TOOLS.has(stroke.tool) ? { ...stroke, tool: "rect" } : stroke, width, height);
  const xs = points.map(([x]) => x);
  const ys = points.map(([, y]) => y);
  const outline = {
    version: stroke.version,
    length: stroke.points.length,
    points,
    box: [Math.min(...xs), Math.min(...ys), Math.max(...xs), Math.max(...ys)],
  };
  outlines.set(stroke, outline);
  return outline;
}

/**
 * Whether the eraser at (boardX, boardY) with `radius` (board px) touches
 * `stroke`: its line, or anywhere on a text, a note or a filled shape's box.
 */
export function strokeTouches(stroke, boardX, boardY, radius, width, height) {
  const angle = angleOf(stroke);
  if (angle) [boardX, boardY] = turnedAbout([boardX, boardY], boxCentre(stroke.points, width, height), -angle); // into its own frame
  const { points, box } = outlineOf(stroke, width, height);
  const reach = radius + stroke.width / 2;
  if (boardX < box[0] - reach || boardX > box[2] + reach || boardY < box[1] - reach || boardY > box[3] + reach) return false;
  if (TEXT_TOOLS.has(stroke.tool) || stroke.tool === "image" || stroke.props?.fill) return true;
  if (points.length === 1) return Math.hypot(points[0][0] - boardX, points[0][1] - boardY) <= reach;
  for (let i = 1; i < points.length; i += 1) {
    const [ax, ay] = points[i - 1];
    const [bx, by] = points[i];
    if (segmentDistance(boardX, boardY, ax, ay, bx, by) <= reach) return true;
  }
  return false;
}

export class Tools {
  /**
   * @param {object} board  what the tools act on:
   *   canvas (BoardCanvas), state (BoardState), style() -> {tool, color, width},
   *   sendStroke(chunk), sendShape(shape), erase(ids), moveCursor(point|null), me, ready
   */
  constructor(board) {
    this.board = board;
    this.canvas = board.canvas;
    this.element = board.canvas.canvas;
    this.pointers = new Map(); // pointerId -> last {x, y} in client px
    this.gesture = null; // the current stroke, shape, erase, pan or pinch
    this.spaceHeld = false;
    this.fadedIds = new Set();
    this.preview = null;
    this.listen();
  }

  listen() {
    const element = this.element;
    element.addEventListener("pointerdown", (event) => this.down(event));
    element.addEventListener("pointermove", (event) => this.move(event));
    element.addEventListener("pointerup", (event) => this.up(event));
    element.addEventListener("pointercancel", (event) => this.up(event, { cancelled: true }));
    element.addEventListener("pointerleave", () => this.board.moveCursor(null));
    element.addEventListener("wheel", (event) => this.wheel(event), { passive: false });
    element.addEventListener("contextmenu", (event) => event.preventDefault());
    // Double-clicking a text or note with the select tool edits it.
    element.addEventListener("dblclick", (event) => {
      const written = this.board.style().tool === "select" && this.textAt(event);
      if (written) this.board.editText(written);
    });
    // A click that opens a text editor must not then move the focus away from it.
    element.addEventListener("mousedown", (event) => {
      if (TEXT_TOOLS.has(this.board.style().tool)) event.preventDefault();
    });
    addEventListener("keydown", (event) => {
      if (event.code === "Space" && !event.repeat && !isTyping(event)) {
        this.spaceHeld = true;
        this.element.dataset.panning = "ready";
        event.preventDefault();
      }
    });
    addEventListener("keyup", (event) => {
      if (event.code === "Space") {
        this.spaceHeld = false;
        delete this.element.dataset.panning;
      }
    });
  }

  down(event) {
    this.element.setPointerCapture(event.pointerId);
    this.pointers.set(event.pointerId, { x: event.clientX, y: event.clientY });
    if (this.pointers.size === 2) {
      this.abandonPendingTouchStroke();
      this.finish();
      this.gesture = { kind: "pinch", ...this.pinchState() };
      return;
    }
    if (this.pointers.size > 2 || this.gesture) return;
    const style = this.board.style();
    const drawing = !(event.button === 1 || event.button === 2 || this.spaceHeld || style.tool === "hand");
    if (drawing && !this.board.ready) return; // the board has not loaded: nothing to draw on yet
    if (!drawing) {
      this.gesture = { kind: "pan", pointerId: event.pointerId, x: event.clientX, y: event.clientY };
      this.element.dataset.panning = "active";
      return;
    }
    if (event.button !== 0) return;
    const point = this.boardPoint(event);
    if (style.tool === "select") {
      this.gesture = { kind: "select", pointerId: event.pointerId };
      this.board.selection.down(event);
    } else if (TEXT_TOOLS.has(style.tool)) {
      const written = this.textAt(event);
      if (written) this.board.editText(written); // clicking a text with a text tool edits it
      else this.board.startText(point.slice(0, 2));
    } else if (style.tool === "eraser") {
      this.gesture = { kind: "erase", pointerId: event.pointerId };
      this.eraseAt(event);
    } else if (SHAPE_TOOLS.has(style.tool)) {
      this.gesture = {
        kind: "shape", pointerId: event.pointerId, start: point, startClient: [event.clientX, event.clientY],
        startOn: this.attachableAt(style.tool, point),
      };
    } else {
      this.startStroke(event, style, point);
    }
  }

  startStroke(event, style, point) {
    const stroke = {
      id: newStrokeId(),
      user: this.board.me,
      tool: style.tool,
      color: style.color,
      width: style.width,
    };
    this.gesture = {
      kind: "stroke",
      pointerId: event.pointerId,
      stroke,
      unsent: [point],
      chunk: 0,
      // Touch waits a moment: a second finger landing turns it into a pinch.
      startsAt: event.pointerType === "touch" ? performance.now() + TOUCH_START_DELAY_MS : 0,
      flushTimer: null,
      dead: false,
    };
    this.scheduleFlush();
  }

  abandonPendingTouchStroke() {
    if (this.gesture?.kind === "stroke" && this.gesture.chunk === 0 && performance.now() < this.gesture.startsAt) {
      clearTimeout(this.gesture.flushTimer);
      this.gesture = null;
    }
  }

  move(event) {
    if (this.pointers.has(event.pointerId)) this.pointers.set(event.pointerId, { x: event.clientX, y: event.clientY });
    const gesture = this.gesture;
    if (!gesture || gesture.kind === "pinch" || gesture.pointerId !== event.pointerId) {
      if (gesture?.kind === "pinch") this.pinch();
      else if (!gesture) {
        this.board.moveCursor(this.canvas.toBoard(event.clientX, event.clientY));
        if (this.board.style().tool === "select") this.board.selection.hover(event);
      }
      return;
    }
    if (gesture.kind === "pan") {
      this.canvas.panBy(event.clientX - gesture.x, event.clientY - gesture.y);
      gesture.x = event.clientX;
      gesture.y = event.clientY;
      return;
    }
    this.board.moveCursor(this.canvas.toBoard(event.clientX, event.clientY));
    if (gesture.kind === "select") {
      this.board.selection.move(event);
    } else if (gesture.kind === "erase") {
      for (const coalesced of event.getCoalescedEvents?.() ?? [event]) this.eraseAt(coalesced);
    } else if (gesture.kind === "shape") {
      this.preview = this.shapeFrom(gesture, event);
      this.canvas.requestRender();
    } else if (gesture.kind === "stroke" && !gesture.dead) {
      for (const coalesced of event.getCoalescedEvents?.() ?? [event]) gesture.unsent.push(this.boardPoint(coalesced));
      this.showUnsent(gesture);
    }
  }

  up(event, { cancelled = false } = {}) {
    this.pointers.delete(event.pointerId);
    if (event.pointerType === "touch") this.board.moveCursor(null); // a lifted finger points nowhere
    const gesture = this.gesture;
    if (!gesture) return;
    if (gesture.kind === "pinch") {
      if (this.pointers.size < 2) this.gesture = null;
      return;
    }
    if (gesture.pointerId !== event.pointerId) return;
    if (gesture.kind === "stroke" && cancelled && gesture.chunk === 0) {
      clearTimeout(gesture.flushTimer);
      this.gesture = null;
      return;
    }
    if (gesture.kind === "select") {
      this.gesture = null;
      this.board.selection.up(event, { cancelled });
      return;
    }
    if (gesture.kind === "shape" && !cancelled) {
      const shape = this.shapeFrom(gesture, event);
      const [sx, sy] = gesture.startClient;
      if (Math.hypot(event.clientX - sx, event.clientY - sy) >= MIN_SHAPE_SIZE_PX) this.board.sendShape(shape);
    }
    this.finish();
  }

  /** End the current gesture, sending whatever it still holds. */
  finish() {
    const gesture = this.gesture;
    this.gesture = null;
    this.preview = null;
    delete this.element.dataset.panning;
    if (!gesture) return;
    if (gesture.kind === "stroke") {
      clearTimeout(gesture.flushTimer);
      gesture.startsAt = 0;
      this.flush(gesture);
    } else if (gesture.kind === "erase" && this.fadedIds.size) {
      this.board.erase([...this.fadedIds]);
      this.fadedIds.clear();
    } else if (gesture.kind === "select") {
      this.board.selection.cancel();
    }
    this.canvas.requestRender();
  }

  /** The server refused the stroke being drawn (erased meanwhile, ...): stop sending it. */
  strokeRefused(id) {
    if (this.gesture?.kind === "stroke" && this.gesture.stroke.id === id) this.gesture.dead = true;
  }

  scheduleFlush() {
    const gesture = this.gesture;
    gesture.flushTimer = setTimeout(() => {
      if (this.gesture !== gesture) return;
      this.flush(gesture);
      this.scheduleFlush();
    }, CHUNK_INTERVAL_MS);
  }

  /** Send the points drawn since the last chunk as the next chunk (and draw them here at once). */
  flush(gesture) {
    if (gesture.dead || !gesture.unsent.length || performance.now() < gesture.startsAt) return;
    const { maxPointsPerMessage } = this.board.limits;
    while (gesture.unsent.length) {
      const points = gesture.unsent.splice(0, maxPointsPerMessage);
      const chunk = { ...gesture.stroke, chunk: gesture.chunk, points };
      gesture.chunk += 1;
      this.board.sendStroke(chunk);
    }
    this.preview = null;
  }

  /** Points not yet sent are drawn as a preview so the line follows the pen without waiting. */
  showUnsent(gesture) {
    const tail = this.board.state.get(gesture.stroke.id)?.points.slice(-1) ?? [];
    this.preview = { ...gesture.stroke, id: `${gesture.stroke.id}-tail`, points: [...tail, ...gesture.unsent], version: gesture.unsent.length };
    this.canvas.requestRender();
  }

  /** The topmost text or note under the pointer, or null. */
  textAt(event) {
    const [x, y] = this.canvas.toBoard(event.clientX, event.clientY);
    const { boardWidth, boardHeight } = this.canvas;
    const texts = this.board.state.visible().filter((stroke) => TEXT_TOOLS.has(stroke.tool));
    for (let index = texts.length - 1; index >= 0; index -= 1) {
      if (strokeTouches(texts[index], x * boardWidth, y * boardHeight, 0, boardWidth, boardHeight)) return texts[index];
    }
    return null;
  }

  eraseAt(event) {
    const [x, y] = this.canvas.toBoard(event.clientX, event.clientY);
    const { boardWidth, boardHeight } = this.canvas;
    const radius = ERASER_RADIUS_PX / this.canvas.view.scale;
    const held = new Set(this.board.currentHolds().flatMap((hold) => hold.ids)); // someone is moving or editing those
    let touched = false;
    for (const stroke of this.board.state.visible()) {
      if (held.has(stroke.id)) continue;
      const drawn = isAttached(stroke) ? { ...stroke, points: this.canvas.pointsOf(stroke) } : stroke;
      if (!this.fadedIds.has(stroke.id) && strokeTouches(drawn, x * boardWidth, y * boardHeight, radius, boardWidth, boardHeight)) {
        this.fadedIds.add(stroke.id);
        touched = true;
      }
    }
    if (touched) this.canvas.requestRender();
  }

  /**
   * A line or arrow drawn from or to an element is attached to it there
   * (geometry.js, anchorOn), and follows it when it moves, resizes or turns.
   */
  attachableAt(tool, point) {
    if (tool !== "line" && tool !== "arrow") return null;
    const { boardWidth, boardHeight } = this.canvas;
    const element = this.board.selection.elementAt(point[0] * boardWidth, point[1] * boardHeight);
    return element ? anchorOn(element, point, boardWidth, boardHeight) : null;
  }

  shapeFrom(gesture, event) {
    const style = this.board.style();
    const end = this.boardPoint(event).slice(0, 2);
    const props = { ...style.props };
    if (gesture.startOn) props.start = gesture.startOn;
    const endOn = this.attachableAt(style.tool, end);
    if (endOn && endOn.id !== gesture.startOn?.id) props.end = endOn;
    return {
      id: gesture.id ?? (gesture.id = newStrokeId()),
      user: this.board.me,
      tool: style.tool,
      shape: style.tool,
      color: style.color,
      width: style.width,
      points: [gesture.start, end],
      props,
      version: performance.now(),
    };
  }

  /** A board point for the protocol: rounded, with the pen's pressure when the device reports one. */
  boardPoint(event) {
    const [x, y] = this.canvas.toBoard(event.clientX, event.clientY);
    const point = [roundCoordinate(x), roundCoordinate(y)];
    if (event.pointerType === "pen" && event.pressure > 0) point.push(round(event.pressure, 3));
    return point;
  }

  pinchState() {
    const [a, b] = [...this.pointers.values()];
    return { distance: Math.hypot(a.x - b.x, a.y - b.y) || 1, centerX: (a.x + b.x) / 2, centerY: (a.y + b.y) / 2 };
  }

  pinch() {
    const gesture = this.gesture;
    const next = this.pinchState();
    const rect = this.element.getBoundingClientRect();
    this.canvas.panBy(next.centerX - gesture.centerX, next.centerY - gesture.centerY);
    this.canvas.zoomBy(next.distance / gesture.distance, next.centerX - rect.left, next.centerY - rect.top);
    Object.assign(gesture, next);
  }

  wheel(event) {
    event.preventDefault();
    const rect = this.element.getBoundingClientRect();
    if (event.ctrlKey || event.metaKey) {
      // Trackpad pinches arrive as wheel events with ctrlKey set.
      this.canvas.zoomBy(Math.exp(-event.deltaY * 0.01), event.clientX - rect.left, event.clientY - rect.top);
    } else {
      const lineHeight = event.deltaMode === 1 ? 16 : 1;
      this.canvas.panBy(-event.deltaX * lineHeight, -event.deltaY * lineHeight);
    }
  }
}

export function isTyping(event) {
  return event.target.closest?.("input, textarea, select, [contenteditable], dialog[open]") !== null;
}
