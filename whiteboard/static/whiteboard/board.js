// The whiteboard page: loads the snapshot while it connects, and ties the canvas, the
// tools and the connection to the toolbar, presence list, live cursors and
// connection status. Names from the server are only ever set as textContent.

import { BoardCanvas } from "./canvas.js";
import { BoardConnection, applyPresence, showStatus } from "../js/connection.js";
import { HistoryPanel } from "./history.js";
import { initial, personColor } from "./people.js";
import { ATTACHED_ENDS, isAttached, transformed } from "./geometry.js";
import { BoardState, SHAPE_TOOLS } from "./strokes.js";
import { isTyping, newStrokeId, roundCoordinate, Tools } from "./tools.js";
import { CLIPBOARD_TYPE, clipboardText, parseClipboard, recreate } from "./clipboard.js";
import { Pictures } from "./pictures.js";
import { Selection } from "./selection.js";
import { TextEditor } from "./text.js";

const CURSOR_INTERVAL_MS = 50;
const VIEW_INTERVAL_MS = 200; // how often a page tells the others what it shows, at most
const DEFAULT_WIDTHS = { pen: 6, highlighter: 24, line: 6, arrow: 6, rect: 6, ellipse: 6, diamond: 6 };
const TOOL_KEYS = {
  p: "pen", h: "highlighter", e: "eraser", l: "line", a: "arrow", r: "rect", o: "ellipse", d: "diamond",
  t: "text", n: "note", v: "hand", s: "select",
};
// The arrow keys pan the view (with a selection, the select tool nudges it instead: selection.js).
const PAN_KEYS = { arrowleft: [1, 0], arrowright: [-1, 0], arrowup: [0, 1], arrowdown: [0, -1] };
const PAN_STEP_PX = 80;
const PAN_STEP_SHIFT_PX = 400;
const ACTION_KEYS = { i: () => document.getElementById("image-file").click() };
const MAX_MOVE_IDS = 1000; // per `move` message (docs/protocol.md)
const HOLD_SECONDS = 30; // as the server keeps a hold (whiteboard/holds.py); renewed while a drag lasts
const HOLD_RENEW_MS = 10_000;
const PASTE_OFFSET_PX = 24; // a copy put where its original is goes this far right and down
const STORAGE_KEY = "whiteboard.brush";
const STYLE_OPTIONS = ["fill", "dash", "opacity", "textSize", "align"]; // the style buttons' data-* names, as in dataset
const dataAttribute = (name) => `data-${name.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`)}`;
const INK = "#1b1e2b";
const NOTE_YELLOW = "#fff3bf";
const CLOSED_SHAPES = new Set(["rect", "ellipse", "diamond"]);
const PICTURE_PATH = /^\/whiteboard\/[\w-]+\/images\/\d+\/$/; // a board's picture (whiteboard/urls.py): all a paste fetches

/** `color` mixed with white, `share` of it white: the pale fill of a shape or note in that colour. */
function tint(color, share = 0.78) {
  const channels = [1, 3, 5].map((start) => parseInt(color.slice(start, start + 2), 16));
  return `#${channels.map((value) => Math.round(value + (255 - value) * share).toString(16).padStart(2, "0")).join("")}`;
}

const config = JSON.parse(document.getElementById("whiteboard-config").textContent);
const $ = (selector) => document.querySelector(selector);

class WhiteboardPage {
  constructor() {
    this.me = config.me;
    this.limits = { maxPointsPerMessage: config.maxPointsPerMessage, maxEraseIds: config.maxEraseIds };
    this.brush = this.loadBrush();
    this.members = new Map(); // connection id -> member
    this.cursors = new Map(); // connection id -> element
    this.lastCursorSent = 0;
    this.cursorTimer = null;
    this.history = { can_undo: false, can_redo: false };
    this.holds = new Map(); // connection id -> {user, ids, dx, dy, since}: what others are moving
    this.dragFrame = null; // the `drag` frame to send on the next animation frame
    this.editsBefore = new Map(); // edit or transform id -> what it changed as it was, until acked (restored if refused)
    this.views = new Map(); // username -> the part of the board they last showed {x1, y1, x2, y2}
    this.following = null; // the username whose view this page follows
    this.applyingFollow = false;
    this.viewTimer = null;

    this.replay = null; // the history panel's scene while it shows an earlier moment
    this.state = new BoardState({
      onChange: (grown) => {
        if (this.replay) return; // the live board is redrawn whole when the panel closes
        if (grown) this.canvas.strokeChanged(grown);
        else this.canvas.invalidateBase();
      },
    });
    this.canvas = new BoardCanvas({
      canvas: $("#board-canvas"),
      boardWidth: config.boardWidth,
      boardHeight: config.boardHeight,
      imageUrl: config.imageUrl,
      fitInsets: () => this.panelInsets(),
      onViewChange: () => this.viewChanged(),
    });
    this.selection = new Selection(this);
    this.csrfToken = document.querySelector("input[name=csrfmiddlewaretoken]").value;
    this.pictures = new Pictures(this, {
      imagesUrl: config.imagesUrl,
      csrfToken: this.csrfToken,
      maxBytes: config.maxUploadBytes,
    });
    this.tools = new Tools(this);
    this.textEditor = new TextEditor({ stage: $("#stage"), canvas: this.canvas, onDone: (text) => this.textWritten(text) });
    this.canvas.setScene(
      () =>
        this.replay ?? {
          visibleStrokes: () => this.state.visible(),
          strokeById: (id) => this.state.get(id),
          fadedIds: this.tools.fadedIds,
          preview: this.tools.preview,
          selection: this.selection.scene(),
          holds: this.currentHolds(),
          editing: this.textEditor?.editing?.id,
        },
    );
    this.historyPanel = new HistoryPanel({
      root: $("#history-panel"),
      board: {
        historyUrl: config.historyUrl,
        exportSvgUrl: config.exportSvgUrl,
        send: (command) => this.connection?.send(command, { idempotent: false }),
        setReplay: (scene) => this.setReplay(scene),
        live: () => ({ seq: this.connection?.lastSeq ?? 0, state: this.state }),
      },
    });
    this.bindToolbar();
    this.bindKeys();
    this.bindClipboard();
    this.bindSelectionActions();
    this.bindPictures();
    this.renderBrush();
  }

