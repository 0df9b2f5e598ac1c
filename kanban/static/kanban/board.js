// The kanban board page: wires the connection, the board state and its
// drawing, drag and drop, the keyboard, the dialogs, undo/redo, presence and
// the connection status together.

import { BoardConnection, applyPresence, newClientKey, showStatus } from "../js/connection.js";
import { BoardState } from "./state.js";
import { BoardView, avatar, projectedColumns, projectedLaneOf } from "./render.js";
import { enableColumnDragging, enableDragAndDrop } from "./dragdrop.js";
import { enableKeyboard } from "./keyboard.js";
import { CardEditor } from "./editor.js";
import { ColumnEditor } from "./columns.js";
import { LabelManager } from "./labels.js";
import { CardFilter } from "./filter.js";
import { ArchiveView } from "./archive.js";
import { FoldedLanes, LaneEditor } from "./lanes.js";

const NOTICE_MS = 6000;
const ANIMATED_CARDS_MAX = 60;
const UNDOABLE = /^(column|label|lane)\.(create|update|move|delete|archive|restore)$/; // sent through `board.send`; cards say so themselves

const root = document.getElementById("kanban");
const columnsContainer = document.getElementById("columns");
const statusNode = document.getElementById("connection-status");
const presenceNode = document.getElementById("presence");
const noticeNode = document.getElementById("notice");
const announcer = document.getElementById("announcer");
const undoButton = document.getElementById("undo");
const redoButton = document.getElementById("redo");
const snapshot = JSON.parse(document.getElementById("board-snapshot").textContent);

const state = new BoardState(snapshot);
const view = new BoardView(columnsContainer, { thumbnailUrl: root.dataset.thumbnailUrl });
const pendingMoves = new Map(); // cardId -> {column, index}: sent, not yet confirmed
const cardQueues = new Map(); // cardId -> promise of its last move, so moves of one card go one at a time
const pendingCreates = new Map(); // client key -> {column, title}: cards added, not yet confirmed
const pendingColumnMoves = new Map(); // column id -> index: dragged, not yet confirmed
const presence = new Map(); // connection id -> member
const sortables = new Map(); // "column id:lane id" -> the Sortable of that card list
let me = null;
let dragging = false;
let noticeTimer = null;

// Card and comment commands carry a `version` (a repeat is refused with `conflict`), creates
// their `key`, and the others set a value rather than add one: sending them again is safe.
const IDEMPOTENT = new Set([
  "card.update", "card.move", "card.delete", "card.lock", "card.unlock", "card.watch", "column.update", "column.move", "label.update",
  "comment.update", "comment.delete", "card.archive", "card.move_to_board", "checklist.update", "item.update", "item.check", "item.move", "item.delete",
  "item.to_card", "card.cover", "attachment.remove", "attachment.restore",
]);

function isIdempotent(command) {
  return IDEMPOTENT.has(command.type) || (["card.create", "comment.create"].includes(command.type) && Boolean(command.key));
}

/** Send a command; resolves with its ack, rejects with its `error` frame. */
function request(command) {
  return connection.request(command, { idempotent: isIdempotent(command) });
}

const connection = new BoardConnection({
  path: root.dataset.socketPath,
  onBoard(message) {
    state.replace(message);
    setHistory(message.history);
    labels.render();
    render();
    openLinkedCard();
  },
  onEvent: applyChange,
  onAck(command, ack) {
    const { type, ref, seq, event, ...details } = ack;
    if (typeof seq === "number") applyChange({ type: event, seq, ...details });
  },
  onError(command, error) {
    if (!command) notify(error.message); // a command's own refusal goes to whoever sent it
  },
  onEphemeral(frame) {
    switch (frame.type) {
      case "hello":
        me = frame.user;
        view.myConnection = me.conn;
        view.myUserId = me.id;
        presence.clear();
        presence.set(me.conn, me);
        renderPresence();
        break;
      case "presence":
        applyPresence(presence, frame);
        renderPresence();
        break;
      case "card.locked":
        state.setLock(frame.card, frame.lock);
        render();
        break;
      case "card.unlocked":
        state.setLock(frame.card, null);
        render();
        break;
      case "card.watching": // this person's, from any of their pages
        if (frame.watching) state.watching.add(frame.card);
        else state.watching.delete(frame.card);
        editor.showWatching();
        break;
    }
  },
  onStatus(status, detail) {
    showStatus(statusNode, status, detail, {
      live: "Changes are saved as you make them.",
      waiting: "Your changes are kept and sent when the connection is back.",
    });
    root.classList.toggle("is-offline", status !== "live");
    if (detail.message) notify(detail.message, { sticky: true });
  },
  onLost() {
    notify("The connection dropped before your last change was confirmed. Check the board: it may not have been saved.");
  },
});

