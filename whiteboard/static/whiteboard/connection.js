// The board's websocket: reconnects with backoff, keeps every command until
// the server acknowledges it (re-sending after a reconnect, which the server
// recognises and does not apply twice), catches up with `sync since` the last
// seq it holds, and hands stored events and its own acknowledged commands to
// the page strictly in seq order, each once.

const BACKOFF_FIRST_MS = 500;
const BACKOFF_MAX_MS = 15000;
// The server closed the socket because this client may not be there: do not come back.
const FINAL_CLOSE_CODES = new Map([
  [4400, "The connection was closed after too many invalid messages. Reload the page."],
  [4401, "Your session has ended. Log in again to keep drawing."],
  [4403, "You no longer have access to this board."],
  [4404, "This board was deleted or is no longer shared with you."],
]);

export class BoardConnection {
  /**
   * @param {object} options
   * @param {string} options.path       websocket path, e.g. /ws/whiteboard/<slug>/
   * @param {number|Promise<number>} options.since   the seq the page's state is current at, or
   *   a promise of it while the page's state is still loading: the socket connects meanwhile and
   *   sends `sync` once it is known (a rejected promise: it never syncs, and the page stops it)
   * @param {(frame: object) => void} options.onEvent   a stored event, in seq order
   * @param {(command: object, ack: object) => void} options.onAck   own command applied, in seq order
   * @param {(command: object|null, error: object) => void} options.onError
   * @param {(frame: object) => void} options.onEphemeral   presence, cursors, hello, history
   * @param {(state: string, detail: object) => void} options.onStatus
   * @param {() => Promise<string|null>} options.checkAccess   after a refused handshake:
   *   why this user may no longer connect, or null to keep retrying
   */
  constructor({ path, since, onEvent, onAck, onError, onEphemeral, onStatus, checkAccess }) {
    this.url = `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}${path}`;
    this.lastSeq = typeof since === "number" ? since : null;
    this.stateLoaded = Promise.resolve(since).then((seq) => {
      this.lastSeq = seq;
    });
    this.stateLoaded.catch(() => {}); // the page reports why its state did not load
    this.handlers = { onEvent, onAck, onError, onEphemeral, onStatus };
    this.checkAccess = checkAccess;
    this.outbox = new Map(); // ref -> {frame, idempotent, transmitted}, oldest first, until acked or refused
    this.waiting = new Map(); // seq -> () => void, applied once every earlier seq is
    this.nextRef = 1;
    this.socket = null;
    this.synced = false;
    this.attempt = 0;
    this.stopped = false;
    this.retryTimer = null;
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
    socket.addEventListener("message", (event) => this.receive(event.data));
    socket.addEventListener("close", (event) => this.closed(socket, event));
  }

  /**
   * Queue a command that changes the board; it is sent now if possible, else
   * after reconnecting. A command that is not `idempotent` (undo, redo, clear)
   * is never sent twice: if the connection drops before its ack, it is dropped,
   * and the catch-up shows whether it was applied.
   */
  send(command, { idempotent = true } = {}) {
    const ref = this.nextRef++;
    const entry = { frame: { ...command, ref }, idempotent, transmitted: false };
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
    const frame = JSON.parse(text);
    switch (frame.type) {
      case "hello": {
        const socket = this.socket;
        this.stateLoaded.then(() => {
          if (socket === this.socket) this.transmit({ type: "sync", since: this.lastSeq });
        });
        this.handlers.onEphemeral(frame);
        break;
      }
      case "synced":
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
    }
  }

  acknowledged(ack) {
    const entry = this.outbox.get(ack.ref);
    if (!entry) return;
    this.outbox.delete(ack.ref);
    this.reportPending();
    this.inOrder(ack.seq, () => this.handlers.onAck(entry.frame, ack));
  }

  refused(error) {
    const entry = error.ref != null ? this.outbox.get(error.ref) : undefined;
    if (entry) this.outbox.delete(error.ref);
    this.reportPending();
    this.handlers.onError(entry?.frame ?? null, error);
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
  }

  closed(socket, event) {
    if (socket !== this.socket) return;
    this.synced = false;
    this.socket = null;
    for (const [ref, entry] of this.outbox) {
      if (entry.transmitted && !entry.idempotent) this.outbox.delete(ref);
    }
    const finalMessage = FINAL_CLOSE_CODES.get(event.code);
    if (finalMessage) {
      this.stop(finalMessage);
      return;
    }
    this.scheduleReconnect();
    // A refused handshake looks like a network error (1006): ask the site why.
    if (!socket.opened) {
      this.checkAccess?.().then((reason) => {
        if (reason) this.stop(reason);
      });
    }
  }

  /** Stay offline for good, showing `message`. */
  stop(message) {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    this.retryTimer = null;
    const socket = this.socket;
    this.socket = null;
    this.synced = false;
    socket?.close(1000);
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