  /** Load the snapshot and open the socket at the same time; the socket syncs from the snapshot's seq. */
  async start() {
    this.setStatus("connecting", { pending: 0 });
    const loaded = this.loadSnapshot();
    this.connection = new BoardConnection({
      path: config.socketPath,
      since: loaded,
      onEvent: (frame) => this.applyEvent(frame),
      onAck: (command, ack) => this.applyAck(command, ack),
      onError: (command, error) => this.refused(command, error),
      onEphemeral: (frame) => this.ephemeral(frame),
      onStatus: (state, detail) => this.setStatus(state, detail),
    });
    this.connection.start();
    try {
      await loaded;
    } catch (error) {
      this.connection.stop(`Could not load the board (${error.message}). Reload to try again.`);
    }
  }

  /** The board's strokes into the state: resolves to the seq they are current at. */
  async loadSnapshot() {
    // The page's head asked for it already (a preload): this takes that response, whatever its headers.
    const response = await fetch(config.snapshotUrl);
    if (!response.ok) throw new Error(`the server answered ${response.status}`);
    const snapshot = await response.json();
    this.state.load(snapshot);
    if (this.canvas.fitted) this.canvas.resetView(); // the whole drawing, now that it is known
    return snapshot.seq;
  }

  // What the tools call

  /**
   * Drawing starts once the board is loaded and its changes have somewhere
   * to go, and stops for good when the connection has (`end`).
   */
  get ready() {
    return Boolean(this.connection) && !this.replay && !this.ended;
  }

  /**
   * The connection stopped for good (access taken away, session ended, board
   * deleted): nothing drawn from now on could be saved, so the tools go,
   * and the person is told what happened to what was not saved yet. The
   * board can still be looked at, panned and zoomed.
   */
  end(message, pending) {
    this.ended = true;
    this.tools.finish();
    document.body.classList.add("wb-ended");
    $(".wb-toolbar").inert = true;
    // Who is here, and their cursors, can no longer be known: show no one but the person.
    for (const conn of [...this.cursors.keys()]) this.removeCursor(conn);
    for (const [conn, member] of this.members) if (member.username !== this.me) this.members.delete(conn);
    this.renderPresence();
    const unsaved = pending ? ` Your last ${pending === 1 ? "change was" : `${pending} changes were`} not saved.` : "";
    this.toast(`${message}${unsaved}`, { sticky: true });
  }

  /** Show the history panel's replay instead of the live board (no drawing meanwhile), or the live board again. */
  setReplay(scene) {
    const switching = Boolean(scene) !== Boolean(this.replay);
    if (switching) this.tools.finish();
    this.replay = scene ? { ...scene, preview: null } : null;
    document.body.classList.toggle("wb-replaying", Boolean(scene));
    $("#history-open").setAttribute("aria-pressed", String(Boolean(scene)));
    if (switching) this.canvas.showNewScene();
    else this.canvas.invalidateBase();
  }

  /** What the tools draw with: the tool, its colour and width, and a shape's fill, dash and opacity. */
  style() {
    const { tool, color, fill, dash, opacity } = this.brush;
    const props = {};
    if (SHAPE_TOOLS.has(tool)) {
      if (CLOSED_SHAPES.has(tool) && fill !== "none") props.fill = fill === "solid" ? color : tint(color);
      if (dash !== "solid") props.dash = dash;
      if (opacity < 1) props.opacity = opacity;
    }
    return { tool, color, width: this.brush.widths[tool] ?? DEFAULT_WIDTHS.pen, props };
  }

  /** The text tool or note tool was used at `point`: write there (the editor sends it when done). */
  startText(point) {
    if (!this.ready) return;
    const { tool, color, textSize, align } = this.brush;
    const note = tool === "note";
    this.textEditor.open({
      tool,
      point,
      size: textSize,
      align,
      color: note ? INK : color,
      fill: note ? (color === INK ? NOTE_YELLOW : tint(color)) : null,
    });
  }

  /** A text or note is open for editing: shown in the editor, held, and not drawn beneath it. */
  editText(element) {
    if (!this.ready) return;
    if (this.holderOf([element.id])) {
      this.toast(`${this.holderOf([element.id])} is editing or moving that right now.`);
      return;
    }
    const [[x1, y1], [x2, y2]] = element.points;
    this.textEditor.open({
      tool: element.tool, point: [Math.min(x1, x2), Math.min(y1, y2)], size: element.props.size,
      align: element.props.align ?? "left", color: element.color, fill: element.props.fill ?? null,
      text: element.props.text, element, angle: element.props.angle ?? 0,
    });
    this.holdSelection([element.id], "edit").catch(() => this.textEditor.cancel());
    this.canvas.invalidateBase();
  }

  /** The editor is done: a new text or note is sent; an edited one is sent as an `edit` of the version it started from. */
  textWritten(written) {
    const { element, blank, unchanged } = written;
    if (element) {
      this.releaseSelection();
      this.canvas.invalidateBase();
      if (unchanged || !this.ready) return;
      if (blank) {
        this.erase([element.id]); // emptied: gone, as Excalidraw does; undo brings it back
        return;
      }
      const { color, points, text, size, align, fill } = written;
      const message = { type: "edit", id: newStrokeId(), element: element.id, version: element.textVersion, color, points, text, size, align };
      if (fill) message.fill = fill;
      this.editsBefore.set(message.id, this.state.savedState(element.id));
      // Its angle and place in front or behind stay as they are (the server keeps them too).
      const placement = Object.fromEntries(["angle", "z"].filter((name) => name in element.props).map((name) => [name, element.props[name]]));
      this.state.editElement({ ...message, ...placement, version: element.textVersion + 1 }, { drawn: true });
      this.connection?.send(message);
      this.historyChanged({ can_undo: true, can_redo: false });
    } else if (!blank) {
      this.sendText(written);
    }
  }

