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
    this.strokes = new Map(); // id -> stroke, in drawing order
    this.movesApplied = new Set(); // ids of the `move`s applied, each once (this page applies its own as it sends them)
    this.onChange = onChange;
  }

  /**
   * Replace everything with a snapshot from the server: `{seq, strokes}`,
   * `strokes` holding one list per field with packed points (docs/protocol.md).
   */
  load(snapshot) {
    this.strokes.clear();
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
    this.strokes.set(id, stroke);
    return stroke;
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
    if (seq !== null && chunk === 0) stroke.createdSeq = Math.min(stroke.createdSeq, seq);
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
      if (seq !== null) known.createdSeq = Math.min(known.createdSeq, seq);
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
   * An `edit` (or an entry of an undo's, redo's or restore's `edits`): a
   * text's new words, size, alignment, colours and box, and its version.
   * Its points are as stored (without the offset) unless `drawn` (this
   * page's own edit, written where the text is drawn).
   */
  editElement(edit, { drawn = false } = {}) {
    const stroke = this.strokes.get(edit.element);
    if (!stroke) return;
    const { type, seq, ref, id, user, element, version, color, points, ...props } = edit;
    stroke.props = props;
    stroke.color = color;
    stroke.points = drawn ? points : translated(points, stroke.dx, stroke.dy);
    stroke.textVersion = version;
    stroke.version += 1; // what is drawn of it changed
    this.onChange(null);
  }

  /** A text's words, colour, box (as drawn) and version, to put back if an edit of it is refused. */
  textState(id) {
    const stroke = this.strokes.get(id);
    return stroke && { props: stroke.props, color: stroke.color, points: stroke.points, textVersion: stroke.textVersion };
  }

  restoreText(id, state) {
    const stroke = this.strokes.get(id);
    if (!stroke || !state) return;
    Object.assign(stroke, state);
    stroke.version += 1;
    this.onChange(null);
  }

  /** The server stored this page's own stroke at `seq`. */
  confirm(id, seq) {
    const stroke = this.strokes.get(id);
    if (stroke) stroke.createdSeq = Math.min(stroke.createdSeq, seq);
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
        known.createdSeq = Math.min(known.createdSeq, seq);
      } else {
        const stroke = this.put(shown, seq);
        if (known) stroke.createdSeq = Math.min(known.createdSeq, seq);
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
    for (const edit of change.edits ?? []) this.editElement(edit);
  }

  /** A clear at `seq` hid every stroke stored before it; this page's unsaved strokes come after. */
  clearBefore(seq) {
    this.hide([...this.strokes.values()].filter((stroke) => stroke.createdSeq < seq).map((stroke) => stroke.id), seq);
  }

  visible() {
    return [...this.strokes.values()].filter((stroke) => !stroke.hidden);
  }

  get(id) {
    return this.strokes.get(id);
  }
}
