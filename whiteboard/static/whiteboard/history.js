// The history panel: a time-lapse of the board from empty to now. It opens
// at once on the latest moment, which is the live board as this page holds
// it, and loads the stored events (history.json) a page at a time behind
// it; it replays them with the same rules as the live board (strokes.js),
// so each seq shows exactly what everyone saw then, and lets the owner
// restore a moment or revert one person's later changes. A moment not
// loaded yet is shown as soon as its page arrives. Names from the server
// are only ever set as textContent.

import { personColor } from "./people.js";
import { BoardState } from "./strokes.js";

const SPEEDS = [1, 2, 4, 8, 16];
const PLAY_SECONDS_AT_1X = 20; // a whole history plays in about this long at 1×
const MIN_KEYFRAME_INTERVAL = 250;
const MAX_KEYFRAMES = 60;

const TIME_FORMAT = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "medium" });

/** Apply one stored event frame to a BoardState, as the live page does. */
export function applyFrame(state, frame) {
  switch (frame.type) {
    case "stroke":
      state.addChunk(frame, frame.seq);
      break;
    case "shape":
    case "text":
    case "image":
      state.addElement(frame, frame.seq);
      break;
    case "erase":
      state.hide(frame.ids, frame.seq);
      break;
    case "move":
      state.rewriteElements(frame.edits ?? []);
      state.moveElements(frame);
      break;
    case "edit":
      state.editElement(frame);
      break;
    case "transform":
    case "order":
      state.rewriteElements(frame.edits);
      break;
    case "clear":
      state.clearBefore(frame.seq);
      break;
    case "undo":
    case "redo":
    case "restore":
      state.applyChange(frame, frame.seq);
      break;
    default:
      break; // board renames and membership changes do not change the drawing
  }
}

function elements(count) {
  return count === 1 ? "an element" : `${count} elements`;
}

/** What an event did, in words, for the line under the timeline. */
function describe(frame) {
  switch (frame.type) {
    case "stroke":
      return frame.chunk === 0 ? `${frame.user} started a stroke` : `${frame.user} drew`;
    case "shape":
      return `${frame.user} drew ${frame.shape === "rect" ? "a rectangle" : frame.shape === "arrow" || frame.shape === "ellipse" ? `an ${frame.shape}` : `a ${frame.shape}`}`;
    case "text":
      return frame.kind === "note" ? `${frame.user} added a sticky note` : `${frame.user} wrote a text`;
    case "image":
      return `${frame.user} added a picture`;
    case "erase":
      return `${frame.user} erased ${frame.ids.length} stroke${frame.ids.length === 1 ? "" : "s"}`;
    case "move":
      return `${frame.user} moved ${frame.ids.length} element${frame.ids.length === 1 ? "" : "s"}`;
    case "edit":
      return `${frame.user} edited a text`;
    case "transform":
      return `${frame.user} resized or turned ${elements(frame.edits.length)}`;
    case "order":
      return frame.place === "back" ? `${frame.user} sent ${elements(frame.edits.length)} to the back` : `${frame.user} brought ${elements(frame.edits.length)} to the front`;
    case "clear":
      return `${frame.user} cleared the board`;
    case "undo":
      return `${frame.user} undid a ${frame.step}`;
    case "redo":
      return `${frame.user} redid a ${frame.step}`;
    case "restore":
      return frame.revert_user
        ? `${frame.user} reverted ${frame.revert_user}'s changes after #${frame.after_seq}`
        : `${frame.user} restored the board to #${frame.to_seq}`;
    case "board.renamed":
      return `The board was renamed “${frame.name}”`;
    case "board.member_added":
      return `${frame.member.username} joined the board`;
    case "board.member_removed":
      return `${frame.member.username} left the board`;
    default:
      return "The board's sharing changed";
  }
}

/** A copy of a replay state that later events cannot change (without what the server has not stored yet). */
function copyState(state) {
  const copy = new BoardState({ onChange: () => {} });
  for (const [id, stroke] of state.strokes) {
    if (stroke.createdSeq !== Infinity) copy.strokes.set(id, { ...stroke, points: stroke.points.slice() });
  }
  copy.movesApplied = new Set(state.movesApplied);
  return copy;
}

