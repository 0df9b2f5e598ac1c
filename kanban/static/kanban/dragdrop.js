// Dragging cards within and across columns, and columns by their heading,
// with SortableJS (mouse, pen and touch). A card is locked for the drag so
// others see who is moving it; the drop sends the move, which releases the lock.
import Sortable from "../vendor/sortablejs-1.15.7/sortable.esm.js";

/**
 * Make a card list (a column's, or one of its lane cells) sortable.
 * `onStart(cardId)` runs when a drag begins, `onDrop(cardId, columnId,
 * index, laneId)` when the card lands somewhere new (`laneId` undefined on a
 * board without lanes; `index` counts the cards of the list it lands in),
 * `onCancel(cardId)` when it is put back where it was or Escape is pressed
 * (the board is drawn again from its state), and `onLocked(cardId)`
 * when someone tries to drag a card another person holds.
 */
export function enableDragAndDrop(list, { onStart, onDrop, onCancel, onLocked }) {
  // Escape puts the card back. SortableJS has no call that cancels a drag:
  // a cancelled pointer ends one, as when the browser takes the pointer away.
  let cancelled = false;
  const cancelOnEscape = (event) => {
    if (event.key !== "Escape") return;
    event.preventDefault();
    event.stopPropagation();
    cancelled = true;
    document.dispatchEvent(new PointerEvent("pointercancel", { bubbles: true }));
  };
  return Sortable.create(list, {
    group: "cards",
    draggable: ".kanban-card",
    filter: ".is-locked",
    preventOnFilter: false,
    animation: 150,
    // Pointer events rather than native drag and drop: the same code path for
    // mouse and touch, and a short hold on touch screens so they still scroll.
    forceFallback: true,
    fallbackTolerance: 4,
    delay: 180,
    delayOnTouchOnly: true,
    ghostClass: "card-ghost",
    chosenClass: "card-chosen",
    dragClass: "card-dragging",
    scroll: true,
    bubbleScroll: true,
    onFilter(event) {
      onLocked(Number(event.item.dataset.cardId));
    },
    onStart(event) {
      cancelled = false;
      addEventListener("keydown", cancelOnEscape, true);
      onStart(Number(event.item.dataset.cardId));
    },
    onEnd(event) {
      removeEventListener("keydown", cancelOnEscape, true);
      const cardId = Number(event.item.dataset.cardId);
      if (cancelled || (event.from === event.to && event.oldIndex === event.newIndex)) {
        onCancel(cardId);
      } else {
        const laneId = event.to.dataset.laneId === undefined ? undefined : Number(event.to.dataset.laneId);
        onDrop(cardId, Number(event.to.dataset.columnId), event.newIndex, laneId);
      }
    },
  });
}

/**
 * Make the columns sortable by their heading (not its buttons).
 * `onStart()` runs when a drag begins, `onDrop(columnId, index)` when a
 * column lands somewhere new, `onCancel()` when it is put back.
 */
export function enableColumnDragging(container, { onStart, onDrop, onCancel }) {
  return Sortable.create(container, {
    group: "columns",
    draggable: ".kanban-column",
    handle: ".column-head",
    filter: "button",
    preventOnFilter: false,
    direction: "horizontal",
    animation: 150,
    forceFallback: true,
    fallbackTolerance: 4,
    delay: 180,
    delayOnTouchOnly: true,
    ghostClass: "column-ghost",
    dragClass: "column-dragging",
    scroll: true,
    onStart() {
      onStart();
    },
    onEnd(event) {
      if (event.oldIndex === event.newIndex) onCancel();
      else onDrop(Number(event.item.dataset.columnId), event.newIndex);
    },
  });
}
