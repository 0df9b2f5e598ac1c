// Copy, paste and duplicate: the selection is put on the clipboard as JSON
// (its own type, and as text so it also goes between browsers), and pasting
// draws it again, with new ids, as this page draws anything: strokes in
// chunks, shapes and texts whole. So a paste is checked by the server like
// any drawing, whatever the clipboard held. A picture from another board
// is fetched from there and uploaded to this one first.

import { newStrokeId, roundCoordinate } from "./tools.js";

export const CLIPBOARD_TYPE = "application/x-boardsite-elements+json"; // in the browser; text/plain carries it too
const FORMAT = "boardsite-elements";
const KINDS = new Set(["pen", "highlighter", "line", "arrow", "rect", "ellipse", "diamond", "text", "note", "image"]);
const MAX_ELEMENTS = 1000;

/**
 * The clipboard text of `strokes`, as drawn now (`pointsOf`: an attached
 * line's or arrow's ends where their elements are). An end stays attached
 * only to an element copied with it.
 */
export function clipboardText(strokes, pointsOf = (stroke) => stroke.points, pictureUrl = () => null) {
  const copied = new Set(strokes.map((stroke) => stroke.id));
  // An element's place in front or behind (`z`) stays with it: a copy goes on top, as anything new does.
  const elements = strokes.map(({ id, tool, color, width, props: { z, start, end, ...props }, points }) => {
    const element = { id, tool, color, width, props, points: start || end ? pointsOf({ tool, props: { start, end }, points }) : points };
    if (start && copied.has(start.id)) props.start = start;
    if (end && copied.has(end.id)) props.end = end;
    if (tool === "image") element.src = pictureUrl(props.image); // where another board's page can fetch it from
    return element;
  });
  return JSON.stringify({ format: FORMAT, version: 1, elements });
}

/** The elements clipboard text holds, or null if it is not ours (or broken). */
export function parseClipboard(text) {
  let data;
  try {
    data = JSON.parse(text);
  } catch {
    return null;
  }
  if (data?.format !== FORMAT || !Array.isArray(data.elements)) return null;
  const elements = data.elements.filter(
    (element) => element && KINDS.has(element.tool) && Array.isArray(element.points) && element.points.length > 0,
  );
  return elements.slice(0, MAX_ELEMENTS);
}

/**
 * Draw `elements` again on `board`, moved by (dx, dy) board fractions, each
 * with a new id; returns the new ids.
 */
export function recreate(board, elements, dx, dy) {
  const newIds = new Map(elements.filter((element) => typeof element.id === "string").map((element) => [element.id, newStrokeId()]));
  const attached = (element) => element.props?.start || element.props?.end;
  const ids = [];
  // What lines and arrows are attached to is drawn before them, so the server knows it.
  for (const element of [...elements.filter((element) => !attached(element)), ...elements.filter(attached)]) {
    const { id: oldId, tool, color, width, props: { start, end, ...props } = {}, points } = element;
    const moved = points.map(([x, y, ...pressure]) => [roundCoordinate(x + dx), roundCoordinate(y + dy), ...pressure]);
    const id = (typeof oldId === "string" && newIds.get(oldId)) || newStrokeId();
    if (start && newIds.has(start.id)) props.start = { ...start, id: newIds.get(start.id) };
    if (end && newIds.has(end.id)) props.end = { ...end, id: newIds.get(end.id) };
    if (tool === "image") {
      board.placePicture({ id, image: props.image, src: element.src, points: moved, angle: props.angle });
    } else if (tool === "text" || tool === "note") {
      const { text, size, align, fill, angle } = props;
      board.sendText({ id, tool, color, points: moved, text, size, align, fill, angle });
    } else if (tool === "pen" || tool === "highlighter") {
      const { maxPointsPerMessage } = board.limits;
      for (let start = 0, chunk = 0; start < moved.length; start += maxPointsPerMessage, chunk += 1) {
        board.sendStroke({ id, chunk, tool, color, width, points: moved.slice(start, start + maxPointsPerMessage) });
      }
    } else {
      board.sendShape({ id, shape: tool, color, width, points: moved, props });
    }
    ids.push(id);
  }
  return ids;
}
