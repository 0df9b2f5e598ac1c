// Drawing the board on a canvas: the view (zoom and pan over an unbounded
// canvas), device pixel ratio, elements drawn as geometry.js says, and the
// PNG export. Points are board fractions: 0..1 is the first sheet of
// `boardWidth` x `boardHeight` board pixels, and the canvas goes on past it
// on every side (to the protocol's coordinate range); widths are board pixels.

import {
  angleOf, attachedPoints, boxCentre, boxCorners, DASHES, font, HIGHLIGHTER_OPACITY, isAttached, NOTE_RADIUS, strokeLines, TEXT_TOOLS,
  textLines, transformed,
} from "./geometry.js";

const MIN_ZOOM = 0.02; // relative to "fit the first sheet in the window", which is 100%
const MAX_ZOOM = 16;
const MIN_COORDINATE = -100; // the canvas's edges, in board fractions (docs/protocol.md)
const MAX_COORDINATE = 101;
const FRAME_MARGIN = 24; // board pixels around a drawing that goes past the first sheet (as whiteboard/exports.py)
const PNG_MAX_SIDE = 8192; // a larger drawing is exported scaled down to fit
const BACKGROUND = "#ffffff";
const SELECTION_COLOR = "#4f46e5";
const PICTURE_LOADING = "#e9ecef";
const SELECTION_FILL = "rgba(79, 70, 229, 0.08)";
export const HANDLE_PX = 8; // the side of a resize handle, in CSS px
export const ROTATE_HANDLE_PX = 24; // how far above the selection its turning handle is, in CSS px
const SETTLE_MS = 400; // a stroke this long without a new chunk is folded into the base layer
const VIEW_SETTLE_MS = 100; // the view this long unchanged is redrawn sharp
const PAN_SETTLE_MS = 50; // sooner after a pan: only what it uncovered is drawn (scrollBase)
// Time per frame spent folding strokes into the base. Each frame of a fill costs far more than its
// share of strokes (measured in Chromium, cause not found): fewer, larger pieces fill a big board
// sooner (docs/performance.md, panzoom).
const BASE_FRAME_BUDGET_MS = 30;
const SCROLL_POINTS_MAX = 20000; // points drawn at most in the strips a pan uncovers, per frame (scrollBase)

/** Where the resize handles of a box [left, top, right, bottom] (board px) are: {nw: [x, y], n: ..., w: ...}. */
export function handlePoints([left, top, right, bottom]) {
  const [middleX, middleY] = [(left + right) / 2, (top + bottom) / 2];
  return {
    nw: [left, top], n: [middleX, top], ne: [right, top], e: [right, middleY],
    se: [right, bottom], s: [middleX, bottom], sw: [left, bottom], w: [left, middleY],
  };
}

export class BoardCanvas {
  /**
   * `fitInsets()` gives the room {top, bottom, left, right} in CSS px that the
   * floating panels cover, which "fit the whole board" keeps clear.
   */
  constructor({ canvas, boardWidth, boardHeight, imageUrl, fitInsets, onViewChange }) {
    this.canvas = canvas;
    this.context = canvas.getContext("2d");
    this.boardWidth = boardWidth;
    this.boardHeight = boardHeight;
    this.fitInsets = fitInsets;
    this.onViewChange = onViewChange;
    this.view = { scale: 1, x: 0, y: 0 }; // CSS px = board px * scale + (x, y)
    this.fitScale = 1;
    this.paths = new WeakMap(); // stroke -> {version, path}
    this.extents = new WeakMap(); // stroke -> {version, extent}
    this.imageUrl = imageUrl; // with {id} for a picture's id
    this.pictures = new Map(); // picture id -> HTMLImageElement, loaded once per page
    this.pending = null;
    this.base = document.createElement("canvas");
    this.baseContext = this.base.getContext("2d");
    this.baseValid = false;
    this.baseView = null;
    this.inBase = new Set(); // strokes drawn into the base
    this.baseQueue = []; // strokes still to draw into the base, oldest first
    this.baseQueueIndex = 0;
    this.active = new Set(); // strokes drawn over the base each frame, while they grow
    this.settleTimers = new Map();
    this.lastViewChange = 0;
    this.resizeObserver = new ResizeObserver(() => this.resize());
    this.resizeObserver.observe(canvas.parentElement);
    matchMedia(`(resolution: ${devicePixelRatio}dppx)`).addEventListener("change", () => this.resize());
  }

