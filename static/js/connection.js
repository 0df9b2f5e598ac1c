// A board's websocket, for the whiteboard and the kanban pages alike
// (docs/protocol.md): reconnects with backoff, keeps every command until the
// server answers it (re-sending after a reconnect what the server recognises
// and does not apply twice), catches up with `sync since` the last seq it
// holds, and hands stored events and its own acknowledged commands to the
// page strictly in seq order, each once.

// The protocol this page speaks; a server that says another in `hello` was updated since it loaded.
export const PROTOCOL_VERSION = 5;
const USER_FRAMES = new Set(["notification", "notifications.read", "card.watching"]);
const UPDATED = "Boardsite has been updated. Reload the page to keep working on this board.";

const BACKOFF_FIRST_MS = 500;
const BACKOFF_MAX_MS = 15000;
const GAP_WAIT_MS = 1000;
// The server closed the socket for a reason that coming back would not change: stop, and say why.
const FINAL_CLOSE_CODES = new Map([
  [4400, "The connection was closed after too many invalid messages. Reload the page."],
  [4401, "Your session has ended. Log in again to keep working on this board."],
  [4403, "You no longer have access to this board."],
  [4404, "This board was deleted or is no longer shared with you."],
  [4430, "This board is open in too many of your tabs or windows. Close some of them, then reload this page."],
  [1009, "A message was too large for the server, which closed the connection. Reload the page."],
]);
const CONNECTION_LOST = {
  code: "connection_lost",
  message: "The connection dropped before this change was confirmed. Check the board: it may not have been saved.",
};

const STATUS_TEXT = { connecting: "Connecting…", live: "Live", reconnecting: "Reconnecting…", offline: "Offline" };

/**
 * Show a connection state (`onStatus`) in the page's status element: the
 * state, with how many changes are not saved yet while it is not live; its
 * title is the offline reason, or what happens to the person's changes
 * (`titles.live`, `titles.waiting`).
 */
/**
 * A random key for a create command, so that sending it again after a lost
 * ack cannot add it twice (crypto.randomUUID needs a secure context).
 */
export function newClientKey() {
  return [...crypto.getRandomValues(new Uint8Array(16))].map((byte) => byte.toString(16).padStart(2, "0")).join("");
}

export function showStatus(node, state, { pending = 0, message = "" }, titles) {
  node.dataset.state = state;
  const unsaved = pending && state !== "live" ? ` · ${pending} unsaved` : "";
  node.textContent = `${STATUS_TEXT[state]}${unsaved}`;
  node.title = message || (state === "live" ? titles.live : titles.waiting);
}

/**
 * Why the board's socket is refused, if it is for good: a refused handshake
 * looks like a network error (1006), so ask the board's page. Null: keep retrying.
 */
async function checkBoardAccess() {
  try {
    const response = await fetch(location.pathname, { method: "HEAD", redirect: "manual" });
    if (response.type === "opaqueredirect") return FINAL_CLOSE_CODES.get(4401);
    if (response.status === 404) return FINAL_CLOSE_CODES.get(4404);
  } catch {
    // Offline: keep retrying.
  }
  return null;
}

/**
 * Apply a `presence` frame to `members` (connection id -> member): who is
 * there (`here`, each person with their connections), who joined, who left.
 * Returns the connection ids that left.
 */
export function applyPresence(members, frame) {
  for (const person of frame.here ?? []) {
    for (const conn of person.conns ?? [person.conn]) members.set(conn, { ...person, conn });
  }
  for (const member of frame.joined ?? []) members.set(member.conn, member);
  const left = (frame.left ?? []).map((member) => member.conn);
  for (const conn of left) members.delete(conn);
  return left;
}