export class HistoryPanel {
  /**
   * `board` gives: historyUrl, exportSvgUrl, send(command) for a restore,
   * setReplay(scene|null) to show the replay instead of the live board, and
   * live() -> {seq, state}: the live board and the seq it is at.
   */
  constructor({ root, board }) {
    this.root = root;
    this.board = board;
    this.frames = []; // the stored event frames loaded so far, in seq order (frames[i].seq === i + 1)
    this.times = [];
    this.total = 0; // the latest seq known: the end of the timeline, loaded or not
    this.wanted = null; // a seq asked for before its page arrived
    this.firstSeqByAuthor = new Map(); // who changed the drawing, and the seq of their first change
    this.loading = false;
    this.seq = 0;
    this.state = new BoardState({ onChange: () => {} });
    this.keyframes = [{ seq: 0, state: copyState(this.state) }];
    this.author = null;
    this.playing = false;
    this.speed = 1;
    this.element = (name) => root.querySelector(`[data-history="${name}"]`);
    this.bind();
  }

  get isOpen() {
    return !this.root.hidden;
  }

  bind() {
    this.element("slider").addEventListener("input", (event) => {
      this.pause();
      this.showSeq(Number(event.target.value));
    });
    this.element("play").addEventListener("click", () => (this.playing ? this.pause() : this.play()));
    this.element("speed").addEventListener("click", () => {
      this.speed = SPEEDS[(SPEEDS.indexOf(this.speed) + 1) % SPEEDS.length];
      this.element("speed").textContent = `${this.speed}×`;
      this.element("speed").setAttribute("aria-label", `${this.speed}× playback speed`); // names what it shows
    });
    this.element("back").addEventListener("click", () => this.step(-1));
    this.element("forward").addEventListener("click", () => this.step(1));
    this.element("close").addEventListener("click", () => this.close());
    // Only the owner's page has the restore buttons and their dialog.
    this.element("restore")?.addEventListener("click", () => this.confirm("restore"));
    this.element("revert")?.addEventListener("click", () => this.confirm("revert"));
    this.element("authors").addEventListener("click", (event) => {
      const chip = event.target.closest("button[data-author]");
      if (!chip) return;
      this.author = this.author === chip.dataset.author ? null : chip.dataset.author;
      this.render();
    });
    // Escape closes the panel wherever the focus is (the History button while it loads, the
    // slider after), unless a dialog above it is open; the slider steps with its own arrows.
    addEventListener("keydown", (event) => {
      if (event.key !== "Escape" || this.root.hidden || document.querySelector("dialog[open]")) return;
      event.preventDefault();
      this.close();
    });
    this.root.addEventListener("keydown", (event) => {
      if (event.target.closest("input[type=range]")) return;
      if (event.key === "ArrowLeft") this.step(-1);
      else if (event.key === "ArrowRight") this.step(1);
    });
    const dialog = document.getElementById("restore-dialog");
    dialog?.addEventListener("close", () => {
      if (dialog.returnValue === "confirm") this.restore(dialog.dataset.action);
    });
  }

  /** Open on the latest moment at once (the live board), and load what came before behind it. */
  async open() {
    this.root.hidden = false;
    const live = this.board.live();
    this.total = Math.max(this.frames.length, live.seq);
    this.element("slider").max = String(this.total);
    if (this.total > this.frames.length) this.showLive(live);
    else this.showSeq(this.total);
    this.element("slider").focus();
    if (this.loading) return;
    this.loading = true;
    try {
      await this.loadNewEvents();
    } catch (error) {
      this.element("status").textContent = `Could not load the history (${error.message}). Close and try again.`;
    } finally {
      this.loading = false;
    }
  }

  /** The latest moment, before its events are loaded: the live board as this page holds it. */
  showLive(live) {
    this.state = copyState(live.state);
    this.seq = live.seq;
    this.render();
  }


  close() {
    const hadFocus = this.root.contains(document.activeElement);
    this.pause();
    this.root.hidden = true;
    this.board.setReplay(null);
    if (hadFocus) document.getElementById("history-open")?.focus(); // back where the person opened it
  }

  noteAuthor(frame) {
    if (frame.user && !this.firstSeqByAuthor.has(frame.user)) this.firstSeqByAuthor.set(frame.user, frame.seq);
  }