  /** Where this board serves its picture `image` (an absolute URL, so another board's page can fetch it). */
  pictureUrl(image) {
    return new URL(config.imageUrl.replace("{id}", image), location.href).href;
  }

  /**
   * Place a pasted picture: one of this board's as it is; one of another
   * board's (`src`, as copied there) fetched and uploaded here first.
   */
  async placePicture({ id, image, src, points, angle }) {
    if (!src || src === this.pictureUrl(image)) {
      this.sendImage({ id, image, points, angle });
      return;
    }
    const from = new URL(src, location.href);
    if (from.origin !== location.origin || !PICTURE_PATH.test(from.pathname)) {
      this.toast("That picture does not come from a board of this site: it was not pasted.");
      return;
    }
    try {
      const uploaded = await this.pictures.copy(from.href);
      this.sendImage({ id, image: uploaded.image, points, angle });
    } catch (error) {
      this.toast(error.message);
    }
  }

  /** Place one of the board's uploaded pictures (pictures.js) in the box `points`. */
  sendImage({ id = newStrokeId(), image, points, angle }) {
    if (!this.ready) return;
    const message = { type: "image", id, image, points };
    if (angle) message.angle = angle;
    this.state.addElement({ ...message, kind: "image", color: "#000000", user: this.me });
    this.connection?.send(message);
    this.historyChanged({ can_undo: true, can_redo: false });
  }

  sendText({ id = newStrokeId(), tool, color, points, text, size, align, fill, angle }) {
    if (!this.ready) return;
    const message = { type: "text", id, kind: tool, color, points, text, size, align };
    if (fill) message.fill = fill;
    if (angle) message.angle = angle;
    this.state.addElement({ ...message, user: this.me });
    this.connection?.send(message);
    this.historyChanged({ can_undo: true, can_redo: false });
  }

  /**
   * Move elements by (dx, dy) board fractions: shown moved at once, sent as
   * one `move` (a few, past MAX_MOVE_IDS), each with its own id so that
   * sending it again after a reconnect moves nothing twice.
   */
  sendMove(ids, dx, dy) {
    [dx, dy] = [roundCoordinate(dx), roundCoordinate(dy)];
    if (!dx && !dy) return;
    for (let start = 0; start < ids.length; start += MAX_MOVE_IDS) {
      const message = { type: "move", id: newStrokeId(), ids: ids.slice(start, start + MAX_MOVE_IDS), dx, dy };
      const detached = this.detachedStates(message.ids);
      if (detached.length) {
        this.editsBefore.set(message.id, new Map(detached.map(({ element }) => [element, this.state.savedState(element)])));
        for (const edit of detached) this.state.editElement(edit, { drawn: true });
      }
      this.state.moveElements(message);
      this.connection?.send(message);
    }
    this.historyChanged({ can_undo: true, can_redo: false });
  }

  /**
   * The lines and arrows among `ids` with an end attached to an element that
   * stays where it is: moved, they let go of it, from where they are drawn,
   * so that they move as the person sees them (as the server does:
   * whiteboard/services.py, detach_edits). Their new states, as `edits`
   * entries with points as drawn.
   */
  detachedStates(ids) {
    const moving = new Set(ids);
    const edits = [];
    for (const id of ids) {
      const stroke = this.state.get(id);
      if (!stroke || !isAttached(stroke)) continue;
      const letGo = ATTACHED_ENDS.filter((end) => stroke.props[end] && !moving.has(stroke.props[end].id));
      if (!letGo.length) continue;
      const drawn = this.canvas.pointsOf(stroke);
      const points = stroke.points.map((point) => [...point]);
      const props = { ...stroke.props };
      for (const end of letGo) {
        const index = ATTACHED_ENDS.indexOf(end);
        points[index] = [drawn[index][0], drawn[index][1]];
        delete props[end];
      }
      edits.push({ element: id, version: stroke.textVersion, color: stroke.color, points, ...props });
    }
    return edits;
  }

  /**
   * Resize and turn elements as `params` says ({x, y, sx, sy, angle}:
   * selection.js): shown so at once, sent as one `transform` (a few, past
   * MAX_MOVE_IDS); the ack brings what the server stored, a refusal puts
   * them back as they were.
   */
  sendTransform(ids, params) {
    for (let start = 0; start < ids.length; start += MAX_MOVE_IDS) {
      const message = { type: "transform", id: newStrokeId(), ids: ids.slice(start, start + MAX_MOVE_IDS), ...params };
      this.editsBefore.set(message.id, new Map(message.ids.map((id) => [id, this.state.savedState(id)])));
      for (const id of message.ids) {
        const element = this.state.get(id);
        if (!element) continue;
        const { points, props } = transformed(element, params, this.canvas.boardWidth, this.canvas.boardHeight);
        this.state.editElement({ element: id, version: element.textVersion, color: element.color, points, ...props }, { drawn: true });
      }
      this.connection?.send(message);
    }
    this.historyChanged({ can_undo: true, can_redo: false });
  }

  /** Put elements in front of all the others or behind them (`place`): drawn so when the server says where. */
  sendOrder(ids, place) {
    for (let start = 0; start < ids.length; start += MAX_MOVE_IDS) {
      this.connection?.send({ type: "order", id: newStrokeId(), ids: ids.slice(start, start + MAX_MOVE_IDS), place });
    }
    this.historyChanged({ can_undo: true, can_redo: false });
  }

  // Holding the selection while it is dragged (whiteboard/holds.py)