/** A stored change, someone else's or our own acknowledged one, in seq order. */
function applyChange(frame) {
  if (frame.type === "board.renamed") {
    document.getElementById("board-name").textContent = frame.name;
    document.title = `${frame.name} · Boardsite`;
  }
  if (frame.type === "board.member_removed" && frame.member.id === me?.id) {
    notify("You were removed from this board.");
  }
  state.apply(frame);
  archiveView.boardChanged(frame);
  if (frame.type.startsWith("comment.")) {
    editor.comments.apply(frame);
    cardFilter.commentsChanged();
  }
  if (frame.type.startsWith("checklist.") || frame.type.startsWith("item.")) editor.checklists.apply(frame);
  if (frame.type.startsWith("attachment.")) editor.attachments.apply(frame);
  if (frame.type === "card.cover" || frame.type.startsWith("attachment.")) editor.attachments.cardChanged(frame.card);
  if (frame.type.startsWith("label.")) labels.render();
  render();
  document.dispatchEvent(new CustomEvent("kanban:change", { detail: frame })); // for the activity feed
}

const board = {
  state,
  async send(message) {
    const ack = await request(message);
    if (UNDOABLE.test(message.type)) board.madeOwnChange();
    return ack;
  },
  notify: (message) => notify(message),
  me: () => me,
  isOwner: root.dataset.isOwner === "true",
  madeOwnChange() {
    setHistory({ can_undo: true, can_redo: false });
  },
  focusCard(cardId) {
    view.cardElement(cardId)?.focus();
  },
};
const editor = new CardEditor(document.getElementById("card-editor"), board, {
  previewUrl: root.dataset.previewUrl,
  commentsUrl: root.dataset.commentsUrl,
  checklistsUrl: root.dataset.checklistsUrl,
  attachmentsUrl: root.dataset.attachmentsUrl,
  fileUrl: root.dataset.fileUrl,
  uploadMaxBytes: Number(root.dataset.uploadMaxBytes),
  destinationsUrl: root.dataset.destinationsUrl,
  boardSlug: root.dataset.boardSlug,
  csrfToken: document.querySelector("input[name=csrfmiddlewaretoken]").value,
});
const columnEditor = new ColumnEditor(document.getElementById("column-editor"), board);
const laneEditor = new LaneEditor(document.getElementById("lane-editor"), board);
const foldedLanes = new FoldedLanes(`kanban:folded-lanes:${root.dataset.boardSlug}`);
const labels = new LabelManager(document.getElementById("label-manager"), board);
const archiveView = new ArchiveView(document.getElementById("archive-dialog"), board, { archiveUrl: root.dataset.archiveUrl });
document.getElementById("archive-open").addEventListener("click", () => archiveView.open());

/** A link to a card (`?card=<id>`, from My cards) opens it once the board is live; the link is then forgotten. */
function openLinkedCard() {
  const params = new URLSearchParams(window.location.search);
  const cardId = Number(params.get("card"));
  if (!params.has("card")) return;
  params.delete("card");
  const query = params.toString();
  window.history.replaceState(null, "", `${window.location.pathname}${query ? `?${query}` : ""}`);
  if (state.cards.has(cardId)) {
    view.cardElement(cardId)?.scrollIntoView({ block: "nearest", inline: "center" });
    editor.open(cardId);
  } else {
    notify("That card is no longer on this board.");
  }
}

const cardFilter = new CardFilter(document.getElementById("card-filter"), {
  onChange: () => render(),
  searchUrl: root.dataset.searchUrl,
});
view.filter = cardFilter;