  /**
   * Fetch the events stored since the panel last loaded, page by page,
   * until the timeline's end; a moment asked for meanwhile is shown as
   * soon as its page is in.
   */
  async loadNewEvents() {
    for (;;) {
      const response = await fetch(`${this.board.historyUrl}?after=${this.frames.length}`, { headers: { Accept: "application/json" } });
      if (!response.ok) throw new Error(`the server answered ${response.status}`);
      const page = await response.json();
      page.events.forEach((frame, index) => {
        if (frame.seq !== this.frames.length + 1) return; // a live event got here first
        this.frames.push(frame);
        this.times.push(page.times[index]);
        this.noteAuthor(frame);
      });
      this.total = Math.max(this.total, page.last_seq);
      this.element("slider").max = String(this.total);
      if (this.wanted !== null && this.wanted <= this.frames.length) {
        const wanted = this.wanted;
        this.wanted = null;
        this.showSeq(wanted);
      } else {
        this.render();
      }
      if (page.next_after === null && (this.frames.length >= this.total || !page.events.length)) break;
    }
  }

  /**
   * A live event while the panel is open: the timeline grows, and a viewer
   * watching the latest moment keeps watching it.
   */
  eventArrived(frame) {
    if (!this.isOpen) return; // the next open loads it
    const following = this.seq === this.total && !this.playing;
    this.total = Math.max(this.total, frame.seq);
    if (frame.seq === this.frames.length + 1) {
      this.frames.push(frame);
      this.noteAuthor(frame);
      this.times.push(Date.now());
    }
    this.element("slider").max = String(this.total);
    if (following) this.showSeq(this.total);
    else this.render();
  }

  keyframeInterval() {
    return Math.max(MIN_KEYFRAME_INTERVAL, Math.ceil(this.frames.length / MAX_KEYFRAMES));
  }

  /**
   * Show the board right after event `seq`: from the nearest kept copy at
   * or before it, forwards. Not loaded yet: the latest moment is the live
   * board; any other is shown when its page is in.
   */
  showSeq(seq) {
    if (seq > this.frames.length) {
      const live = this.board.live();
      if (seq === live.seq) {
        this.showLive(live);
        return;
      }
      this.wanted = seq;
      this.render({ pending: seq });
      return;
    }
    this.wanted = null;
    if (seq < this.seq || seq - this.seq > this.keyframeInterval() || this.seq > this.frames.length) {
      let nearest = this.keyframes[0];
      for (const keyframe of this.keyframes) if (keyframe.seq <= seq && keyframe.seq > nearest.seq) nearest = keyframe;
      if (seq < this.seq || nearest.seq > this.seq) {
        this.state = copyState(nearest.state);
        this.seq = nearest.seq;
      }
    }
    const interval = this.keyframeInterval();
    while (this.seq < seq) {
      applyFrame(this.state, this.frames[this.seq]);
      this.seq += 1;
      if (this.seq % interval === 0 && !this.keyframes.some((keyframe) => keyframe.seq === this.seq)) {
        this.keyframes.push({ seq: this.seq, state: copyState(this.state) });
      }
    }
    this.render();
  }

  step(delta) {
    this.pause();
    this.showSeq(Math.min(this.total, Math.max(0, (this.wanted ?? this.seq) + delta)));
  }