  /** The name of someone else holding one of `ids`, or null. */
  holderOf(ids) {
    const wanted = new Set(ids);
    for (const hold of this.currentHolds()) if (hold.ids.some((id) => wanted.has(id))) return hold.user;
    return null;
  }

  /** Others' holds that have not run out: a vanished page's hold goes after HOLD_SECONDS. */
  currentHolds() {
    const now = performance.now();
    return [...this.holds.values()]
      .filter((hold) => now - hold.since < HOLD_SECONDS * 1000)
      .map((hold) => ({ ...hold, color: personColor(hold.user) }));
  }

  /** Hold the elements for as long as the drag (or edit) lasts; rejects if someone else holds one of them. */
  holdSelection(ids, reason = "move") {
    clearInterval(this.holdTimer);
    const hold = () => this.connection.request({ type: "hold", ids: ids.slice(0, MAX_MOVE_IDS), reason });
    this.holdTimer = setInterval(() => hold().catch(() => {}), HOLD_RENEW_MS);
    return hold().catch((error) => {
      clearInterval(this.holdTimer);
      this.toast(error.message);
      throw error;
    });
  }

  /** Where the held selection is being dragged, sent at most once an animation frame. */
  dragSelection(dx, dy) {
    this.sendDrag({ type: "drag", dx: roundCoordinate(dx), dy: roundCoordinate(dy) });
  }

  /** How the held selection is being resized or turned so far ({x, y, sx, sy, angle}), as dragSelection. */
  dragTransform(params) {
    this.sendDrag({ type: "drag", ...params });
  }

  sendDrag(frame) {
    const pending = this.dragFrame;
    this.dragFrame = frame;
    if (pending) return;
    requestAnimationFrame(() => {
      if (this.dragFrame) this.connection?.sendEphemeral(this.dragFrame);
      this.dragFrame = null;
    });
  }

  releaseSelection() {
    clearInterval(this.holdTimer);
    this.dragFrame = null;
    this.connection?.send({ type: "release" });
  }

  /** The selection changed: its actions show while there is one. */
  selectionChanged(count) {
    $("#selection-actions").hidden = count === 0;
  }

  bindSelectionActions() {
    const actions = {
      front: () => this.selection.reorder("front"),
      back: () => this.selection.reorder("back"),
      duplicate: () => this.selection.duplicate(),
      png: () => this.copyAs("png"),
      svg: () => this.copyAs("svg"),
      delete: () => this.selection.erase(),
    };
    for (const button of document.querySelectorAll("[data-selection]")) {
      button.addEventListener("click", () => actions[button.dataset.selection]());
    }
  }

  // Copy, paste, duplicate (clipboard.js)

  bindPictures() {
    const input = $("#image-file");
    $("#add-image").addEventListener("click", () => input.click());
    input.addEventListener("change", () => {
      this.pictures.add([...input.files]); // what is not a picture is refused by the server, which says why
      input.value = "";
    });
    const stage = $("#stage");
    stage.addEventListener("dragover", (event) => {
      if ([...event.dataTransfer.types].includes("Files")) event.preventDefault();
    });
    stage.addEventListener("drop", (event) => {
      const files = [...(event.dataTransfer.files ?? [])];
      if (!files.length) return;
      event.preventDefault();
      this.pictures.add(files, { at: [event.clientX, event.clientY] }); // where it was dropped
    });
  }

  bindClipboard() {
    const selecting = (event) => this.brush.tool === "select" && !isTyping(event) && this.selection.selected().length > 0;
    for (const kind of ["copy", "cut"]) {
      document.addEventListener(kind, (event) => {
        if (!selecting(event)) return;
        const text = clipboardText(
          this.selection.selected(), (stroke) => this.canvas.pointsOf(stroke), (image) => this.pictureUrl(image),
        );
        event.clipboardData.setData(CLIPBOARD_TYPE, text);
        event.clipboardData.setData("text/plain", text);
        event.preventDefault();
        if (kind === "cut" && this.ready) {
          this.erase(this.selection.selected().map((stroke) => stroke.id));
          this.selection.clear();
        }
      });
    }
    document.addEventListener("paste", (event) => {
      if (isTyping(event) || !this.ready) return;
      const pictures = Pictures.picturesIn(event.clipboardData.files);
      if (pictures.length) {
        event.preventDefault();
        this.pictures.add(pictures);
        return;
      }
      const elements = parseClipboard(event.clipboardData.getData(CLIPBOARD_TYPE) || event.clipboardData.getData("text/plain"));
      if (!elements?.length) return;
      event.preventDefault();
      this.paste(elements);
    });
  }

  /** Draw `elements` again, centred in the view (a little aside if that is where they already are), selected. */
  paste(elements, { aside = false } = {}) {
    const xs = elements.flatMap((element) => element.points.map(([x]) => x));
    const ys = elements.flatMap((element) => element.points.map(([, y]) => y));
    const [centreX, centreY] = [(Math.min(...xs) + Math.max(...xs)) / 2, (Math.min(...ys) + Math.max(...ys)) / 2];
    const { width, height } = this.canvas.canvas.getBoundingClientRect();
    const rect = this.canvas.canvas.getBoundingClientRect();
    let [dx, dy] = aside ? [0, 0] : (([x, y]) => [x - centreX, y - centreY])(this.canvas.toBoard(rect.left + width / 2, rect.top + height / 2));
    const near = Math.abs(dx * this.canvas.boardWidth) < PASTE_OFFSET_PX && Math.abs(dy * this.canvas.boardHeight) < PASTE_OFFSET_PX;
    if (aside || near) [dx, dy] = [dx + PASTE_OFFSET_PX / this.canvas.boardWidth, dy + PASTE_OFFSET_PX / this.canvas.boardHeight];
    const ids = recreate(this, elements, dx, dy);
    this.setTool("select");
    this.selection.ids = new Set(ids);
    this.selection.changed();
  }