function render() {
  if (dragging) return; // drawn again on drop, so SortableJS keeps its elements meanwhile
  cardFilter.setLabels([...state.labels.values()]);
  const { shown, total, heldOnly } = view.render(state, pendingMoves, pendingCreates, pendingColumnMoves, foldedLanes.ids);
  cardFilter.report(shown, total, heldOnly);
  for (const node of columnsContainer.querySelectorAll(".card-list")) {
    const key = `${node.dataset.columnId}:${node.dataset.laneId ?? ""}`;
    if (sortables.get(key)?.el !== node) {
      sortables.get(key)?.destroy();
      sortables.set(key, enableDragAndDrop(node, dragHandlers));
    }
    // SortableJS's animation measures every card of the list at each step of a drag: in a long
    // column that froze the page for 300 ms. Long columns move their cards without it.
    sortables.get(key).option("animation", node.childElementCount > ANIMATED_CARDS_MAX ? 0 : 150);
  }
  for (const [key, sortable] of sortables) {
    if (!sortable.el.isConnected) {
      sortable.destroy();
      sortables.delete(key);
    }
  }
  editor.boardChanged();
  columnEditor.boardChanged();
  laneEditor.boardChanged();
}

function renderPresence() {
  const users = new Map();
  for (const member of presence.values()) users.set(member.id, member);
  presenceNode.replaceChildren(
    ...[...users.values()].map((user) => avatar(user, user.id === me?.id ? `${user.username} (you)` : `${user.username} is here`)),
  );
}

function notify(message, { sticky = false } = {}) {
  noticeNode.textContent = message;
  noticeNode.hidden = false;
  clearTimeout(noticeTimer);
  if (!sticky) noticeTimer = setTimeout(() => (noticeNode.hidden = true), NOTICE_MS);
}

function setHistory(history) {
  if (!history) return;
  undoButton.disabled = !history.can_undo;
  redoButton.disabled = !history.can_redo;
}

/** Refusals about the card itself: take the server's version of it. */
function takeServerCard(error) {
  const current = state.cards.get(error.card?.id);
  if (current && error.card.version >= current.version) state.cards.set(error.card.id, { ...current, ...error.card });
}

/** What someone reads when the card they reach for is held by someone else. */
function heldMessage(card) {
  return `${card.lock.user.username} is ${card.lock.reason === "drag" ? "dragging" : "editing"} “${card.title}”; try again when they are done.`;
}

/**
 * Move a card; `announce` tells screen readers where it landed (for keyboard
 * moves). A dragged card's lock is released if the move is refused (a full
 * column, a conflict): the others would otherwise see it held until the
 * lock expires.
 */
function moveCard(cardId, columnId, index, { announce = false, dragged = false, lane = undefined } = {}) {
  pendingMoves.set(cardId, { column: columnId, index, lane });
  render();
  const previous = cardQueues.get(cardId) ?? Promise.resolve();
  const move = previous.then(async () => {
    const card = state.cards.get(cardId);
    if (!card) return;
    try {
      await request({ type: "card.move", card: cardId, version: card.version, column: columnId, index,
        ...(lane === undefined ? {} : { lane }) });
      board.madeOwnChange();
      if (announce) {
        const column = state.column(columnId);
        const moved = state.cards.get(cardId);
        const laneName = moved?.lane ? `, lane ${state.lane(moved.lane)?.title}` : "";
        const cell = column.cardIds.filter((id) => (state.cards.get(id)?.lane ?? null) === (moved?.lane ?? null));
        announcer.textContent = `Moved “${card.title}” to ${column.title}${laneName}, position ${index + 1} of ${cell.length}.`;
      }
    } catch (error) {
      if (error.card) takeServerCard(error);
      if (dragged) request({ type: "card.unlock", card: cardId }).catch(() => {});
      notify(error.message);
    } finally {
      if (pendingMoves.get(cardId)?.column === columnId && pendingMoves.get(cardId)?.index === index) pendingMoves.delete(cardId);
      const focused = view.cardElement(cardId) === document.activeElement;
      render();
      if (focused || (announce && document.activeElement === document.body)) view.cardElement(cardId)?.focus();
    }
  });
  cardQueues.set(cardId, move);
}

