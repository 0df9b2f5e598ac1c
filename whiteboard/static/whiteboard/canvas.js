// Drawing the board on a canvas: the view (zoom and pan over a board larger
// than the window), device pixel ratio, strokes drawn as geometry.js says,
// and the PNG export. Points are fractions of the board (0..1); widths are
// board pixels, the board being `boardWidth` x `boardHeight` of them.

import { HIGHLIGHTER_OPACITY, strokeLines } from "./geometry.js";

const MIN_ZOOM = 0.25; // relative to "fit the whole board in the window"
const MAX_ZOOM = 8;
const SETTLE_MS = 400; // a stroke this long without a new chunk is folded into the base layer
const VIEW_SETTLE_MS = 150; // the view this long unchanged is redrawn sharp
const BASE_FRAME_BUDGET_MS = 12; // time per frame spent folding strokes into the base

export class BoardCanvas {
  /**
   * `fitInsets()` gives the room {top, bottom, left, right} in CSS px that the
   * floating panels cover, which "fit the whole board" keeps clear.
   */
  constructor({ canvas, boardWidth, boardHeight, fitInsets, onViewChange }) {
    this.canvas = canvas;
    this.context = canvas.getContext("2d");
    this.boardWidth = boardWidth;
    this.boardHeight = boardHeight;
    this.fitInsets = fitInsets;
    this.onViewChange = onViewChange;
    this.view = { scale: 1, x: 0, y: 0 }; // CSS px = board px * scale + (x, y)
    this.fitScale = 1;
    this.paths = new WeakMap(); // stroke -> {version, path}
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
    this.keepBoardInView();
  }

  /** A CSS position as board px, on the board or not. */
  toBoardUnclamped(cssX, cssY) {
    return [(cssX - this.view.x) / this.view.scale, (cssY - this.view.y) / this.view.scale];
  }

  get zoom() {
    return this.view.scale / this.fitScale;
  }

  /** Show the whole board, centred. */
  resetView() {
    this.view.scale = this.fitScale;
    const { top, bottom, left, right } = this.insets;
    this.view.x = left + (this.cssWidth - left - right - this.boardWidth * this.fitScale) / 2;
    this.view.y = top + (this.cssHeight - top - bottom - this.boardHeight * this.fitScale) / 2;
    this.fitted = true; // until the person zooms or pans
    this.viewChanged();
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
    this.keepBoardInView();
  }

  zoomBy(factor, cssX = this.cssWidth / 2, cssY = this.cssHeight / 2) {
    this.setScale(this.view.scale * factor, cssX, cssY);
  }

  panBy(dx, dy) {
    this.fitted = false;
    this.view.x += dx;
    this.view.y += dy;
    this.keepBoardInView();
  }

  /** Never lose the board: at least a quarter of the window stays on it. */
  keepBoardInView() {
    const width = this.boardWidth * this.view.scale;
    const height = this.boardHeight * this.view.scale;
    const marginX = this.cssWidth / 4;
    const marginY = this.cssHeight / 4;
    this.view.x = Math.min(this.cssWidth - marginX, Math.max(marginX - width, this.view.x));
    this.view.y = Math.min(this.cssHeight - marginY, Math.max(marginY - height, this.view.y));
    this.viewChanged();
  }

  viewChanged() {
    this.lastViewChange = performance.now();
    this.onViewChange?.(this.view);
    this.requestRender();
  }