  sendStroke(chunk) {
    const { id, chunk: index, tool, color, width, points } = chunk;
    this.state.addChunk({ id, chunk: index, user: this.me, tool, color, width, points });
    this.connection?.send({ type: "stroke", id, chunk: index, tool, color, width, points });
    this.historyChanged({ can_undo: true, can_redo: false });
  }

  sendShape(shape) {
    const { id, shape: kind, color, width, points, props } = shape;
    const message = { type: "shape", id, shape: kind, color, width, points, ...props };
    this.state.addElement({ ...message, user: this.me });
    this.connection?.send(message);
    this.historyChanged({ can_undo: true, can_redo: false });
  }

  erase(ids) {
    this.state.hide(ids);
    const { maxEraseIds } = this.limits;
    for (let start = 0; start < ids.length; start += maxEraseIds) {
      this.connection?.send({ type: "erase", ids: ids.slice(start, start + maxEraseIds) });
    }
    this.historyChanged({ can_undo: true, can_redo: false });
  }

  /** Throttled: at most one cursor frame per CURSOR_INTERVAL_MS, the latest position winning. */
  moveCursor(point) {
    this.cursorPoint = point;
    if (this.cursorTimer) return;
    const wait = Math.max(0, this.lastCursorSent + CURSOR_INTERVAL_MS - performance.now());
    this.cursorTimer = setTimeout(() => {
      this.cursorTimer = null;
      this.lastCursorSent = performance.now();
      const [x, y] = this.cursorPoint ?? [null, null];
      this.connection?.sendEphemeral({ type: "cursor", x, y });
    }, wait);
  }

  // What the connection delivers

  applyEvent(frame) {
    this.applyToState(frame);
    this.historyPanel.eventArrived(frame); // after: at the latest moment, the panel shows the live board
  }

  applyToState(frame) {
    switch (frame.type) {
      case "stroke":
        this.state.addChunk(frame, frame.seq);
        break;
      case "shape":
      case "text":
      case "image":
        this.state.addElement(frame, frame.seq);
        break;
      case "erase":
        this.state.hide(frame.ids, frame.seq);
        break;
      case "edit":
        this.state.editElement(frame);
        break;
      case "move":
        this.state.rewriteElements(frame.edits ?? []); // lines and arrows that let go of what stayed
        this.state.moveElements(frame);
        this.dragDone(frame.ids);
        break;
      case "transform":
      case "order":
        this.state.rewriteElements(frame.edits);
        this.dragDone(frame.edits.map((edit) => edit.element));
        break;
      case "clear":
        this.state.clearBefore(frame.seq);
        this.toast(`${frame.user} cleared the board.`);
        break;
      case "undo":
      case "redo":
        this.state.applyChange(frame, frame.seq);
        break;
      case "restore":
        this.state.applyChange(frame, frame.seq);
        this.toast(
          frame.revert_user
            ? `${frame.user} took back ${frame.revert_user}'s changes after #${frame.after_seq}.`
            : `${frame.user} restored the board as it was at #${frame.to_seq}.`,
        );
        break;
      case "board.renamed":
        $("#board-name").textContent = frame.name;
        document.title = `${frame.name} · Boardsite`;
        break;
      default:
        break; // membership and sharing changes: the server closes the socket if access goes
    }
  }

  /** Elements someone held were moved or transformed: where they are now is where they are drawn. */
  dragDone(ids) {
    const changed = new Set(ids);
    for (const hold of this.holds.values()) {
      if (hold.ids.some((id) => changed.has(id))) Object.assign(hold, { dx: 0, dy: 0, transform: null });
    }
  }

  applyAck(command, ack) {
    switch (command.type) {
      case "stroke":
        if (command.chunk === 0) this.state.confirm(command.id, ack.seq);
        break;
      case "shape":
      case "text":
      case "image":
        this.state.confirm(command.id, ack.seq);
        break;
      case "edit":
        this.editsBefore.delete(command.id);
        break;
      case "move":
        this.editsBefore.delete(command.id);
        this.state.rewriteElements(ack.edits ?? []); // the ends it let go of, where the server wrote them
        break;
      case "transform":
      case "order":
        this.editsBefore.delete(command.id);
        this.state.rewriteElements(ack.edits ?? []); // what the server stored (a re-sent one's came with the catch-up)
        break;
      case "erase":
        this.state.hide(ack.ids, ack.seq);
        break;
      case "clear":
        this.state.clearBefore(ack.seq);
        this.historyChanged({ can_undo: true, can_redo: false });
        break;
      case "undo":
      case "redo":
        this.state.applyChange(ack, ack.seq);
        this.historyChanged(ack);
        break;
      case "restore":
      case "revert":
        this.state.applyChange(ack, ack.seq);
        this.historyChanged(ack);
        this.toast(command.type === "restore" ? "Board restored. Undo takes it back." : "Changes taken back. Undo restores them.");
        break;
      default:
        break;
    }
  }

  refused(command, error) {
    if (["stroke", "shape", "text", "image"].includes(command?.type)) {
      this.tools.strokeRefused(command.id);
      // The server holds none of it, or holds it hidden: so must this page.
      if (command.type !== "stroke" || command.chunk === 0 || error.code === "stroke_gone") this.state.hide([command.id]);
    }
    if (command?.type === "move") {
      // Nothing of it moved on the server: take it back here too.
      this.state.moveElements({ ids: command.ids, dx: -command.dx, dy: -command.dy });
      for (const [id, before] of this.editsBefore.get(command.id) ?? []) this.state.restoreState(id, before);
      this.editsBefore.delete(command.id);
    }
    if (command?.type === "edit") {
      // Not saved (someone else's words won, or the text went): show it as it was before.
      this.state.restoreState(command.element, this.editsBefore.get(command.id));
      this.editsBefore.delete(command.id);
    }
    if (command?.type === "transform") {
      for (const [id, before] of this.editsBefore.get(command.id) ?? []) this.state.restoreState(id, before);
      this.editsBefore.delete(command.id);
    }
    if (error.code === "nothing_to_undo") this.historyChanged({ can_undo: false });
    else if (error.code === "nothing_to_redo") this.historyChanged({ can_redo: false });
    else if (!["nothing_to_erase", "nothing_to_move", "nothing_to_change", "board_empty"].includes(error.code)) this.toast(error.message);
    else this.toast(error.message, { quiet: true });
  }