  play() {
    if (this.seq >= this.total) this.showSeq(0);
    this.playing = true;
    this.element("play").setAttribute("aria-pressed", "true");
    this.element("play").setAttribute("aria-label", "Pause");
    this.element("play").title = "Pause";
    let last = performance.now();
    const tick = (now) => {
      if (!this.playing) return;
      const perSecond = (this.total / PLAY_SECONDS_AT_1X) * this.speed;
      const steps = Math.max(1, Math.round(((now - last) / 1000) * perSecond));
      last = now;
      this.showSeq(Math.min(this.total, this.seq + steps)); // past what is loaded, it waits for the page
      if (this.seq >= this.total) this.pause();
      else requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  }

  pause() {
    this.playing = false;
    this.element("play").setAttribute("aria-pressed", "false");
    this.element("play").setAttribute("aria-label", "Play");
    this.element("play").title = "Play";
  }

  fadedIds() {
    if (!this.author) return new Set();
    return new Set(this.state.visible().filter((stroke) => stroke.user !== this.author).map((stroke) => stroke.id));
  }

  /** Show where the timeline is; `pending`: the seq asked for, still loading (the board stays as it was). */
  render({ pending = null } = {}) {
    const slider = this.element("slider");
    const at = pending ?? this.seq;
    slider.value = String(at);
    slider.setAttribute("aria-valuetext", `Event ${at} of ${this.total}`);
    const frame = this.frames[this.seq - 1];
    const progress = `Loading the history… ${this.frames.length.toLocaleString()} of ${this.total.toLocaleString()} events`;
    this.element("position").textContent = `#${at.toLocaleString()} of ${this.total.toLocaleString()}`;
    if (pending !== null) {
      this.element("when").textContent = "";
      this.element("status").textContent = progress;
      return;
    }
    this.element("when").textContent = frame
      ? TIME_FORMAT.format(new Date(this.times[this.seq - 1]))
      : this.seq ? "Now" : "The empty board";
    this.element("status").textContent = frame ? describe(frame) : this.seq ? progress : "Before anything was drawn";
    this.renderAuthors();
    const restore = this.element("restore");
    const revert = this.element("revert");
    if (restore) restore.disabled = this.seq === this.total;
    if (revert) {
      revert.disabled = !this.author;
      revert.textContent = this.author ? `Revert ${this.author} after this` : "Revert a person…";
      revert.title = this.author
        ? `Take back everything ${this.author} did after this moment, keeping everyone else's work`
        : "Pick a person first: their strokes stay, the others fade";
    }
    this.element("svg").href = `${this.board.exportSvgUrl}?seq=${this.seq}&download`;
    this.showReplay();
  }

  showReplay() {
    this.board.setReplay({
      visibleStrokes: () => this.state.visible(),
      strokeById: (id) => this.state.get(id),
      fadedIds: this.fadedIds(),
    });
  }

  /** Who drew the strokes visible at this moment, with how many: a chip per person to filter by. */
  renderAuthors() {
    const counts = new Map(); // everyone who changed the drawing so far, in order of their first change
    for (const [name, firstSeq] of this.firstSeqByAuthor) if (firstSeq <= this.seq) counts.set(name, 0);
    for (const stroke of this.state.visible()) counts.set(stroke.user, (counts.get(stroke.user) ?? 0) + 1);
    if (this.author && !counts.has(this.author)) counts.set(this.author, 0);
    this.element("authors").replaceChildren(
      ...[...counts].map(([name, count]) => {
        const chip = document.createElement("button");
        chip.type = "button";
        chip.className = "wb-author";
        chip.dataset.author = name;
        chip.style.setProperty("--person", personColor(name));
        chip.setAttribute("aria-pressed", String(this.author === name));
        chip.title = this.author === name ? "Show everyone's strokes" : `Show only ${name}'s strokes`;
        const label = document.createElement("span");
        label.textContent = name;
        const badge = document.createElement("span");
        badge.className = "wb-author-count";
        badge.textContent = String(count);
        badge.setAttribute("aria-label", `${count} stroke${count === 1 ? "" : "s"} on the board`);
        chip.append(label, badge);
        return chip;
      }),
    );
  }

  confirm(action) {
    const dialog = document.getElementById("restore-dialog");
    const when = this.seq ? `as it was at #${this.seq} (${this.element("when").textContent})` : "as it was before anything was drawn";
    dialog.querySelector("[data-restore=title]").textContent =
      action === "restore" ? "Restore this version?" : `Revert ${this.author}'s changes?`;
    dialog.querySelector("[data-restore=text]").textContent =
      action === "restore"
        ? `Everyone on the board will see it ${when}. You can take it back with Undo.`
        : `Everything ${this.author} drew, erased or cleared after #${this.seq} is taken back; everyone else's work stays. You can take it back with Undo.`;
    dialog.dataset.action = action;
    dialog.returnValue = "";
    dialog.showModal();
  }

  restore(action) {
    const command =
      action === "restore" ? { type: "restore", to_seq: this.seq } : { type: "revert", user: this.author, after_seq: this.seq };
    this.board.send(command);
    this.close();
  }
}