/**
 * While a card is dragged the columns do not snap to a column's start: held
 * at the screen's edge, SortableJS scrolls them a few pixels at a time, and
 * each step snapped back (on a phone no other column could be reached).
 */
function setDragging(value) {
  dragging = value;
  columnsContainer.classList.toggle("is-dragging", value);
}

const dragHandlers = {
  onStart(cardId) {
    setDragging(true);
    request({ type: "card.lock", card: cardId, reason: "drag" }).catch(() => {});
  },
  onDrop(cardId, columnId, index, lane) {
    setDragging(false);
    moveCard(cardId, columnId, index, { dragged: true, lane });
  },
  onCancel(cardId) {
    setDragging(false);
    request({ type: "card.unlock", card: cardId }).catch(() => {});
    render();
  },
  onLocked(cardId) {
    const card = state.cards.get(cardId);
    if (card?.lock) notify(heldMessage(card));
  },
};

/** A column dropped at `index`: shown there at once, put back where the board has it if the move is refused. */
async function moveColumn(columnId, index) {
  pendingColumnMoves.set(columnId, index);
  render();
  try {
    await request({ type: "column.move", column: columnId, index });
    board.madeOwnChange();
  } catch (error) {
    notify(error.message);
  } finally {
    if (pendingColumnMoves.get(columnId) === index) pendingColumnMoves.delete(columnId);
    render();
  }
}

enableColumnDragging(columnsContainer, {
  onStart() {
    setDragging(true);
  },
  onDrop(columnId, index) {
    setDragging(false);
    moveColumn(columnId, index);
  },
  onCancel() {
    setDragging(false);
    render();
  },
});

/** Keyboard moves: a step up/down within the column, or left/right to the neighbouring column. */
/**
 * Move a card one place up or down among the cards the person can see (the
 * filter may hide some), or to the column beside it.
 */
function moveBy(cardId, columnStep, indexStep, laneStep = 0) {
  const columns = projectedColumns(state, pendingMoves, pendingColumnMoves);
  const laneOf = projectedLaneOf(state, pendingMoves);
  const from = columns.findIndex((column) => column.cardIds.includes(cardId));
  if (from < 0) return;
  const lane = laneOf(cardId);
  const cell = (column, laneId) => column.cardIds.filter((id) => id !== cardId && laneOf(id) === laneId);
  const index = columns[from].cardIds.filter((id) => laneOf(id) === lane).indexOf(cardId);
  const card = state.cards.get(cardId);
  if (card.lock && card.lock.conn !== me?.conn) {
    notify(heldMessage(card));
    return;
  }
  const laneFields = state.lanes.length ? { lane } : {};
  if (laneStep) {
    const target = state.lanes[state.lanes.findIndex((other) => other.id === lane) + laneStep];
    if (!target) return;
    foldedLanes.unfold(target.id);
    moveCard(cardId, columns[from].id, Math.min(index, cell(columns[from], target.id).length), { announce: true, lane: target.id });
    view.cardElement(cardId)?.focus();
    return;
  }
  const to = from + columnStep;
  if (to < 0 || to >= columns.length) return;
  const others = cell(columns[to], lane);
  let newIndex = Math.min(index, others.length);
  if (!columnStep) {
    // The nearest card the person can see in the direction moved, in the column without this card.
    let neighbour = indexStep > 0 ? index : index - 1;
    while (neighbour >= 0 && neighbour < others.length && !view.isShown(others[neighbour])) neighbour += indexStep;
    if (neighbour < 0 || neighbour >= others.length) return;
    newIndex = indexStep > 0 ? neighbour + 1 : neighbour;
  }
  moveCard(cardId, columns[to].id, newIndex, { announce: true, ...laneFields });
  view.cardElement(cardId)?.focus();
}

async function undoOrRedo(type) {
  try {
    const ack = await request({ type });
    setHistory(ack.history);
  } catch (error) {
    setHistory(error.history);
    notify(error.message);
  }
}