  ephemeral(frame) {
    switch (frame.type) {
      case "hello":
        this.members.clear();
        this.members.set(frame.user.conn, frame.user);
        for (const conn of this.cursors.keys()) this.removeCursor(conn);
        this.renderPresence();
        this.shareView();
        break;
      case "history":
        this.historyChanged(frame);
        break;
      case "presence":
        for (const conn of applyPresence(this.members, frame)) {
          this.removeCursor(conn);
          this.holds.delete(conn);
        }
        if (this.following && ![...this.members.values()].some((member) => member.username === this.following)) {
          this.stopFollowing(); // they left
        }
        if (frame.joined?.length) this.shareView(); // so the newcomer can follow this page at once
        this.renderPresence();
        this.canvas.invalidateBase();
        break;
      case "holds":
        this.holds = new Map(frame.holds.map((hold) => [hold.conn, { ...hold, dx: 0, dy: 0, since: performance.now() }]));
        this.canvas.invalidateBase();
        break;
      case "held":
        this.holds.set(frame.conn, { ...this.holds.get(frame.conn), ...frame, since: performance.now() });
        this.holds.get(frame.conn).dx ??= 0;
        this.holds.get(frame.conn).dy ??= 0;
        this.canvas.invalidateBase();
        break;
      case "released":
        this.holds.delete(frame.conn);
        this.canvas.invalidateBase();
        break;
      case "drag":
        if (this.holds.has(frame.conn)) {
          const { x, y, sx, sy, angle } = frame;
          const transform = x === undefined ? null : { x, y, sx, sy, angle };
          Object.assign(this.holds.get(frame.conn), { dx: frame.dx ?? 0, dy: frame.dy ?? 0, transform });
          this.canvas.requestRender();
        }
        break;
      case "cursor":
        this.showCursor(frame);
        break;
      case "view":
        this.views.set(frame.member.username, frame);
        if (this.following === frame.member.username) this.showView(frame);
        break;
      default:
        break;
    }
  }

  // Presence, cursors, status

  renderPresence() {
    const list = $("#presence");
    const people = new Map(); // one avatar per person, however many tabs
    for (const member of this.members.values()) people.set(member.username, member);
    list.replaceChildren(
      ...[...people.values()].map((member) => {
        const avatar = document.createElement("li");
        avatar.className = "avatar";
        avatar.style.background = personColor(member.username);
        avatar.textContent = initial(member.username);
        avatar.title = member.username === this.me ? `${member.username} (you)` : member.username;
        avatar.dataset.username = member.username;
        if (member.username !== this.me) {
          // Someone else: a button that follows their view (the list keeps its items).
          const follow = document.createElement("button");
          follow.type = "button";
          follow.className = "wb-follow";
          follow.textContent = avatar.textContent;
          follow.setAttribute("aria-label", `Follow ${member.username}’s view`);
          follow.setAttribute("aria-pressed", String(this.following === member.username));
          follow.dataset.follow = member.username;
          avatar.replaceChildren(follow);
        }
        return avatar;
      }),
    );
    const others = people.size - (people.has(this.me) ? 1 : 0);
    list.setAttribute("aria-label", others ? `${people.size} people on this board` : "Only you on this board");
  }

  // Following someone's view

  /** Tell the others what this page shows, at most every VIEW_INTERVAL_MS, the latest winning. */
  shareView() {
    if (this.viewTimer || !this.connection) return;
    this.viewTimer = setTimeout(() => {
      this.viewTimer = null;
      const rect = this.canvas.canvas.getBoundingClientRect();
      if (!rect.width || !rect.height) return;
      const [x1, y1] = this.canvas.toBoard(rect.left, rect.top);
      const [x2, y2] = this.canvas.toBoard(rect.right, rect.bottom);
      const [left, top, right, bottom] = [x1, y1, x2, y2].map(roundCoordinate);
      if (right > left && bottom > top) this.connection?.sendEphemeral({ type: "view", x1: left, y1: top, x2: right, y2: bottom });
    }, VIEW_INTERVAL_MS);
  }

  toggleFollow(username) {
    if (this.following === username) this.stopFollowing();
    else this.startFollowing(username);
  }

  startFollowing(username) {
    this.following = username;
    this.renderPresence();
    this.toast(`Following ${username}’s view. Move the board yourself to stop.`);
    const view = this.views.get(username);
    if (view) this.showView(view);
  }

  stopFollowing() {
    if (!this.following) return;
    const username = this.following;
    this.following = null;
    this.renderPresence();
    this.toast(`No longer following ${username}.`, { quiet: true });
  }

  /** Show what the followed person shows (as much of it as this window holds, centred). */
  showView({ x1, y1, x2, y2 }) {
    const { boardWidth, boardHeight } = this.canvas;
    this.applyingFollow = true;
    this.canvas.fitted = false;
    this.canvas.showArea(x1 * boardWidth, y1 * boardHeight, (x2 - x1) * boardWidth, (y2 - y1) * boardHeight);
    this.applyingFollow = false;
  }

  showCursor({ member, x, y }) {
    if (x === null || y === null) {
      this.removeCursor(member.conn);
      return;
    }
    let cursor = this.cursors.get(member.conn);
    if (!cursor) {
      cursor = document.createElement("div");
      cursor.className = "wb-cursor";
      cursor.style.setProperty("--person", personColor(member.username));
      const label = document.createElement("span");
      label.textContent = member.username;
      cursor.append(label);
      $("#cursors").append(cursor);
      this.cursors.set(member.conn, cursor);
    }
    cursor.dataset.x = x;
    cursor.dataset.y = y;
    this.placeCursor(cursor);
  }