  /**
   * The window changed size (or was rotated): a board shown whole is fitted
   * again; one the person zoomed or panned keeps the point they looked at in
   * the middle, at the same zoom.
   */
  resize() {
    const { width, height } = this.canvas.parentElement.getBoundingClientRect();
    const hadSize = this.cssWidth > 0;
    const centre = hadSize ? this.toBoardUnclamped(this.cssWidth / 2, this.cssHeight / 2) : null;
    const ratio = devicePixelRatio || 1;
    this.cssWidth = width;
    this.cssHeight = height;
    this.canvas.width = Math.round(width * ratio);
    this.canvas.height = Math.round(height * ratio);
    this.canvas.style.width = `${width}px`;
    this.canvas.style.height = `${height}px`;
    const previousFit = this.fitScale;
    this.insets = this.fitInsets();
    this.fitScale = Math.max(
      0.01,
      Math.min(
        (width - this.insets.left - this.insets.right) / this.boardWidth,
        (height - this.insets.top - this.insets.bottom) / this.boardHeight,
      ),
    );
    if (!hadSize || this.fitted) {
      this.resetView();
      return;
    }
    const scale = (this.view.scale / previousFit) * this.fitScale;
    this.view.scale = scale;
    this.view.x = width / 2 - centre[0] * scale;
    this.view.y = height / 2 - centre[1] * scale;
    this.viewChanged();
  }

  /** A CSS position as board px, on the board or not. */
  toBoardUnclamped(cssX, cssY) {
    return [(cssX - this.view.x) / this.view.scale, (cssY - this.view.y) / this.view.scale];
  }

  get zoom() {
    return this.view.scale / this.fitScale;
  }

  /** Show the whole drawing (at least the first sheet), centred. */
  resetView() {
    const [left, top, width, height] = this.drawingFrame(this.scene ? this.scene().visibleStrokes() : [], 0);
    this.fitted = true; // until the person zooms or pans
    this.showArea(left, top, width, height);
  }

  /** Fit the area (board px) in the window, centred, as far as the zoom range allows. */
  showArea(left, top, width, height) {
    const insets = this.insets;
    const roomX = this.cssWidth - insets.left - insets.right;
    const roomY = this.cssHeight - insets.top - insets.bottom;
    const fit = Math.min(roomX / Math.max(width, 1), roomY / Math.max(height, 1));
    this.view.scale = Math.min(MAX_ZOOM * this.fitScale, Math.max(MIN_ZOOM * this.fitScale, fit));
    this.view.x = insets.left + roomX / 2 - (left + width / 2) * this.view.scale;
    this.view.y = insets.top + roomY / 2 - (top + height / 2) * this.view.scale;
    this.viewChanged();
  }

  /**
   * [left, top, width, height] in board px: the first sheet grown to hold
   * every one of `strokes` with `margin` (whiteboard/exports.py frames an
   * export the same way); without `sheet`, the strokes alone.
   */
  drawingFrame(strokes, margin = FRAME_MARGIN, { sheet = true } = {}) {
    let [left, top, right, bottom] = sheet ? [0, 0, this.boardWidth, this.boardHeight] : [Infinity, Infinity, -Infinity, -Infinity];
    for (const stroke of strokes) {
      const [minX, minY, maxX, maxY] = this.extent(stroke);
      const reach = stroke.width / 2 + margin;
      left = Math.min(left, Math.floor(minX - reach));
      top = Math.min(top, Math.floor(minY - reach));
      right = Math.max(right, Math.ceil(maxX + reach));
      bottom = Math.max(bottom, Math.ceil(maxY + reach));
    }
    if (left === Infinity) return [0, 0, this.boardWidth, this.boardHeight];
    return [left, top, right - left, bottom - top];
  }

  /** [minX, minY, maxX, maxY] of the element's points (a turned box's turned corners) in board px, kept until it changes. */
  extent(stroke) {
    const attached = isAttached(stroke); // follows what it is attached to: worked out each time
    const cached = !attached && this.extents.get(stroke);
    if (cached && cached.version === stroke.version && cached.length === stroke.points.length) return cached.extent;
    let [minX, minY, maxX, maxY] = [Infinity, Infinity, -Infinity, -Infinity];
    const angle = angleOf(stroke);
    const points = angle ? boxCorners(stroke.points, angle, this.boardWidth, this.boardHeight) : this.pointsOf(stroke);
    for (const [x, y] of points) {
      minX = Math.min(minX, x);
      maxX = Math.max(maxX, x);
      minY = Math.min(minY, y);
      maxY = Math.max(maxY, y);
    }
    const extent = [minX * this.boardWidth, minY * this.boardHeight, maxX * this.boardWidth, maxY * this.boardHeight];
    this.extents.set(stroke, { version: stroke.version, length: stroke.points.length, extent });
    return extent;
  }

