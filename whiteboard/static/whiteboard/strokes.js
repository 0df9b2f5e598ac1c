// The board's strokes as this page knows them, hidden ones too, changed only
// by the snapshot, by events in seq order and by this user's own drawing.
// Every change is idempotent (a chunk is appended once, hiding and showing
// are sets, a move is applied once per id), so a catch-up that repeats
// something changes nothing. A stroke's points are held where it is drawn:
// as drawn plus its offset (`dx`, `dy`), which moves add to.
//
// Each hidden stroke keeps the seq of the event that hid it (`hiddenBy`),
// also once shown again: undo, redo and restore events name those marks,
// or the strokes drawn after a seq, rather than list what they hide and
// show (whiteboard/visibility.py has the same rules).

import { unpackPoints } from "./points.js";

export const SHAPE_TOOLS = new Set(["line", "arrow", "rect", "ellipse", "diamond"]);
// The fields of a `shape` or `text` event that are the element's own, not its props.
const ELEMENT_FIELDS = new Set(["type", "seq", "ref", "id", "user", "shape", "kind", "color", "width", "points"]);

/**
 * Which of two elements is drawn first (whiteboard/replay.py, draw_key): by
 * the `z` an `order` gave it, else by its created seq; ties by created seq.
 * This page's own new elements (no seq yet) go on top, in the order drawn.
 */
function drawingOrder(a, b) {
  return (a.props?.z ?? a.createdSeq) - (b.props?.z ?? b.createdSeq) || a.createdSeq - b.createdSeq || 0;
}

/** `points` moved by (dx, dy), pressure kept. */
function translated(points, dx, dy) {
  if (!dx && !dy) return points;
  return points.map(([x, y, ...pressure]) => [x + dx, y + dy, ...pressure]);
}

/** What a `shape` or `text` frame adds to its element (fill, dash, a text's words...). */
export function propsOf(frame) {
  return Object.fromEntries(Object.entries(frame).filter(([name]) => !ELEMENT_FIELDS.has(name)));
}

export class BoardState {
  /** `onChange(stroke)` after a stroke grew or was added; `onChange(null)` after anything else. */
  constructor({ onChange }) {
    this.strokes = new Map(); // id -> stroke, in the order they came
    this.order = null; // every stroke in drawing order (drawingOrder), until that may have changed
    this.movesApplied = new Set(); // ids of the `move`s applied, each once (this page applies its own as it sends them)
    this.onChange = onChange;
  }

  /**
   * Replace everything with a snapshot from the server: `{seq, strokes}`,
   * `strokes` holding one list per field with packed points (docs/protocol.md).
   */
  load(snapshot) {
    this.strokes.clear();
    this.order = null;
    const { id, user, tool, color, width, chunks, created, hidden, hidden_by: hiddenBy, props, dx, dy, version, points } = snapshot.strokes;
    for (let i = 0; i < id.length; i += 1) {
      const stroke = { id: id[i], user: user[i], tool: tool[i], color: color[i], width: width[i], chunks: chunks[i], props: props[i] };
      const held = this.put({ ...stroke, points: translated(unpackPoints(points[i]), dx[i], dy[i]) }, created[i]);
      held.dx = dx[i];
      held.dy = dy[i];
      held.textVersion = version[i];
      held.hidden = hidden[i] === 1;
      held.hiddenBy = hiddenBy[i];
    }
    this.onChange(null);
  }

  put({ id, user, tool, color, width, chunks, points, props = {} }, createdSeq) {
    // `version` counts changes of what is drawn (for caches); `textVersion` is the server's count of a text's edits.
    const stroke = {
      id, user, tool, color, width, chunks, points, props, createdSeq, hidden: false, hiddenBy: 0, version: 0, dx: 0, dy: 0, textVersion: 0,
    };
    const replacing = this.strokes.has(id);
    this.strokes.set(id, stroke);
    const last = this.order?.at(-1);
    if (this.order && !replacing && (!last || drawingOrder(last, stroke) <= 0)) this.order.push(stroke);
    else this.order = null;
    return stroke;
  }

  /** A stroke's created seq became known (or earlier): where it is drawn may change. */
  created(stroke, seq) {
    if (seq >= stroke.createdSeq) return;
    stroke.createdSeq = seq;
    this.order = null;
  }

  /**
   * Apply one chunk of a freehand stroke. `seq` is null for this page's own
   * chunk before the server has stored it. Returns false for a chunk already held.
   */
  addChunk({ id, chunk, user, tool, color, width, points }, seq = null) {
    let stroke = this.strokes.get(id);
    if (!stroke) {
      stroke = this.put({ id, user, tool, color, width, chunks: 0, points: [] }, seq ?? Infinity);
    }
    if (seq !== null && chunk === 0) this.created(stroke, seq);
    if (chunk < stroke.chunks) return false;
    // Points held are where the stroke is drawn: a stroke moved since it started (rarely) moves its next chunks too.
    stroke.points.push(...(seq === null ? points : translated(points, stroke.dx, stroke.dy)));
    stroke.chunks = chunk + 1;
    stroke.version += 1;
    this.onChange(stroke);
    return true;
  }

  /**
   * An element sent whole: a shape (`shape` frame) or a text or note (`text`
   * frame), given by two corners, with what its kind adds (propsOf).
   */
  addElement(frame, seq = null) {
    const known = this.strokes.get(frame.id);
    if (known) {
      if (seq !== null) this.created(known, seq);
      return;
    }
    const { id, user, color, points } = frame;
    const element = { id, user, tool: frame.shape ?? frame.kind, color, width: frame.width ?? 0, chunks: 1, points, props: propsOf(frame) };
    this.onChange(this.put(element, seq ?? Infinity));
  }