  placeCursor(cursor) {
    const [left, top] = this.canvas.toScreen(Number(cursor.dataset.x), Number(cursor.dataset.y));
    cursor.style.transform = `translate(${left}px, ${top}px)`;
  }

  removeCursor(conn) {
    this.cursors.get(conn)?.remove();
    this.cursors.delete(conn);
  }

  /** How far the floating panels reach into the stage, plus a margin. */
  panelInsets() {
    const margin = 12;
    const stage = $("#stage").getBoundingClientRect();
    const topPanels = [...document.querySelectorAll(".wb-top .wb-panel")].map((panel) => panel.getBoundingClientRect().bottom);
    return {
      top: Math.max(0, ...topPanels.map((bottom) => bottom - stage.top)) + margin,
      bottom: Math.max(0, stage.bottom - $(this.replay ? "#history-panel" : ".wb-toolbar").getBoundingClientRect().top) + margin,
      left: margin,
      right: margin,
    };
  }

  viewChanged() {
    if (this.following && !this.applyingFollow) this.stopFollowing(); // the person moved the board themselves
    this.shareView();
    for (const cursor of this.cursors.values()) this.placeCursor(cursor);
    this.textEditor?.place();
    $("#zoom-reset").textContent = `${Math.round(this.canvas.zoom * 100)}%`;
  }

  setStatus(state, detail = {}) {
    showStatus($("#connection-status"), state, detail, {
      live: "Changes are saved as you draw.",
      waiting: "Your drawing is kept and sent when the connection is back.",
    });
    if (state === "offline") this.end(detail.message, detail.pending);
    else if (detail.message) this.toast(detail.message, { sticky: true });
  }

  toast(message, { sticky = false, quiet = false } = {}) {
    const toast = $("#toast");
    toast.textContent = message;
    toast.hidden = false;
    toast.dataset.quiet = quiet;
    clearTimeout(this.toastTimer);
    if (!sticky) this.toastTimer = setTimeout(() => (toast.hidden = true), quiet ? 2000 : 5000);
  }

  historyChanged(change) {
    if ("can_undo" in change) this.history.can_undo = change.can_undo;
    if ("can_redo" in change) this.history.can_redo = change.can_redo;
    $("#undo").disabled = !this.history.can_undo;
    $("#redo").disabled = !this.history.can_redo;
  }

  // Toolbar

  loadBrush() {
    const fallback = {
      tool: "pen", color: INK, widths: { ...DEFAULT_WIDTHS }, fill: "none", dash: "solid", opacity: 1, textSize: 24, align: "left",
    };
    try {
      const saved = JSON.parse(localStorage.getItem(STORAGE_KEY));
      if (saved && /^#[0-9a-f]{6}$/i.test(saved.color)) {
        const brush = { ...fallback, color: saved.color, widths: { ...fallback.widths, ...saved.widths } };
        for (const name of ["fill", "dash", "opacity", "textSize", "align"]) {
          const known = [...document.querySelectorAll(`[${dataAttribute(name)}]`)].some((button) => button.dataset[name] === String(saved[name]));
          if (known) brush[name] = saved[name];
        }
        return brush;
      }
    } catch {
      // A broken saved brush is no reason not to draw.
    }
    return fallback;
  }

  saveBrush() {
    const { color, widths, fill, dash, opacity, textSize, align } = this.brush;
    localStorage.setItem(STORAGE_KEY, JSON.stringify({ color, widths, fill, dash, opacity, textSize, align }));
  }

  setTool(tool) {
    this.tools.finish();
    this.textEditor.finish();
    if (tool !== "select") this.selection.clear();
    this.brush.tool = tool;
    this.renderBrush();
  }

  renderBrush() {
    for (const button of document.querySelectorAll("button[data-tool]")) { // not the canvas, which names the tool for its cursor
      button.setAttribute("aria-pressed", String(button.dataset.tool === this.brush.tool));
    }
    for (const button of document.querySelectorAll("button[data-color]")) {
      button.setAttribute("aria-pressed", String(button.dataset.color === this.brush.color));
    }
    $("#custom-color").value = this.brush.color;
    const width = this.brush.widths[this.brush.tool];
    for (const button of document.querySelectorAll("button[data-width]")) {
      button.setAttribute("aria-pressed", String(Number(button.dataset.width) === width));
      button.disabled = width === undefined;
    }
    $("#width-style").hidden = width === undefined; // the select tool, texts, the hand: no width to choose
    for (const name of STYLE_OPTIONS) {
      for (const button of document.querySelectorAll(`button[${dataAttribute(name)}]`)) {
        button.setAttribute("aria-pressed", String(button.dataset[name] === String(this.brush[name])));
      }
    }
    const tool = this.brush.tool;
    $("#shape-style").hidden = !SHAPE_TOOLS.has(tool);
    $("#text-style").hidden = tool !== "text" && tool !== "note";
    for (const button of document.querySelectorAll("button[data-fill]")) button.disabled = !CLOSED_SHAPES.has(tool);
    $("#board-canvas").dataset.tool = tool;
  }

