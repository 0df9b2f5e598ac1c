// How a person looks on the board: the same colour for their avatar, cursor
// and history chip, and their initial.

/** A steady colour per person, for their avatar, cursor and history chip. */
export function personColor(name) {
  let hash = 0;
  for (const char of name) hash = (hash * 31 + char.codePointAt(0)) >>> 0;
  return `hsl(${hash % 360} 65% 45%)`;
}

export function initial(name) {
  return (name.trim()[0] || "?").toUpperCase();
}