export class BoardConnection {
  /**
   * @param {object} options
   * @param {string} options.path   websocket path, e.g. /ws/whiteboard/<slug>/
   * @param {number|Promise<number>} [options.since]   the seq the page's state is current at, or a
   *   promise of it while the page's state is still loading: the socket connects meanwhile and sends
   *   `sync` once it is known (a rejected promise: it never syncs, and the page stops it). Without
   *   it, the state comes on the socket, in the `board` frame after every `hello`, and `onBoard` gets it.
   * @param {(frame: object) => void} [options.onBoard]   the whole board, after each (re)connect
   * @param {(frame: object) => void} options.onEvent   a stored event, in seq order
   * @param {(command: object, ack: object) => void} options.onAck   own command answered, in seq order
   * @param {(command: object|null, error: object) => void} options.onError   a refusal, with the
   *   command it refuses if any
   * @param {(frame: object) => void} options.onEphemeral   hello, presence, cursors, locks, history
   * @param {(state: string, detail: object) => void} options.onStatus   connecting, live,
   *   reconnecting or offline; detail has `pending` (commands not yet answered) and, offline, `message`
   * @param {(commands: object[]) => void} [options.onLost]   commands that may or may not have been
   *   applied: sent, not `idempotent`, and the connection dropped before their answer
   */
  constructor({ path, since, onBoard, onEvent, onAck, onError, onEphemeral, onStatus, onLost }) {
    this.url = `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}${path}`;
    this.stateOnSocket = since === undefined;
    this.lastSeq = typeof since === "number" ? since : null;
    this.stateLoaded = Promise.resolve(since).then((seq) => {
      if (!this.stateOnSocket) this.lastSeq = seq;
    });
    this.stateLoaded.catch(() => {}); // the page reports why its state did not load
    this.handlers = { onBoard, onEvent, onAck, onError, onEphemeral, onStatus, onLost };
    this.outbox = new Map(); // ref -> {frame, idempotent, transmitted, settle}, oldest first, until answered
    this.waiting = new Map(); // seq -> () => void, applied once every earlier seq is
    this.nextRef = 1;
    this.socket = null;
    this.synced = false;
    this.attempt = 0;
    this.stopped = false;
    this.retryTimer = null;
    this.gapTimer = null;
    addEventListener("online", () => this.reconnectNow());
    document.addEventListener("visibilitychange", () => {
      if (document.visibilityState === "visible") this.reconnectNow();
    });
  }

  start() {
    this.setStatus(this.attempt === 0 ? "connecting" : "reconnecting");
    const socket = new WebSocket(this.url);
    this.socket = socket;
    socket.addEventListener("open", () => (socket.opened = true));
    socket.addEventListener("message", (event) => {
      if (socket === this.socket) this.receive(event.data);
    });
    socket.addEventListener("close", (event) => this.closed(socket, event));
  }

  /**
   * Queue a command that changes the board; it is sent now if possible, else
   * after reconnecting. A command that is not `idempotent` (undo, redo, clear)
   * is never sent twice: if the connection drops before its answer, it is
   * dropped, `onLost` hears of it, and the catch-up shows whether it was applied.
   * Returns its ref.
   */
  send(command, { idempotent = true } = {}) {
    return this.enqueue(command, idempotent, null);
  }

  /**
   * `send`, as a promise of the command's ack, resolved when the ack arrives (`onAck` still
   * runs in seq order); it rejects with the server's `error` frame.
   */
  request(command, { idempotent = true } = {}) {
    return new Promise((resolve, reject) => this.enqueue(command, idempotent, { resolve, reject }));
  }

  enqueue(command, idempotent, settle) {
    const ref = this.nextRef++;
    const entry = { frame: { ...command, ref }, idempotent, transmitted: false, settle };
    this.outbox.set(ref, entry);
    if (this.synced) this.transmitEntry(entry);
    this.reportPending();
    return ref;
  }

  transmitEntry(entry) {
    entry.transmitted = true;
    this.transmit(entry.frame);
  }

  /** Send a frame that is not stored (a cursor); dropped while offline. */
  sendEphemeral(frame) {
    if (this.synced) this.transmit(frame);
  }

  get pendingCount() {
    return this.outbox.size;
  }

  transmit(frame) {
    if (this.socket?.readyState === WebSocket.OPEN) this.socket.send(JSON.stringify(frame));
  }

  receive(text) {
    let frame;
    try {
      frame = JSON.parse(text);
    } catch {
      return; // the server sends JSON only
    }
    switch (frame.type) {
      case "hello": {
        if (frame.protocol !== PROTOCOL_VERSION) {
          this.stop(UPDATED);
          return;
        }
        this.handlers.onEphemeral(frame);
        if (this.stateOnSocket) break; // `sync` follows the `board` frame
        const socket = this.socket;
        this.stateLoaded.then(() => {
          if (socket === this.socket) this.transmit({ type: "sync", since: this.lastSeq });
        });
        break;
      }
      case "board":
        this.lastSeq = frame.seq;
        this.waiting.clear();
        this.handlers.onBoard(frame);
        this.transmit({ type: "sync", since: frame.seq });
        break;
      case "synced":
        if (this.synced) break; // the answer to a gap-filling sync: nothing to send again
        this.synced = true;
        this.attempt = 0;
        this.setStatus("live");
        for (const entry of this.outbox.values()) this.transmitEntry(entry);
        break;
      case "ack":
        this.acknowledged(frame);
        break;
      case "error":
        this.refused(frame);
        break;
      default:
        if (typeof frame.seq === "number") this.inOrder(frame.seq, () => this.handlers.onEvent(frame));
        else this.handlers.onEphemeral(frame);
        // Frames about the person rather than the board, for the page's header (site.js).
        if (USER_FRAMES.has(frame.type)) window.dispatchEvent(new CustomEvent("boardsite:user-frame", { detail: frame }));
    }
  }