  bindToolbar() {
    // The swatches' colours, set here: the Content-Security-Policy refuses style="" attributes.
    for (const swatch of document.querySelectorAll(".wb-swatch[data-color]")) {
      swatch.style.setProperty("--swatch", swatch.dataset.color);
    }
    document.addEventListener("click", (event) => {
      const button = event.target.closest("button");
      if (!button) return;
      if (button.dataset.tool) this.setTool(button.dataset.tool);
      else if (button.dataset.color) this.pickColor(button.dataset.color);
      else if (STYLE_OPTIONS.some((name) => button.dataset[name] !== undefined)) this.pickStyle(button);
      else if (button.dataset.width && this.brush.widths[this.brush.tool] !== undefined) {
        this.brush.widths[this.brush.tool] = Number(button.dataset.width);
        this.saveBrush();
        this.renderBrush();
      }
    });
    $("#custom-color").addEventListener("input", (event) => this.pickColor(event.target.value));
    $("#undo").addEventListener("click", () => this.undo());
    $("#redo").addEventListener("click", () => this.redo());
    $("#zoom-in").addEventListener("click", () => this.canvas.zoomBy(1.25));
    $("#zoom-out").addEventListener("click", () => this.canvas.zoomBy(0.8));
    $("#zoom-reset").addEventListener("click", () => this.canvas.resetView());
    $("#export-png").addEventListener("click", () => this.exportPng());
    $("#history-open").addEventListener("click", () => (this.historyPanel.isOpen ? this.historyPanel.close() : this.historyPanel.open()));
    $("#presence").addEventListener("click", (event) => {
      const follow = event.target.closest("button[data-follow]");
      if (follow) this.toggleFollow(follow.dataset.follow);
    });
    $("#clear").addEventListener("click", () => {
      const dialog = $("#clear-dialog");
      dialog.returnValue = ""; // closing with Escape keeps the previous value otherwise
      dialog.showModal();
    });
    $("#clear-dialog").addEventListener("close", (event) => {
      if (event.target.returnValue === "clear") this.connection?.send({ type: "clear" }, { idempotent: false });
    });
  }

  /** A fill, dash, opacity, text size or alignment button: the brush keeps it, for this and later visits. */
  pickStyle(button) {
    const name = STYLE_OPTIONS.find((option) => button.dataset[option] !== undefined);
    const value = button.dataset[name];
    this.brush[name] = name === "opacity" || name === "textSize" ? Number(value) : value;
    this.saveBrush();
    this.renderBrush();
  }

  pickColor(color) {
    this.brush.color = color.toLowerCase();
    if (["eraser", "hand", "select"].includes(this.brush.tool)) this.brush.tool = "pen";
    this.saveBrush();
    this.renderBrush();
  }

  undo() {
    if (this.ended) return;
    this.tools.finish();
    this.connection?.send({ type: "undo" }, { idempotent: false });
  }

  redo() {
    if (this.ended) return;
    this.tools.finish();
    this.connection?.send({ type: "redo" }, { idempotent: false });
  }

  bindKeys() {
    addEventListener("keydown", (event) => {
      if (isTyping(event)) return;
      if (this.brush.tool === "select" && !this.ended && this.selection.key(event)) {
        event.preventDefault();
        return;
      }
      const key = event.key.toLowerCase();
      if ((event.ctrlKey || event.metaKey) && key === "z") {
        event.preventDefault();
        if (event.shiftKey) this.redo();
        else this.undo();
      } else if ((event.ctrlKey || event.metaKey) && key === "y") {
        event.preventDefault();
        this.redo();
      } else if (event.ctrlKey || event.metaKey || event.altKey) {
        return;
      } else if (TOOL_KEYS[key]) {
        this.setTool(TOOL_KEYS[key]);
      } else if (ACTION_KEYS[key] && this.ready) {
        ACTION_KEYS[key]();
      } else if (key === "+" || key === "=") {
        this.canvas.zoomBy(1.25);
      } else if (key === "-") {
        this.canvas.zoomBy(0.8);
      } else if (key === "0" || (event.shiftKey && event.code === "Digit1")) {
        this.canvas.resetView();
      } else if (PAN_KEYS[key]) {
        event.preventDefault(); // the page itself does not scroll
        const [dx, dy] = PAN_KEYS[key];
        const step = event.shiftKey ? PAN_STEP_SHIFT_PX : PAN_STEP_PX;
        this.canvas.panBy(dx * step, dy * step);
      }
    });
  }

  /**
   * Put the selection on the clipboard as a picture for other apps: a PNG
   * the page draws (as its PNG export, framed by the selection), or the
   * server's SVG of those elements, also as text (SVG markup is what most
   * apps paste). The clipboard takes pictures on https (and localhost) only.
   */
  async copyAs(kind) {
    const selected = this.selection.selected();
    if (!selected.length) return;
    if (!navigator.clipboard?.write || typeof ClipboardItem === "undefined") {
      this.toast("This browser cannot put pictures on the clipboard here: it needs the site on https.");
      return;
    }
    const items = {};
    if (kind === "png") {
      items["image/png"] = this.canvas.exportPng(selected, { sheet: false });
    } else {
      const markup = this.selectionSvg(selected.map((stroke) => stroke.id));
      if (ClipboardItem.supports?.("image/svg+xml")) items["image/svg+xml"] = markup.then((text) => new Blob([text], { type: "image/svg+xml" }));
      items["text/plain"] = markup.then((text) => new Blob([text], { type: "text/plain" }));
    }
    try {
      await navigator.clipboard.write([new ClipboardItem(items)]);
      this.toast(`Copied as ${kind.toUpperCase()}: paste it into any app.`, { quiet: true });
    } catch (error) {
      this.toast(`Could not copy the picture: ${error.message}`);
    }
  }

  /** The server's SVG of some elements (a POST: the ids may be too many for a URL). */
  async selectionSvg(ids) {
    const body = new FormData();
    body.set("ids", ids.join(","));
    const response = await fetch(config.exportSvgUrl, { method: "POST", body, headers: { "X-CSRFToken": this.csrfToken } });
    if (!response.ok) throw new Error(response.status === 429 ? await response.text() : `the server answered ${response.status}`);
    return response.text();
  }

  async exportPng() {
    const blob = await this.canvas.exportPng(this.state.visible());
    const link = document.createElement("a");
    link.href = URL.createObjectURL(blob);
    link.download = `${config.slug}.png`;
    link.click();
    setTimeout(() => URL.revokeObjectURL(link.href), 1000);
  }
}

// Notices from the last form (member added, board renamed) float over the board: let them go.
setTimeout(() => document.querySelector(".messages")?.remove(), 6000);

new WhiteboardPage().start();