// Clicks on the board: open a card, add a card, edit a column.
columnsContainer.addEventListener("click", (event) => {
  const target = event.target;
  const column = target.closest(".kanban-column");
  if (target.closest(".lane-menu")) {
    laneEditor.open(Number(target.closest(".lane-head").dataset.laneId));
  } else if (target.closest(".lane-toggle")) {
    foldedLanes.toggle(Number(target.closest(".lane-head").dataset.laneId));
    render();
  } else if (target.closest(".column-menu")) {
    columnEditor.open(Number(column.dataset.columnId));
  } else if (target.closest(".add-card")) {
    showAddCard(column, true);
  } else if (target.closest(".add-card-cancel")) {
    showAddCard(column, false);
  } else if (target.closest(".kanban-card")) {
    // A card someone else holds opens too: to read and comment; its fields are theirs until they are done.
    const card = state.cards.get(Number(target.closest(".kanban-card").dataset.cardId));
    if (card) editor.open(card.id);
  }
});

function showAddCard(column, shown) {
  const form = column.querySelector(".add-card-form");
  const opener = column.querySelector(".add-card");
  const hadFocus = form.contains(document.activeElement);
  form.hidden = !shown;
  opener.hidden = shown;
  if (shown) form.querySelector("textarea").focus();
  else {
    form.reset();
    if (hadFocus) opener.focus(); // where the person was, not the page's body
  }
}

columnsContainer.addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = event.target;
  const column = form.closest(".kanban-column");
  const input = form.querySelector("textarea");
  const title = input.value.trim();
  if (!title) return;
  // One card per Enter, with exactly what was typed: the box clears at once, ready for the
  // next card, and the card shows as not saved until the server confirms it (offline too).
  const key = newClientKey();
  const columnId = Number(column.dataset.columnId);
  pendingCreates.set(key, { column: columnId, title });
  form.reset();
  input.focus();
  render();
  column.querySelector(".pending-cards").lastElementChild?.scrollIntoView({ block: "nearest" });
  try {
    // On a board with lanes, the new card goes in the last lane, beside the box it was typed in.
    const lane = state.lanes.at(-1)?.id;
    await request({ type: "card.create", column: columnId, title, key, ...(lane === undefined ? {} : { lane }) });
    board.madeOwnChange();
  } catch (error) {
    notify(`“${title}” was not added: ${error.message}`);
    if (!input.value) input.value = title; // to send again, or change
  } finally {
    pendingCreates.delete(key);
    render();
  }
});

// In the add-card box, Enter adds and Escape closes; Shift+Enter is a new line.
columnsContainer.addEventListener("keydown", (event) => {
  if (!event.target.matches(".add-card-input")) return;
  if (event.key === "Enter" && !event.shiftKey) {
    event.preventDefault();
    event.target.form.requestSubmit();
  } else if (event.key === "Escape") {
    showAddCard(event.target.closest(".kanban-column"), false);
  }
});

document.getElementById("add-column").addEventListener("click", () => columnEditor.openNew());
document.getElementById("add-lane").addEventListener("click", () => laneEditor.openNew());
undoButton.addEventListener("click", () => undoOrRedo("undo"));
redoButton.addEventListener("click", () => undoOrRedo("redo"));
enableKeyboard(root, {
  focusFilter: () => cardFilter.focus(),
  moveBy,
  openCard: (cardId) => editor.open(cardId),
  undo: () => !undoButton.disabled && undoOrRedo("undo"),
  redo: () => !redoButton.disabled && undoOrRedo("redo"),
});

// Locks run out on the server after 30 s; forget them here at the same time.
setInterval(() => {
  if (state.expireLocks().length) render();
}, 1000);

setHistory(snapshot.history);
labels.render();
render();
// When the board is on screen, after the frame that lays it out; and after the frame once every
// card is drawn, those below the window too (User Timing, read by the benchmark).
const afterTheFrame = (mark) => requestAnimationFrame(() => setTimeout(() => performance.mark(mark)));
afterTheFrame("kanban:board-shown");
view.drawn.then(() => afterTheFrame("kanban:cards-drawn"));
connection.start();