  /** Zoom to `scale` keeping the board point under (cssX, cssY) where it is. */
  setScale(scale, cssX, cssY) {
    this.fitted = false;
    const clamped = Math.min(MAX_ZOOM * this.fitScale, Math.max(MIN_ZOOM * this.fitScale, scale));
    const boardX = (cssX - this.view.x) / this.view.scale;
    const boardY = (cssY - this.view.y) / this.view.scale;
    this.view.scale = clamped;
    this.view.x = cssX - boardX * clamped;
    this.view.y = cssY - boardY * clamped;
    this.viewChanged();
  }

  zoomBy(factor, cssX = this.cssWidth / 2, cssY = this.cssHeight / 2) {
    this.setScale(this.view.scale * factor, cssX, cssY);
  }

  panBy(dx, dy) {
    this.fitted = false;
    this.view.x += dx;
    this.view.y += dy;
    this.viewChanged();
  }

  viewChanged() {
    this.lastViewChange = performance.now();
    this.onViewChange?.(this.view);
    this.requestRender();
  }

  /** A client position as board fractions [x, y], kept within the canvas's edges. */
  toBoard(clientX, clientY) {
    const rect = this.canvas.getBoundingClientRect();
    const x = (clientX - rect.left - this.view.x) / this.view.scale / this.boardWidth;
    const y = (clientY - rect.top - this.view.y) / this.view.scale / this.boardHeight;
    return [Math.min(MAX_COORDINATE, Math.max(MIN_COORDINATE, x)), Math.min(MAX_COORDINATE, Math.max(MIN_COORDINATE, y))];
  }

  /** A board fraction as a position in CSS pixels inside the canvas. */
  toScreen(x, y) {
    return [x * this.boardWidth * this.view.scale + this.view.x, y * this.boardHeight * this.view.scale + this.view.y];
  }

  /** Render on the next animation frame, once however many changes come before it. */
  requestRender() {
    if (this.pending) return;
    this.pending = requestAnimationFrame(() => {
      this.pending = null;
      this.render();
    });
  }

  setScene(scene) {
    this.scene = scene; // () => {visibleStrokes(), strokeById(id), fadedIds, preview}
  }

  // The base layer: every settled stroke, drawn once into an off-screen canvas
  // for the current view, so a frame costs one copy plus the strokes being
  // drawn right now, however large the board is.

  /** The scene became another one (the history's replay, or the live board again): redraw it all. */
  showNewScene() {
    for (const timer of this.settleTimers.values()) clearTimeout(timer);
    this.settleTimers.clear();
    this.active.clear();
    this.invalidateBase();
  }

  /** Something changed that the base cannot patch (a stroke hidden or shown, a new snapshot). */
  invalidateBase() {
    this.baseValid = false;
    this.requestRender();
  }

  /**
   * A stroke grew (a chunk, a new stroke or shape): draw it on top of the base
   * each frame until it has been still for SETTLE_MS, then fold it into the base.
   */
  strokeChanged(stroke) {
    this.active.add(stroke);
    clearTimeout(this.settleTimers.get(stroke));
    this.settleTimers.set(
      stroke,
      setTimeout(() => {
        this.settleTimers.delete(stroke);
        this.active.delete(stroke);
        // An attached line or arrow may be following something being dragged right now: drawn anew with the rest.
        if (this.inBase.has(stroke) || !this.baseMatchesView() || isAttached(stroke)) this.invalidateBase();
        else if (!stroke.hidden) this.drawIntoBase(stroke);
      }, SETTLE_MS),
    );
    this.requestRender();
  }

  baseMatchesView() {
    const drawn = this.baseView;
    return (
      this.baseValid && drawn && drawn.scale === this.view.scale && drawn.x === this.view.x && drawn.y === this.view.y &&
      this.base.width === this.canvas.width && this.base.height === this.canvas.height
    );
  }

  /** Set `context` to draw in board pixels for `view`. */
  boardTransform(context, view) {
    const ratio = this.canvas.width / (this.cssWidth || 1);
    context.setTransform(ratio * view.scale, 0, 0, ratio * view.scale, ratio * view.x, ratio * view.y);
  }