  /**
   * A `move` (its `id`, the `ids` of the elements, `dx` and `dy` in board
   * fractions), applied once however often it comes; a translation an undo,
   * redo or restore names (no `id`) is applied as it comes, once per seq.
   */
  moveElements({ id = null, ids, dx, dy }) {
    if (id !== null) {
      if (this.movesApplied.has(id)) return;
      this.movesApplied.add(id);
    }
    for (const elementId of ids) {
      const stroke = this.strokes.get(elementId);
      if (!stroke) continue;
      stroke.dx += dx;
      stroke.dy += dy;
      stroke.points = translated(stroke.points, dx, dy);
      stroke.version += 1;
    }
    this.onChange(null);
  }

  /**
   * An `edit`, or an entry of the `edits` of a `transform`, an `order`, an
   * undo, redo or restore: an element's new state (a text's words, size,
   * alignment, colours; anything's points, angle and place) and its version.
   * Its points are as stored (without the offset) unless `drawn` (this
   * page's own change, written where the element is drawn).
   */
  editElement(edit, { drawn = false } = {}) {
    const stroke = this.strokes.get(edit.element);
    if (!stroke) return;
    const { type, seq, ref, id, user, element, version, color, points, ...props } = edit;
    if (props.z !== stroke.props?.z) this.order = null;
    stroke.props = props;
    stroke.color = color;
    stroke.points = drawn ? points : translated(points, stroke.dx, stroke.dy);
    stroke.textVersion = version;
    stroke.version += 1; // what is drawn of it changed
    this.onChange(null);
  }

  /** The `edits` of a `transform` or `order` (or of an ack of this page's own): each element's new state. */
  rewriteElements(edits) {
    for (const edit of edits) this.editElement(edit);
  }

  /** An element's props, colour, points (as drawn) and version, to put back if this page's change of it is refused. */
  savedState(id) {
    const stroke = this.strokes.get(id);
    return stroke && { props: stroke.props, color: stroke.color, points: stroke.points, textVersion: stroke.textVersion };
  }

  restoreState(id, state) {
    const stroke = this.strokes.get(id);
    if (!stroke || !state) return;
    if (state.props?.z !== stroke.props?.z) this.order = null;
    Object.assign(stroke, state);
    stroke.version += 1;
    this.onChange(null);
  }

  /** The server stored this page's own stroke at `seq`. */
  confirm(id, seq) {
    const stroke = this.strokes.get(id);
    if (stroke) this.created(stroke, seq);
  }

  /**
   * Hide strokes, marked as hidden by event `seq`; without a seq (this
   * page's own erase, not stored yet) the mark comes with the event.
   */
  hide(ids, seq = null) {
    let changed = false;
    for (const id of ids) {
      const stroke = this.strokes.get(id);
      if (stroke && (!stroke.hidden || stroke.hiddenBy === null)) {
        changed ||= !stroke.hidden;
        stroke.hidden = true;
        stroke.hiddenBy = seq;
      }
    }
    if (changed) this.onChange(null);
  }

  showIds(ids) {
    let changed = false;
    for (const id of ids) {
      const stroke = this.strokes.get(id);
      if (stroke?.hidden) {
        stroke.hidden = false;
        changed = true;
      }
    }
    if (changed) this.onChange(null);
  }

  /** Strokes an undo or redo stored before marks brought back, whole (this page may never have held them). */
  show(strokes, seq) {
    for (const shown of strokes) {
      const known = this.strokes.get(shown.id);
      if (known && known.chunks >= shown.chunks) {
        known.hidden = false;
        this.created(known, seq);
      } else {
        const stroke = this.put(shown, seq);
        if (known) this.created(stroke, known.createdSeq);
      }
    }
    if (strokes.length) this.onChange(null);
  }

  /** The strokes marked by one of `marks`, hidden or visible as asked. */
  withMarks(marks, hidden) {
    const wanted = new Set(marks);
    return [...this.strokes.values()].filter((stroke) => stroke.hidden === hidden && wanted.has(stroke.hiddenBy)).map((stroke) => stroke.id);
  }

  /**
   * An undo, redo or restore at `seq`: hide what it names (`hide` ids,
   * `hide_marks`, `hide_after`), then show what it names (`show_ids`,
   * `show_marks`, or whole strokes in `show`).
   */
  applyChange(change, seq) {
    this.hide(change.hide ?? [], seq);
    if (change.hide_marks) this.hide(this.withMarks(change.hide_marks, false), seq);
    const after = change.hide_after;
    if (after) {
      const drawnAfter = [...this.strokes.values()].filter(
        (stroke) => !stroke.hidden && stroke.createdSeq > after.seq && stroke.createdSeq < seq && (after.user === undefined || stroke.user === after.user),
      );
      this.hide(drawnAfter.map((stroke) => stroke.id), seq);
    }
    this.showIds(change.show_ids ?? []);
    this.show(change.show ?? [], seq);
    if (change.show_marks) this.showIds(this.withMarks(change.show_marks, true));
    for (const [dx, dy, ids] of change.moves ?? []) this.moveElements({ ids, dx, dy });
    this.rewriteElements(change.edits ?? []);
  }

  /** A clear at `seq` hid every stroke stored before it; this page's unsaved strokes come after. */
  clearBefore(seq) {
    this.hide([...this.strokes.values()].filter((stroke) => stroke.createdSeq < seq).map((stroke) => stroke.id), seq);
  }

  /** The strokes on the board, in drawing order. */
  visible() {
    this.order ??= [...this.strokes.values()].sort(drawingOrder);
    return this.order.filter((stroke) => !stroke.hidden);
  }

  get(id) {
    return this.strokes.get(id);
  }
}