  acknowledged(ack) {
    const entry = this.outbox.get(ack.ref);
    if (!entry) return;
    this.outbox.delete(ack.ref);
    this.reportPending();
    // The promise settles now: a `board` frame after a reconnect may supersede the ordered apply.
    entry.settle?.resolve(ack);
    const apply = () => this.handlers.onAck(entry.frame, ack);
    if (typeof ack.seq === "number") this.inOrder(ack.seq, apply);
    else apply(); // a command that stores nothing (a card lock)
  }

  refused(error) {
    const entry = error.ref != null ? this.outbox.get(error.ref) : undefined;
    if (entry) this.outbox.delete(error.ref);
    this.reportPending();
    this.handlers.onError(entry?.frame ?? null, error);
    entry?.settle?.reject(error);
  }

  /** Apply `apply` at position `seq`; anything at or below the last applied seq was seen already. */
  inOrder(seq, apply) {
    if (seq <= this.lastSeq || this.waiting.has(seq)) return;
    this.waiting.set(seq, apply);
    while (this.waiting.has(this.lastSeq + 1)) {
      const next = this.waiting.get(this.lastSeq + 1);
      this.waiting.delete(this.lastSeq + 1);
      this.lastSeq += 1;
      next();
    }
    // An ack overtakes an earlier event by a few ms at most; a longer gap: ask for what is missing.
    if (this.waiting.size && !this.gapTimer) {
      this.gapTimer = setTimeout(() => {
        this.gapTimer = null;
        if (this.waiting.size && this.synced) this.transmit({ type: "sync", since: this.lastSeq });
      }, GAP_WAIT_MS);
    }
  }

  closed(socket, event) {
    if (socket !== this.socket) return;
    this.synced = false;
    this.socket = null;
    const lost = [];
    for (const [ref, entry] of this.outbox) {
      if (entry.transmitted && !entry.idempotent) {
        this.outbox.delete(ref);
        lost.push(entry.frame);
        entry.settle?.reject(CONNECTION_LOST);
      }
    }
    if (lost.length) this.handlers.onLost?.(lost);
    const finalMessage = FINAL_CLOSE_CODES.get(event.code);
    if (finalMessage) {
      this.stop(finalMessage);
      return;
    }
    this.scheduleReconnect();
    if (!socket.opened) {
      checkBoardAccess().then((reason) => {
        if (reason) this.stop(reason);
      });
    }
  }

  /** Stay offline for good, showing `message`; requests not yet answered are refused with it. */
  stop(message) {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    this.retryTimer = null;
    const socket = this.socket;
    this.socket = null;
    this.synced = false;
    socket?.close(1000);
    for (const [ref, entry] of this.outbox) {
      if (!entry.settle) continue; // the page counts it as not saved
      this.outbox.delete(ref);
      entry.settle.reject({ code: "offline", message });
    }
    this.setStatus("offline", { message });
  }

  scheduleReconnect() {
    if (this.stopped || this.retryTimer) return;
    const ceiling = Math.min(BACKOFF_MAX_MS, BACKOFF_FIRST_MS * 2 ** this.attempt);
    const delay = ceiling / 2 + Math.random() * (ceiling / 2);
    this.attempt += 1;
    this.setStatus("reconnecting", { retryInMs: delay });
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.start();
    }, delay);
  }

  /** The network came back or the tab became visible: do not wait out the backoff. */
  reconnectNow() {
    if (this.stopped || this.socket || !this.retryTimer) return;
    clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.start();
  }

  setStatus(state, detail = {}) {
    this.status = state;
    this.handlers.onStatus(state, { pending: this.outbox.size, ...detail });
  }

  reportPending() {
    if (this.status) this.handlers.onStatus(this.status, { pending: this.outbox.size });
  }
}