  renderBase() {
    const context = this.baseContext;
    this.base.width = this.canvas.width;
    this.base.height = this.canvas.height;
    context.fillStyle = BACKGROUND;
    context.fillRect(0, 0, this.base.width, this.base.height);
    this.boardTransform(context, this.view);
    this.inBase = new Set();
    this.baseQueue = this.baseStrokes([[0, 0, this.cssWidth, this.cssHeight]]);
    this.baseQueueIndex = 0;
    this.baseView = { ...this.view };
    this.baseValid = true;
    this.baseDrawn = false;
  }

  /**
   * The strokes the base holds that reach into any of `areas` ([left, top,
   * right, bottom] in CSS px of the window), in drawing order: the settled
   * ones, not those drawn over the base each frame (growing, being moved,
   * or following what is moved).
   */
  baseStrokes(areas) {
    const { selection, holds = [], editing } = this.scene();
    const moving = new Set([...(selection?.moving ?? []), ...holds.flatMap((hold) => hold.ids), ...(editing ? [editing] : [])]);
    const following = new Set(this.followers(moving).map((stroke) => stroke.id)); // drawn with what they follow
    const inAreas = areas.map((area) => this.inArea(area));
    return this.scene().visibleStrokes().filter(
      (stroke) => !this.active.has(stroke) && !moving.has(stroke.id) && !following.has(stroke.id) && inAreas.some((inArea) => inArea(stroke)),
    );
  }

  /**
   * Whether a stroke reaches into the area [left, top, right, bottom] of the
   * window (CSS px; the stroke's width and a turned box's corners counted):
   * the rest would be drawn only to be cut off.
   */
  inArea([areaLeft, areaTop, areaRight, areaBottom]) {
    const { scale, x, y } = this.view;
    const [left, top] = [(areaLeft - x) / scale, (areaTop - y) / scale];
    const [right, bottom] = [(areaRight - x) / scale, (areaBottom - y) / scale];
    return (stroke) => {
      if (isAttached(stroke)) return true; // where it is depends on what it is attached to: drawn whatever
      const [minX, minY, maxX, maxY] = this.extent(stroke);
      const reach = stroke.width / 2 + 2;
      return maxX + reach >= left && minX - reach <= right && maxY + reach >= top && minY - reach <= bottom;
    };
  }

  /**
   * The view moved without zooming, by whole device pixels, and the base is
   * complete: move the base with it and draw only the strips it uncovered,
   * strokes clipped to them, so a pan stays sharp at every frame instead of
   * waiting to be drawn again whole. Returns false if the base cannot follow
   * this way, or the strips hold more than `maxPoints` points (then the
   * stretched base shows until the view rests).
   */
  scrollBase(maxPoints) {
    const drawn = this.baseView;
    const ratio = this.canvas.width / (this.cssWidth || 1);
    const [dx, dy] = [(this.view.x - drawn.x) * ratio, (this.view.y - drawn.y) * ratio];
    const [width, height] = [this.base.width, this.base.height];
    const whole = (offset) => Math.abs(offset - Math.round(offset)) < 1e-6;
    if (
      !this.baseValid || this.baseQueueIndex < this.baseQueue.length || drawn.scale !== this.view.scale ||
      width !== this.canvas.width || height !== this.canvas.height || !whole(dx) || !whole(dy) ||
      Math.abs(dx) >= width || Math.abs(dy) >= height
    ) {
      return false;
    }
    const [shiftX, shiftY] = [Math.round(dx), Math.round(dy)];
    // The uncovered strips, in device px: a column on the side the view moved from, and a row.
    const strips = [];
    if (shiftX) strips.push([shiftX > 0 ? 0 : width + shiftX, 0, Math.abs(shiftX), height]);
    if (shiftY) strips.push([0, shiftY > 0 ? 0 : height + shiftY, width, Math.abs(shiftY)]);
    const areas = strips.map(([left, top, stripWidth, stripHeight]) => [
      left / ratio, top / ratio, (left + stripWidth) / ratio, (top + stripHeight) / ratio,
    ]);
    const strokes = this.baseStrokes(areas);
    // A stroke is drawn whole, clipped: too many points would hold up this frame (a dense board seen whole).
    let points = 0;
    for (const stroke of strokes) points += stroke.points.length;
    if (points > maxPoints) return false;
    const context = this.baseContext;
    context.setTransform(1, 0, 0, 1, 0, 0);
    context.drawImage(this.base, shiftX, shiftY);
    context.save();
    context.beginPath();
    for (const [left, top, stripWidth, stripHeight] of strips) context.rect(left, top, stripWidth, stripHeight);
    context.clip();
    context.fillStyle = BACKGROUND;
    context.fillRect(0, 0, width, height);
    this.boardTransform(context, this.view);
    for (const stroke of strokes) {
      this.drawStroke(context, stroke, this.pathFor(stroke));
      this.inBase.add(stroke);
    }
    context.restore();
    this.boardTransform(context, this.view); // as drawIntoBase expects it
    this.baseView = { ...this.view };
    this.baseDrawn = false;
    return true;
  }

