// The board's websocket: connects, reconnects with backoff, catches up with
// `sync`, and delivers every change exactly once and in seq order, whether it
// came as another user's event or as the ack of our own command.

const CLOSE_INVALID_MESSAGES = 4400;
const CLOSE_NOT_AUTHENTICATED = 4401;
const CLOSE_ACCESS_REVOKED = 4403;
const CLOSE_BOARD_NOT_FOUND = 4404;
// Closes after which reconnecting cannot help (docs/protocol.md, close codes).
const FINAL_CLOSE_REASONS = {
  [CLOSE_INVALID_MESSAGES]: "The server closed the connection after too many refused messages. Reload the page.",
  [CLOSE_NOT_AUTHENTICATED]: "You are logged out. Log in again to keep working on this board.",
  [CLOSE_ACCESS_REVOKED]: "You no longer have access to this board.",
  [CLOSE_BOARD_NOT_FOUND]: "This board was deleted, or you no longer have access to it.",
};
const BACKOFF_FIRST_MS = 500;
const BACKOFF_MAX_MS = 15000;

// Commands a second delivery cannot apply twice: card commands carry the
// card's `version` (a repeat is refused with `conflict`), `card.create` its
// `key`, and the others set a value rather than add one. The rest are only
// re-sent when they never left this browser.
const SAFE_TO_RESEND = new Set([
  "card.update", "card.move", "card.delete", "card.lock", "card.unlock", "column.update", "column.move", "label.update",
]);

function safeToResend(message) {
  return SAFE_TO_RESEND.has(message.type) || (message.type === "card.create" && Boolean(message.key));
}

/** A random key for `card.create` (crypto.randomUUID needs a secure context; this does not). */
export function newClientKey() {
  return [...crypto.getRandomValues(new Uint8Array(16))].map((byte) => byte.toString(16).padStart(2, "0")).join("");
}

export class BoardConnection {
  /**
   * handlers: onBoard(message), onChange(frame), onEphemeral(frame),
   * onStatus(state, detail), onHello(hello), onLostCommands(commands)
   */
  constructor(url, handlers) {
    this.url = url;
    this.handlers = handlers;
    this.seq = 0; // the last change applied
    this.pending = new Map(); // ref -> {message, sent, resolve, reject}
    this.early = new Map(); // seq -> frame that arrived before an earlier one
    this.nextRef = 1;
    this.attempt = 0;
    this.synced = false;
    this.stopped = false;
  }

  start() {
    this.open();
    window.addEventListener("online", () => this.reconnectNow());
  }

  open() {
    this.handlers.onStatus(this.attempt ? "reconnecting" : "connecting");
    this.synced = false;
    this.socket = new WebSocket(this.url);
    this.socket.addEventListener("message", (event) => this.receive(event.data));
    this.socket.addEventListener("close", (event) => this.closed(event));
  }

  reconnectNow() {
    if (this.stopped || this.socket?.readyState === WebSocket.OPEN) return;
    clearTimeout(this.retryTimer);
    this.socket?.close();
    this.open();
  }

  closed(event) {
    this.synced = false;
    if (this.stopped) return;
    const finalReason = FINAL_CLOSE_REASONS[event.code];
    if (finalReason) {
      this.stopped = true;
      this.handlers.onStatus("offline", finalReason);
      for (const entry of this.pending.values()) entry.reject({ code: "offline", message: finalReason });
      this.pending.clear();
      return;
    }
    const delay = Math.min(BACKOFF_MAX_MS, BACKOFF_FIRST_MS * 2 ** this.attempt) * (0.7 + Math.random() * 0.6);
    this.attempt += 1;
    this.handlers.onStatus("reconnecting");
    this.retryTimer = setTimeout(() => this.open(), delay);
  }

  /** Send a command; resolves with its ack, rejects with its error. Queued while offline. */
  send(message) {
    const ref = `c${this.nextRef++}`;
    return new Promise((resolve, reject) => {
      const entry = { message: { ...message, ref }, sent: false, resolve, reject };
      this.pending.set(ref, entry);
      if (this.synced) this.transmit(entry);
    });
  }

  transmit(entry) {
    entry.sent = true;
    this.socket.send(JSON.stringify(entry.message));
  }

  /** After (re)connecting: send what is queued; drop what may already have been applied. */
  flushOutbox() {
    const lost = [];
    for (const [ref, entry] of this.pending) {
      if (entry.sent && !safeToResend(entry.message)) {
        lost.push(entry.message);
        this.pending.delete(ref);
        entry.reject({ code: "connection_lost", message: "The connection dropped before this change was confirmed." });
      } else {
        this.transmit(entry);
      }
    }
    if (lost.length) this.handlers.onLostCommands(lost);
  }

  receive(text) {
    let frame;
    try {
      frame = JSON.parse(text);
    } catch {
      return;
    }
    switch (frame.type) {
      case "hello":
        this.handlers.onHello(frame);
        break;
      case "board":
        this.seq = frame.seq;
        this.early.clear();
        this.handlers.onBoard(frame);
        this.socket.send(JSON.stringify({ type: "sync", since: frame.seq }));
        break;
      case "synced":
        if (this.synced) break; // the answer to a gap-filling sync: nothing to resend
        this.synced = true;
        this.attempt = 0;
        this.handlers.onStatus("live");
        this.flushOutbox();
        break;
      case "ack":
        this.acked(frame);
        break;
      case "error":
        this.refused(frame);
        break;
      default:
        if (typeof frame.seq === "number") this.deliver(frame);
        else this.handlers.onEphemeral(frame);
    }
  }

  acked(frame) {
    const entry = this.pending.get(frame.ref);
    this.pending.delete(frame.ref);
    const { type, ref, seq, event, ...details } = frame;
    if (typeof seq === "number") this.deliver({ type: event, seq, ...details });
    entry?.resolve(frame);
  }

  refused(frame) {
    const entry = this.pending.get(frame.ref);
    if (entry) {
      this.pending.delete(frame.ref);
      entry.reject(frame);
    } else {
      this.handlers.onEphemeral(frame);
    }
  }

  /** Apply changes strictly in seq order; an ack may overtake an earlier event by a few ms. */
  deliver(frame) {
    if (frame.seq <= this.seq) return;
    this.early.set(frame.seq, frame);
    while (this.early.has(this.seq + 1)) {
      const next = this.early.get(this.seq + 1);
      this.early.delete(this.seq + 1);
      this.seq = next.seq;
      this.handlers.onChange(next);
    }
    if (this.early.size && !this.gapTimer) {
      // Something is missing: ask the server for everything after what we hold.
      this.gapTimer = setTimeout(() => {
        this.gapTimer = null;
        if (this.early.size && this.synced) this.socket.send(JSON.stringify({ type: "sync", since: this.seq }));
      }, 1000);
    }
  }
}

export function socketUrl(path) {
  const scheme = window.location.protocol === "https:" ? "wss" : "ws";
  return `${scheme}://${window.location.host}${path}`;
}
