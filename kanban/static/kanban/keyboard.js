// Keyboard use of the board: moving the focused card with Alt+arrows, opening
// it with Enter, undo/redo with Ctrl+Z / Ctrl+Shift+Z (or Ctrl+Y), and "/"
// to filter the cards.

function typingInField(target) {
  return target.closest?.("input, textarea, select, [contenteditable='true']") !== null;
}

/**
 * handlers: moveBy(cardId, columnStep, indexStep, laneStep), openCard(cardId), undo(), redo(), focusFilter()
 */
export function enableKeyboard(root, handlers) {
  document.addEventListener("keydown", (event) => {
    if (document.querySelector("dialog[open]") || typingInField(event.target)) return;
    const command = event.ctrlKey || event.metaKey;
    const key = event.key.toLowerCase();
    if (command && !event.altKey && (key === "z" || key === "y")) {
      event.preventDefault();
      if (key === "y" || event.shiftKey) handlers.redo();
      else handlers.undo();
      return;
    }
    if (event.key === "/" && !command && !event.altKey) {
      event.preventDefault();
      handlers.focusFilter();
      return;
    }
    const card = event.target.closest?.(".kanban-card");
    if (!card || !root.contains(card)) return;
    const cardId = Number(card.dataset.cardId);
    const steps = event.shiftKey
      ? { ArrowUp: [0, 0, -1], ArrowDown: [0, 0, 1] }[event.key] // to the lane above or below
      : { ArrowUp: [0, -1], ArrowDown: [0, 1], ArrowLeft: [-1, 0], ArrowRight: [1, 0] }[event.key];
    if (event.altKey && steps) {
      event.preventDefault();
      handlers.moveBy(cardId, ...steps);
    } else if (!event.altKey && !command && (event.key === "Enter" || event.key === " ")) {
      event.preventDefault();
      handlers.openCard(cardId);
    }
  });
}