  /**
   * Draw queued strokes into the base for at most BASE_FRAME_BUDGET_MS, so a
   * large board fills in over a few frames while the page stays responsive.
   * Returns true when the queue is done.
   */
  continueBase() {
    const deadline = performance.now() + BASE_FRAME_BUDGET_MS;
    const queue = this.baseQueue;
    while (this.baseQueueIndex < queue.length && performance.now() < deadline) {
      const stroke = queue[this.baseQueueIndex];
      this.baseQueueIndex += 1;
      if (stroke.hidden || this.active.has(stroke)) continue;
      this.drawStroke(this.baseContext, stroke, this.pathFor(stroke));
      this.inBase.add(stroke);
    }
    return this.baseQueueIndex >= queue.length;
  }

  drawIntoBase(stroke) {
    this.drawStroke(this.baseContext, stroke, this.pathFor(stroke)); // the base context keeps its transform
    this.inBase.add(stroke);
    this.requestRender();
  }

  render() {
    this.lookup = this.scene().strokeById; // for attached ends (pointsOf), once a frame
    const rested = performance.now() - this.lastViewChange;
    if (!this.baseValid) this.renderBase();
    else if (!this.baseMatchesView()) {
      // Once the view rests, the strips are drawn whatever they hold: still less than the whole window.
      const scrolled = this.scrollBase(rested > PAN_SETTLE_MS ? Infinity : SCROLL_POINTS_MAX);
      if (!scrolled && rested > VIEW_SETTLE_MS) this.renderBase();
    }
    if (!this.continueBase()) this.requestRender();
    else if (!this.baseDrawn) {
      this.baseDrawn = true;
      performance.mark("whiteboard:base-drawn"); // every element drawn sharp for this view (the benchmark reads it)
    }
    const context = this.context;
    context.setTransform(1, 0, 0, 1, 0, 0);
    context.fillStyle = BACKGROUND; // what the stretched base does not reach while zooming out
    context.fillRect(0, 0, this.canvas.width, this.canvas.height);
    // While zooming or panning, stretch the last base; it is redrawn sharp once the view rests.
    const ratio = this.canvas.width / (this.cssWidth || 1);
    const drawn = this.baseView;
    const stretch = this.view.scale / drawn.scale;
    context.drawImage(
      this.base,
      ratio * (this.view.x - drawn.x * stretch),
      ratio * (this.view.y - drawn.y * stretch),
      this.base.width * stretch,
      this.base.height * stretch,
    );
    if (!this.baseMatchesView()) setTimeout(() => this.requestRender(), PAN_SETTLE_MS);

    this.boardTransform(context, this.view);
    context.save();
    const { fadedIds, strokeById, preview, selection, holds = [] } = this.scene();
    const held = new Set(holds.flatMap((hold) => hold.ids));
    const followers = this.followers(new Set([...(selection?.moving ?? []), ...held]));
    const following = new Set(followers.map((stroke) => stroke.id));
    const previews = this.previews({ selection, holds, strokeById }, followers);
    for (const stroke of this.active) {
      const still = !selection?.moving?.has(stroke.id) && !held.has(stroke.id) && !following.has(stroke.id);
      if (!stroke.hidden && still) this.drawStroke(context, stroke, this.pathFor(stroke));
    }
    for (const hold of holds) this.drawHold(context, hold, strokeById);
    if (selection) this.drawSelection(context, selection);
    this.drawFollowers(context, followers, previews, strokeById);
    for (const id of fadedIds) {
      const stroke = strokeById(id);
      if (stroke && !stroke.hidden) this.washOut(context, stroke);
    }
    if (preview) this.drawStroke(context, preview, this.pathFor(preview));
    context.restore();
  }

