// The board as the server last confirmed it, and how each event changes it.
// Applying an event twice leaves the board as applying it once, so a `sync`
// that replays events the `board` message already reflects is harmless.

export class BoardState {
  constructor(message) {
    this.replace(message);
  }

  replace(message) {
    this.columns = message.columns.map(({ cards, ...column }) => ({ ...column, cardIds: cards.map((card) => card.id) }));
    this.cards = new Map();
    for (const column of message.columns) for (const card of column.cards) this.cards.set(card.id, withLockDeadline(card));
    this.labels = new Map(message.labels.map((label) => [label.id, label]));
    this.lanes = message.lanes ?? []; // in order; none on a board without lanes
    this.members = message.members;
    this.watching = new Set(message.watching ?? []); // the cards this person watches
  }

  column(id) {
    return this.columns.find((column) => column.id === id);
  }

  lane(id) {
    return this.lanes.find((lane) => lane.id === id);
  }

  /** Apply one stored event; returns false for types this page does not show. */
  apply(frame) {
    switch (frame.type) {
      case "card.created":
      case "card.moved":
      case "card.restored":
        this.placeCard(frame.card, frame.card.column, frame.index);
        return true;
      case "card.archived":
        this.removeCard(frame.card);
        return true;
      case "card.updated":
        this.cards.set(frame.card.id, withLockDeadline(frame.card));
        return true;
      case "card.deleted":
        this.removeCard(frame.card);
        return true;
      case "column.created":
      case "column.restored": {
        // An undone column delete brings the column back with its cards (`cards`, in order).
        const cards = frame.cards ?? [];
        for (const card of cards) this.removeCard(card.id);
        this.columns = this.columns.filter((column) => column.id !== frame.column.id);
        this.columns.splice(frame.index, 0, { ...frame.column, cardIds: cards.map((card) => card.id) });
        for (const card of cards) this.cards.set(card.id, withLockDeadline(card));
        return true;
      }
      case "column.updated":
        Object.assign(this.column(frame.column.id) ?? {}, frame.column);
        return true;
      case "column.moved": {
        const column = this.column(frame.column);
        if (!column) return true;
        this.columns = this.columns.filter((other) => other !== column);
        this.columns.splice(frame.index, 0, column);
        return true;
      }
      case "column.deleted":
      case "column.archived": {
        const column = this.column(frame.column);
        for (const cardId of column?.cardIds ?? []) this.cards.delete(cardId);
        this.columns = this.columns.filter((other) => other.id !== frame.column);
        return true;
      }
      case "label.created":
      case "label.updated":
        this.labels.set(frame.label.id, frame.label);
        // An undone label delete puts the label back on the cards that had it (`cards`).
        for (const cardId of frame.cards ?? []) {
          const card = this.cards.get(cardId);
          if (card && !card.labels.includes(frame.label.id)) card.labels = [...card.labels, frame.label.id].sort((a, b) => a - b);
        }
        return true;
      case "label.deleted":
        this.labels.delete(frame.label);
        for (const card of this.cards.values()) card.labels = card.labels.filter((id) => id !== frame.label);
        return true;
      case "comment.created":
      case "comment.deleted": {
        // A comment changes its card's count, not its version.
        const card = this.cards.get(frame.type === "comment.created" ? frame.comment.card : frame.card);
        if (card) card.comments = frame.comments;
        return true;
      }
      case "comment.updated":
        return true;
      case "checklist.created":
      case "checklist.updated":
      case "checklist.deleted":
      case "item.created":
      case "item.updated":
      case "item.moved":
      case "item.deleted": {
        // Checklists change their card's progress (`progress`), not its version.
        const card = this.cards.get(typeof frame.checklist === "object" ? frame.checklist.card : frame.card);
        if (card && frame.progress) card.checklist = frame.progress;
        return true;
      }
      case "attachment.created":
      case "attachment.removed":
      case "attachment.restored":
      case "attachment.deleted":
      case "card.cover": {
        // Files and covers change their card's face (`attachments`, `cover`), not its version.
        const card = this.cards.get(frame.card);
        if (card && frame.attachments !== undefined) {
          card.attachments = frame.attachments;
          card.cover = frame.cover;
        }
        return true;
      }
      case "lane.created":
        // The board's first lane takes every card (`cards`).
        this.lanes = this.lanes.filter((lane) => lane.id !== frame.lane.id);
        this.lanes.splice(frame.index, 0, frame.lane);
        for (const cardId of frame.cards ?? []) {
          const card = this.cards.get(cardId);
          if (card) card.lane = frame.lane.id;
        }
        return true;
      case "lane.updated":
        Object.assign(this.lane(frame.lane.id) ?? {}, frame.lane);
        return true;
      case "lane.moved": {
        const lane = this.lane(frame.lane);
        if (!lane) return true;
        this.lanes = this.lanes.filter((other) => other !== lane);
        this.lanes.splice(frame.index, 0, lane);
        return true;
      }
      case "lane.deleted":
        // Only an empty lane goes, or the last, which takes the board back to no lanes.
        this.lanes = this.lanes.filter((lane) => lane.id !== frame.lane);
        if (!this.lanes.length) for (const card of this.cards.values()) card.lane = null;
        return true;
      case "board.member_added":
        if (!this.members.some((member) => member.id === frame.member.id)) this.members.push(frame.member);
        return true;
      case "board.member_removed":
        this.members = this.members.filter((member) => member.id !== frame.member.id);
        return true;
      default:
        return false;
    }
  }

  /** Put a card at `index` of its cell: among its column's cards in its lane. */
  placeCard(card, columnId, index) {
    this.removeCard(card.id);
    const column = this.column(columnId);
    if (!column) return;
    this.cards.set(card.id, withLockDeadline(card));
    placeInCell(column.cardIds, card.id, index, (id) => this.cards.get(id)?.lane ?? null);
  }

  removeCard(cardId) {
    for (const column of this.columns) column.cardIds = column.cardIds.filter((id) => id !== cardId);
    this.cards.delete(cardId);
  }

  /** A lock frame from `card.locked`; null releases. */
  setLock(cardId, lock) {
    const card = this.cards.get(cardId);
    if (card) card.lock = lock ? { ...lock, deadline: Date.now() + lock.expires_in * 1000 } : null;
  }

  /** Forget locks whose time is up; returns the ids of the cards freed. */
  expireLocks(now = Date.now()) {
    const freed = [];
    for (const card of this.cards.values()) {
      if (card.lock && card.lock.deadline <= now) {
        card.lock = null;
        freed.push(card.id);
      }
    }
    return freed;
  }
}

/**
 * Insert `cardId` into a column's order (`cardIds`) at `index` of its cell:
 * before the cell's card at that index, else after its last card, else at
 * the end. On a board without lanes every card's lane is null and the cell
 * is the whole column.
 */
export function placeInCell(cardIds, cardId, index, laneOf) {
  const lane = laneOf(cardId);
  const cell = cardIds.filter((id) => laneOf(id) === lane);
  if (index < cell.length) cardIds.splice(cardIds.indexOf(cell[index]), 0, cardId);
  else if (cell.length) cardIds.splice(cardIds.indexOf(cell[cell.length - 1]) + 1, 0, cardId);
  else cardIds.push(cardId);
}

function withLockDeadline(card) {
  return card.lock ? { ...card, lock: { ...card.lock, deadline: Date.now() + card.lock.expires_in * 1000 } } : { ...card };
}