  /** A client position as a board fraction [x, y], clamped onto the board. */
  toBoard(clientX, clientY) {
    const rect = this.canvas.getBoundingClientRect();
    const x = (clientX - rect.left - this.view.x) / this.view.scale / this.boardWidth;
    const y = (clientY - rect.top - this.view.y) / this.view.scale / this.boardHeight;
    return [Math.min(1, Math.max(0, x)), Math.min(1, Math.max(0, y))];
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
        if (this.inBase.has(stroke) || !this.baseMatchesView()) this.invalidateBase();
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

  /** Set `context` to draw in board pixels for `view`, clipped to the board. */
  boardTransform(context, view) {
    const ratio = this.canvas.width / (this.cssWidth || 1);
    context.setTransform(ratio * view.scale, 0, 0, ratio * view.scale, ratio * view.x, ratio * view.y);
  }

  renderBase() {
    const context = this.baseContext;
    this.base.width = this.canvas.width;
    this.base.height = this.canvas.height;
    this.boardTransform(context, this.view);
    context.shadowColor = "rgba(20, 24, 40, 0.18)";
    context.shadowBlur = 12 * this.view.scale;
    context.fillStyle = "#ffffff";
    context.fillRect(0, 0, this.boardWidth, this.boardHeight);
    context.shadowColor = "transparent";
    context.beginPath();
    context.rect(0, 0, this.boardWidth, this.boardHeight);
    context.clip();
    this.inBase = new Set();
    this.baseQueue = this.scene().visibleStrokes().filter((stroke) => !this.active.has(stroke));
    this.baseQueueIndex = 0;
    this.baseView = { ...this.view };
    this.baseValid = true;
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
    this.drawStroke(this.baseContext, stroke, this.pathFor(stroke)); // the base context keeps its transform and clip
    this.inBase.add(stroke);
    this.requestRender();
  }

  render() {
    const viewSettled = performance.now() - this.lastViewChange > VIEW_SETTLE_MS;
    if (!this.baseValid || (!this.baseMatchesView() && viewSettled)) this.renderBase();
    if (!this.continueBase()) this.requestRender();
    const context = this.context;
    context.setTransform(1, 0, 0, 1, 0, 0);
    context.clearRect(0, 0, this.canvas.width, this.canvas.height);
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
    if (!this.baseMatchesView()) setTimeout(() => this.requestRender(), VIEW_SETTLE_MS);

    this.boardTransform(context, this.view);
    context.save();
    context.beginPath();
    context.rect(0, 0, this.boardWidth, this.boardHeight);
    context.clip();
    const { fadedIds, strokeById, preview } = this.scene();
    for (const stroke of this.active) {
      if (!stroke.hidden) this.drawStroke(context, stroke, this.pathFor(stroke));
    }
    for (const id of fadedIds) {
      const stroke = strokeById(id);
      if (stroke && !stroke.hidden) this.washOut(context, stroke);
    }
    if (preview) this.drawStroke(context, preview, this.pathFor(preview));
    context.restore();
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

  /** Draw `stroke` along its `lines` (pathFor), `extraWidth` wider than it is. */
  drawStroke(context, stroke, lines, extraWidth = 0) {
    const previousAlpha = context.globalAlpha;
    context.strokeStyle = stroke.color;
    context.lineCap = "round";
    context.lineJoin = "round";
    if (stroke.tool === "highlighter") context.globalAlpha = previousAlpha * HIGHLIGHTER_OPACITY;
    for (const { width, path } of lines) {
      context.lineWidth = width + extraWidth;
      context.stroke(path);
    }
    context.globalAlpha = previousAlpha;
  }

  /** The lines that draw the stroke (geometry.js), in board pixels, cached until the stroke changes. */
  pathFor(stroke) {
    const cached = this.paths.get(stroke);
    if (cached && cached.version === stroke.version && cached.length === stroke.points.length) return cached.lines;
    const points = stroke.points.map(([x, y, pressure]) =>
      pressure === undefined ? [x * this.boardWidth, y * this.boardHeight] : [x * this.boardWidth, y * this.boardHeight, pressure],
    );
    const lines = strokeLines(stroke, points);
    this.paths.set(stroke, { version: stroke.version, length: stroke.points.length, lines });
    return lines;
  }

  /** The whole board at its full size as a PNG blob, on white. */
  exportPng(strokes) {
    const canvas = document.createElement("canvas");
    canvas.width = this.boardWidth;
    canvas.height = this.boardHeight;
    const context = canvas.getContext("2d");
    context.fillStyle = "#ffffff";
    context.fillRect(0, 0, canvas.width, canvas.height);
    this.drawStrokes(context, strokes);
    return new Promise((resolve) => canvas.toBlob(resolve, "image/png"));
  }
}