  /**
   * The selection: what is being dragged or resized, where to; a dashed box
   * around each selected element, and around them all the box with its
   * handles (selection.js); the marquee being drawn.
   */
  drawSelection(context, { moving, offset: [dx, dy], transform, selected, marquee, box }) {
    if (moving) {
      context.save();
      context.translate(dx, dy);
      for (const stroke of selected) this.drawPreview(context, stroke, transform);
      context.restore();
    }
    const pixel = 1 / this.view.scale; // one CSS px in board px
    context.save();
    context.strokeStyle = SELECTION_COLOR;
    context.lineWidth = 1.5 * pixel;
    context.setLineDash([5 * pixel, 4 * pixel]);
    if (!transform) {
      for (const stroke of selected) {
        const [minX, minY, maxX, maxY] = this.extent(stroke);
        const pad = stroke.width / 2 + 4 * pixel;
        context.strokeRect(minX - pad + dx, minY - pad + dy, maxX - minX + 2 * pad, maxY - minY + 2 * pad);
      }
    }
    if (box && !moving) this.drawHandles(context, box, pixel);
    if (marquee) {
      const [[x1, y1], [x2, y2]] = [marquee.start, marquee.end];
      context.fillStyle = SELECTION_FILL;
      context.fillRect(Math.min(x1, x2), Math.min(y1, y2), Math.abs(x2 - x1), Math.abs(y2 - y1));
      context.strokeRect(Math.min(x1, x2), Math.min(y1, y2), Math.abs(x2 - x1), Math.abs(y2 - y1));
    }
    context.restore();
  }

  /** An element as a transform in progress makes it (geometry.js, transformed), or as it is. */
  drawPreview(context, stroke, transform) {
    if (!transform) {
      this.drawStroke(context, stroke, this.pathFor(stroke));
      return;
    }
    const preview = { ...stroke, ...transformed(stroke, transform, this.boardWidth, this.boardHeight) };
    this.drawStroke(context, preview, this.pathFor(preview));
  }

  /** The selection's box [left, top, right, bottom] (board px), its eight resize handles and its turning handle. */
  drawHandles(context, [left, top, right, bottom], pixel) {
    context.setLineDash([]);
    context.strokeRect(left, top, right - left, bottom - top);
    const side = HANDLE_PX * pixel;
    const middle = (left + right) / 2;
    context.beginPath();
    context.moveTo(middle, top);
    context.lineTo(middle, top - ROTATE_HANDLE_PX * pixel);
    context.stroke();
    context.fillStyle = "#ffffff";
    for (const [x, y] of Object.values(handlePoints([left, top, right, bottom]))) {
      context.fillRect(x - side / 2, y - side / 2, side, side);
      context.strokeRect(x - side / 2, y - side / 2, side, side);
    }
    context.beginPath();
    context.arc(middle, top - ROTATE_HANDLE_PX * pixel, side / 2 + pixel, 0, 2 * Math.PI);
    context.fill();
    context.stroke();
  }

  /**
   * What someone else holds: where they are dragging it, in a box of their
   * colour with their name, so no one else tries to move it meanwhile.
   */
  drawHold(context, { user, ids, dx, dy, transform, color, reason }, strokeById) {
    let strokes = ids.map(strokeById).filter((stroke) => stroke && !stroke.hidden);
    if (!strokes.length) return;
    if (transform) strokes = strokes.map((stroke) => ({ ...stroke, ...transformed(stroke, transform, this.boardWidth, this.boardHeight) }));
    const [offsetX, offsetY] = [dx * this.boardWidth, dy * this.boardHeight];
    context.save();
    context.translate(offsetX, offsetY);
    for (const stroke of strokes) this.drawStroke(context, stroke, this.pathFor(stroke));
    const pixel = 1 / this.view.scale;
    const [left, top, right, bottom] = strokes.map((stroke) => this.extent(stroke)).reduce(
      (box, [minX, minY, maxX, maxY]) => [Math.min(box[0], minX), Math.min(box[1], minY), Math.max(box[2], maxX), Math.max(box[3], maxY)],
      [Infinity, Infinity, -Infinity, -Infinity],
    );
    const pad = 6 * pixel;
    context.strokeStyle = color;
    context.lineWidth = 2 * pixel;
    context.strokeRect(left - pad, top - pad, right - left + 2 * pad, bottom - top + 2 * pad);
    context.font = font(12 * pixel);
    const label = `${user} is ${{ edit: "editing", resize: "resizing" }[reason] ?? "moving"} this`;
    const width = context.measureText(label).width + 8 * pixel;
    context.fillStyle = color;
    context.fillRect(left - pad, top - pad - 18 * pixel, width, 18 * pixel);
    context.fillStyle = "#ffffff";
    context.textAlign = "left";
    context.textBaseline = "middle";
    context.fillText(label, left - pad + 4 * pixel, top - pad - 9 * pixel);
    context.restore();
  }

  /** The lines and arrows attached to one of `ids` (and not among them): they follow them. */
  followers(ids) {
    if (!ids.size) return [];
    return this.scene().visibleStrokes().filter(
      (stroke) => isAttached(stroke) && !ids.has(stroke.id) && (ids.has(stroke.props.start?.id) || ids.has(stroke.props.end?.id)),
    );
  }

  /**
   * {id: the element as shown} of what `followers` are attached to that is
   * being dragged, resized or turned: this page's selection, others' holds.
   */
  previews({ selection, holds, strokeById }, followers) {
    const previews = new Map();
    if (!followers.length) return previews;
    const wanted = new Set(followers.flatMap((stroke) => [stroke.props.start?.id, stroke.props.end?.id]));
    const preview = (stroke, [dx, dy], transform) => {
      if (transform) return { ...stroke, ...transformed(stroke, transform, this.boardWidth, this.boardHeight) };
      const [fx, fy] = [dx / this.boardWidth, dy / this.boardHeight];
      return { ...stroke, points: stroke.points.map(([x, y, ...pressure]) => [x + fx, y + fy, ...pressure]) };
    };
    if (selection?.moving) {
      for (const stroke of selection.selected) {
        if (wanted.has(stroke.id)) previews.set(stroke.id, preview(stroke, selection.offset, selection.transform));
      }
    }
    for (const hold of holds) {
      for (const id of hold.ids) {
        const stroke = wanted.has(id) && strokeById(id);
        if (stroke) previews.set(id, preview(stroke, [hold.dx * this.boardWidth, hold.dy * this.boardHeight], hold.transform));
      }
    }
    return previews;
  }

  /** The lines and arrows attached to what is being taken somewhere (`previews`), drawn to where it is being taken. */
  drawFollowers(context, followers, previews, strokeById) {
    if (!followers.length) return;
    const lookup = this.lookup;
    this.lookup = (id) => previews.get(id) ?? strokeById(id);
    for (const stroke of followers) this.drawStroke(context, stroke, this.pathFor(stroke));
    this.lookup = lookup;
  }

  /** Show a stroke the eraser touched as faded, by washing white over it. */
  washOut(context, stroke) {
    context.save();
    context.globalAlpha = 0.75;
    this.drawStroke(context, { ...stroke, color: "#ffffff" }, this.pathFor(stroke), 2);
    context.restore();
  }

  drawStrokes(context, strokes) {
    for (const stroke of strokes) this.drawStroke(context, stroke, this.pathFor(stroke));
  }

  /**
   * Draw `stroke` along its `lines` (pathFor), `extraWidth` wider than it is:
   * its fill under its outline, each at its opacity, the outline dashed if it is.
   * A wash-out (extraWidth) paints the fill in the stroke's colour too.
   */
  drawStroke(context, stroke, lines, extraWidth = 0) {
    const angle = angleOf(stroke);
    if (angle) {
      const [cx, cy] = boxCentre(stroke.points, this.boardWidth, this.boardHeight);
      context.save();
      context.translate(cx, cy);
      context.rotate(angle);
      context.translate(-cx, -cy);
      this.drawUnturned(context, stroke, lines, extraWidth);
      context.restore();
      return;
    }
    this.drawUnturned(context, stroke, lines, extraWidth);
  }

  /** drawStroke of an element as if it were not turned (its points are its unturned box). */
  drawUnturned(context, stroke, lines, extraWidth) {
    if (TEXT_TOOLS.has(stroke.tool)) {
      this.drawText(context, stroke, extraWidth);
      return;
    }
    if (stroke.tool === "image") {
      this.drawPicture(context, stroke, extraWidth);
      return;
    }
    const previousAlpha = context.globalAlpha;
    const props = stroke.props ?? {};
    context.globalAlpha = previousAlpha * (stroke.tool === "highlighter" ? HIGHLIGHTER_OPACITY : props.opacity ?? 1);
    if (props.fill) {
      context.fillStyle = extraWidth ? stroke.color : props.fill;
      context.fill(lines[0].path);
    }
    context.strokeStyle = stroke.color;
    context.lineCap = "round";
    context.lineJoin = "round";
    const dash = DASHES[props.dash] && !extraWidth ? DASHES[props.dash].map((length) => length * stroke.width) : [];
    for (const { width, path, solid } of lines) {
      context.setLineDash(solid ? [] : dash);
      context.lineWidth = width + extraWidth;
      context.stroke(path);
    }
    context.setLineDash([]);
    context.globalAlpha = previousAlpha;
  }

  /** A text's lines, or a note's box and lines (geometry.js, textLines); a wash-out paints them all in the stroke's colour. */
  drawText(context, stroke, extraWidth) {
    const box = this.pixels(stroke.points);
    if (stroke.tool === "note") {
      const [[x1, y1], [x2, y2]] = box;
      context.fillStyle = extraWidth ? stroke.color : stroke.props.fill;
      context.beginPath();
      context.roundRect(Math.min(x1, x2), Math.min(y1, y2), Math.abs(x2 - x1), Math.abs(y2 - y1), NOTE_RADIUS);
      context.fill();
    }
    const { align, lines } = textLines(stroke, box);
    context.font = font(stroke.props.size);
    context.textAlign = align;
    context.textBaseline = "alphabetic";
    context.fillStyle = stroke.color;
    for (const { x, y, line } of lines) context.fillText(line, x, y);
  }

  /** A picture stretched over its box; a grey box until it has loaded (then the base is drawn again). */
  drawPicture(context, stroke, extraWidth) {
    const [[x1, y1], [x2, y2]] = this.pixels(stroke.points);
    const [left, top, width, height] = [Math.min(x1, x2), Math.min(y1, y2), Math.abs(x2 - x1), Math.abs(y2 - y1)];
    const picture = this.picture(stroke.props.image);
    if (extraWidth || !picture.complete || !picture.naturalWidth) {
      context.fillStyle = extraWidth ? stroke.color : PICTURE_LOADING;
      context.fillRect(left, top, width, height);
      return;
    }
    context.drawImage(picture, left, top, width, height);
  }

  /** The picture with this id, loading (once) if it was not asked for before. */
  picture(id) {
    let picture = this.pictures.get(id);
    if (!picture) {
      picture = new Image();
      picture.addEventListener("load", () => this.invalidateBase());
      picture.src = this.imageUrl.replace("{id}", id);
      this.pictures.set(id, picture);
    }
    return picture;
  }

  /** Board fractions as board pixels, pressure kept. */
  pixels(points) {
    return points.map(([x, y, pressure]) =>
      pressure === undefined ? [x * this.boardWidth, y * this.boardHeight] : [x * this.boardWidth, y * this.boardHeight, pressure],
    );
  }

  /** A stroke's points as drawn: a line's or arrow's attached ends where their elements are now (geometry.js). */
  pointsOf(stroke) {
    if (!isAttached(stroke)) return stroke.points;
    const byId = this.lookup ?? this.scene?.().strokeById ?? (() => null);
    return attachedPoints(stroke, byId, this.boardWidth, this.boardHeight);
  }

  /** The lines that draw the stroke (geometry.js), in board pixels, cached until the stroke changes. */
  pathFor(stroke) {
    if (TEXT_TOOLS.has(stroke.tool) || stroke.tool === "image") return [];
    if (isAttached(stroke)) return strokeLines(stroke, this.pixels(this.pointsOf(stroke)));
    const cached = this.paths.get(stroke);
    if (cached && cached.version === stroke.version && cached.length === stroke.points.length) return cached.lines;
    const lines = strokeLines(stroke, this.pixels(stroke.points));
    this.paths.set(stroke, { version: stroke.version, length: stroke.points.length, lines });
    return lines;
  }

  /**
   * The whole drawing as a PNG blob on white, framed as the SVG export is
   * (drawingFrame; without `sheet`, by the strokes alone: a selection
   * copied out), at one pixel per board pixel unless that would make a
   * side longer than PNG_MAX_SIDE.
   */
  async exportPng(strokes, { sheet = true } = {}) {
    const pictures = strokes.filter((stroke) => stroke.tool === "image").map((stroke) => this.picture(stroke.props.image));
    await Promise.all(pictures.map((picture) => picture.decode().catch(() => {}))); // all in, as the SVG has them
    const [left, top, width, height] = this.drawingFrame(strokes, FRAME_MARGIN, { sheet });
    const scale = Math.min(1, PNG_MAX_SIDE / Math.max(width, height));
    const canvas = document.createElement("canvas");
    canvas.width = Math.round(width * scale);
    canvas.height = Math.round(height * scale);
    const context = canvas.getContext("2d");
    context.fillStyle = BACKGROUND;
    context.fillRect(0, 0, canvas.width, canvas.height);
    context.setTransform(scale, 0, 0, scale, -left * scale, -top * scale);
    this.drawStrokes(context, strokes);
    return new Promise((resolve) => canvas.toBlob(resolve, "image/png"));
  }
}
