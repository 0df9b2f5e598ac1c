// How a stroke is drawn: the definition whiteboard/geometry.py gives the
// server's SVG export, mirrored here, so that the screen, the page's PNG and
// the SVG agree to a pixel. A freehand stroke is its centre line stroked
// `width` wide with round caps and joins: quadratic curves through the
// midpoints between its points, then straight to the last point. A pen with
// pressure is cut into runs of points drawn at one width, `width` x
// (0.5 + pressure) in steps of an eighth; each run starts where the one
// before ends. An arrow is a line with an open head of two strokes
// ARROWHEAD_ANGLE either side of it; a diamond goes through the middles of
// its box's sides; a dashed or dotted outline repeats DASHES x width (an
// arrow's heads are always solid). A text
// or note is laid out here (layoutText) and drawn by textLines: its lines as
// typed, LINE_HEIGHT x size apart, the first baseline one size below the top
// (plus a note's padding). A box with an `angle` is drawn turned about its
// centre; an attached end of a line or arrow where its element is now (both
// below). Points here are in board pixels.

export const HIGHLIGHTER_OPACITY = 0.45;
const PRESSURE_STEPS = 8;
const ARROWHEAD_ANGLE = 0.5;
const ARROWHEAD_LENGTH = 3;
const ARROWHEAD_MIN_LENGTH = 12;
export const DASHES = { dashed: [4, 3], dotted: [0, 2] };
export const FONT_FAMILY = 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif';
export const LINE_HEIGHT = 1.25;
export const NOTE_PADDING = 16;
export const NOTE_RADIUS = 6;
export const NOTE_MIN_SIZE = 200;
export const TEXT_TOOLS = new Set(["text", "note"]);

/** The width of a pen at `pressure` (0..1; none: undefined) in eighths of its width. */
function pressureStep(pressure) {
  if (pressure === undefined || pressure < 0) return PRESSURE_STEPS;
  return Math.round((0.5 + pressure) * PRESSURE_STEPS);
}

/**
 * The lines a freehand stroke is drawn as: [{width, start, stop}], each the
 * points [start, stop). One line for the whole stroke unless a pen has pressure.
 */
export function strokeRuns(tool, width, points) {
  if (tool !== "pen" || !points.some((point) => point.length > 2)) return [{ width, start: 0, stop: points.length }];
  const steps = points.map((point) => pressureStep(point[2]));
  const runs = [];
  let start = 0;
  for (let index = 1; index < steps.length; index += 1) {
    if (steps[index] !== steps[start]) {
      runs.push({ width: (width * steps[start]) / PRESSURE_STEPS, start, stop: index + 1 });
      start = index;
    }
  }
  if (start < steps.length - 1 || runs.length === 0) {
    runs.push({ width: (width * steps[start]) / PRESSURE_STEPS, start, stop: steps.length });
  }
  return runs;
}

/** The centre line through points[start..stop) as a Path2D; one point is a dot. */
export function centerlinePath(points, start = 0, stop = points.length) {
  const path = new Path2D();
  const [x0, y0] = points[start];
  path.moveTo(x0, y0);
  if (stop - start === 1) {
    path.lineTo(x0, y0);
    return path;
  }
  for (let index = start + 1; index < stop - 1; index += 1) {
    const [x1, y1] = points[index];
    const [x2, y2] = points[index + 1];
    path.quadraticCurveTo(x1, y1, (x1 + x2) / 2, (y1 + y2) / 2);
  }
  const [xn, yn] = points[stop - 1];
  path.lineTo(xn, yn);
  return path;
}

/** The two ends of the head of an arrow from (x1, y1) to (x2, y2). */
export function arrowhead(x1, y1, x2, y2, width) {
  const head = Math.min(Math.max(ARROWHEAD_LENGTH * width, ARROWHEAD_MIN_LENGTH), Math.hypot(x2 - x1, y2 - y1) / 2);
  const angle = Math.atan2(y2 - y1, x2 - x1);
  return [-1, 1].map((side) => [x2 - head * Math.cos(angle + side * ARROWHEAD_ANGLE), y2 - head * Math.sin(angle + side * ARROWHEAD_ANGLE)]);
}

/** The heads of an arrow from (x1, y1) to (x2, y2), `width` wide, as one path: always drawn solid. */
export function arrowheadsPath([[x1, y1], [x2, y2]], width, heads = "end") {
  const path = new Path2D();
  const ends = heads === "both" ? [[x1, y1, x2, y2], [x2, y2, x1, y1]] : [[x1, y1, x2, y2]];
  for (const [fx, fy, tx, ty] of ends) {
    const [[ax, ay], [bx, by]] = arrowhead(fx, fy, tx, ty, width);
    path.moveTo(ax, ay);
    path.lineTo(tx, ty);
    path.lineTo(bx, by);
  }
  return path;
}

/** A line, rectangle, ellipse or diamond between two corners; an arrow's shaft (arrowheadsPath adds its heads). */
export function shapePath(tool, [[x1, y1], [x2, y2]]) {
  const path = new Path2D();
  if (tool === "line" || tool === "arrow") {
    path.moveTo(x1, y1);
    path.lineTo(x2, y2);
  } else if (tool === "diamond") {
    const [left, right, top, bottom] = [Math.min(x1, x2), Math.max(x1, x2), Math.min(y1, y2), Math.max(y1, y2)];
    path.moveTo((left + right) / 2, top);
    path.lineTo(right, (top + bottom) / 2);
    path.lineTo((left + right) / 2, bottom);
    path.lineTo(left, (top + bottom) / 2);
    path.closePath();
  } else if (tool === "rect") {
    path.rect(Math.min(x1, x2), Math.min(y1, y2), Math.abs(x2 - x1), Math.abs(y2 - y1));
  } else {
    path.ellipse((x1 + x2) / 2, (y1 + y2) / 2, Math.abs(x2 - x1) / 2, Math.abs(y2 - y1) / 2, 0, 0, 2 * Math.PI);
  }
  return path;
}

/**
 * What draws a stroke or shape: [{width, path, solid}], each path stroked
 * `width` wide in the stroke's colour, dashed as the shape is unless `solid`.
 */
export function strokeLines(stroke, points) {
  if (stroke.tool !== "pen" && stroke.tool !== "highlighter") {
    const lines = [{ width: stroke.width, path: shapePath(stroke.tool, points) }];
    if (stroke.tool === "arrow") lines.push({ width: stroke.width, path: arrowheadsPath(points, stroke.width, stroke.props?.heads), solid: true });
    return lines;
  }
  return strokeRuns(stroke.tool, stroke.width, points).map(({ width, start, stop }) => ({
    width,
    path: centerlinePath(points, start, stop),
  }));
}

/** The canvas font of a text `size` board pixels high. */
export function font(size) {
  return `${size}px ${FONT_FAMILY}`;
}

function lines(text) {
  return text.replace(/\r\n?/g, "\n").split("\n");
}

/**
 * The size of the box a text or note takes, in board pixels: its widest
 * line (`measure(line)` at its size) by its lines; a note adds its padding
 * and is at least NOTE_MIN_SIZE square, growing with its text.
 */
export function layoutText({ tool, text, size }, measure) {
  const width = Math.max(1, ...lines(text).map(measure));
  const height = LINE_HEIGHT * size * lines(text).length;
  if (tool !== "note") return { width: Math.ceil(width), height: Math.ceil(height) };
  return {
    width: Math.ceil(Math.max(NOTE_MIN_SIZE, width + 2 * NOTE_PADDING)),
    height: Math.ceil(Math.max(NOTE_MIN_SIZE, height + 2 * NOTE_PADDING)),
  };
}

/** Where each line of a text or note in the box [[x1, y1], [x2, y2]] goes: [{x, y, line}] and the alignment. */
export function textLines({ tool, props }, [[x1, y1], [x2, y2]]) {
  const [left, right, top] = [Math.min(x1, x2), Math.max(x1, x2), Math.min(y1, y2)];
  const padding = tool === "note" ? NOTE_PADDING : 0;
  const align = props.align ?? "left";
  const x = { left: left + padding, center: (left + right) / 2, right: right - padding }[align];
  return {
    align,
    lines: lines(props.text).map((line, index) => ({ x, y: top + padding + props.size * (1 + LINE_HEIGHT * index), line })),
  };
}

// Turning and resizing (whiteboard/transforms.py, mirrored): a box's `angle`
// turns it about its centre, in board pixels; a transform maps each point p
// to origin + turn(angle) · scale(sx, sy) · (p − origin). The server works
// out what is stored and sends it; this page works out the same to show a
// resize or turn while it is dragged.

export const BOX_TOOLS = new Set(["rect", "ellipse", "diamond", "text", "note", "image"]);
const CORNER_DECIMALS = 6; // as whiteboard/geometry.py rounds a turned box's corners
const MIN_FONT_SIZE = 8;
const MAX_FONT_SIZE = 400;
const MIN_BOX_PX = 1;

/** How far an element is turned about its centre (radians): only a box turns; the rest turn with their points. */
export function angleOf(stroke) {
  return BOX_TOOLS.has(stroke.tool) ? stroke.props?.angle ?? 0 : 0;
}

function rounded(value, decimals) {
  const factor = 10 ** decimals;
  return Math.round(value * factor) / factor;
}

/** The centre of a box given by two corners (board fractions), in board pixels. */
export function boxCentre([[x1, y1], [x2, y2]], boardWidth, boardHeight) {
  return [((x1 + x2) / 2) * boardWidth, ((y1 + y2) / 2) * boardHeight];
}

/** The four corners of a box (board fractions) turned by `angle` about its centre, in board fractions. */
export function boxCorners(points, angle, boardWidth, boardHeight) {
  const [[x1, y1], [x2, y2]] = points;
  const [cx, cy] = boxCentre(points, boardWidth, boardHeight);
  const [cos, sin] = [Math.cos(angle), Math.sin(angle)];
  return [[x1, y1], [x2, y1], [x2, y2], [x1, y2]].map(([x, y]) => {
    const [px, py] = [x * boardWidth - cx, y * boardHeight - cy];
    return [
      rounded((cx + px * cos - py * sin) / boardWidth, CORNER_DECIMALS),
      rounded((cy + px * sin + py * cos) / boardHeight, CORNER_DECIMALS),
    ];
  });
}

/** (x, y) in board pixels turned by `angle` about (cx, cy). */
export function turnedAbout([x, y], [cx, cy], angle) {
  const [cos, sin] = [Math.cos(angle), Math.sin(angle)];
  const [px, py] = [x - cx, y - cy];
  return [cx + px * cos - py * sin, cy + px * sin + py * cos];
}

/**
 * What a transform {x, y, sx, sy, angle} (origin in board fractions) makes
 * of an element: its {points, props}, points where it is drawn. As
 * whiteboard/transforms.py does (to its rounding).
 */
export function transformed(stroke, { x, y, sx = 1, sy = 1, angle = 0 }, boardWidth, boardHeight) {
  const [ox, oy] = [x * boardWidth, y * boardHeight];
  const [cos, sin] = [Math.cos(angle), Math.sin(angle)];
  const map = (px, py) => {
    const [dx, dy] = [(px - ox) * sx, (py - oy) * sy];
    return [(ox + dx * cos - dy * sin) / boardWidth, (oy + dx * sin + dy * cos) / boardHeight];
  };
  if (!BOX_TOOLS.has(stroke.tool)) {
    return { props: stroke.props, points: stroke.points.map(([px, py, ...pressure]) => [...map(px * boardWidth, py * boardHeight), ...pressure]) };
  }
  const props = { ...stroke.props };
  const [[x1, y1], [x2, y2]] = stroke.points;
  const turn = props.angle ?? 0;
  const axisScale = (direction) => Math.hypot(sx * Math.cos(direction), sy * Math.sin(direction));
  const [oldWidth, oldHeight] = [Math.abs(x2 - x1) * boardWidth, Math.abs(y2 - y1) * boardHeight];
  let [width, height] = [oldWidth * axisScale(turn), oldHeight * axisScale(turn + Math.PI / 2)];
  if (TEXT_TOOLS.has(stroke.tool)) {
    let even = oldWidth && oldHeight ? Math.sqrt((width * height) / (oldWidth * oldHeight)) : 1;
    const size = Math.min(MAX_FONT_SIZE, Math.max(MIN_FONT_SIZE, rounded(props.size * even, 1)));
    even = size / props.size;
    props.size = size;
    [width, height] = [oldWidth * even, oldHeight * even];
  }
  [width, height] = [Math.max(width, MIN_BOX_PX), Math.max(height, MIN_BOX_PX)];
  const [cx, cy] = map(((x1 + x2) / 2) * boardWidth, ((y1 + y2) / 2) * boardHeight);
  const mirrors = sx < 0 !== sy < 0;
  const newAngle = Math.atan2(Math.sin((mirrors ? -turn : turn) + angle), Math.cos((mirrors ? -turn : turn) + angle));
  if (Math.abs(newAngle) > 1e-5) props.angle = newAngle;
  else delete props.angle;
  const [halfX, halfY] = [width / 2 / boardWidth, height / 2 / boardHeight];
  return { props, points: [[cx - halfX, cy - halfY], [cx + halfX, cy + halfY]] };
}

/**
 * Where the end of a line or arrow attached to `element` is (board
 * fractions): at `anchor` ({x, y}, fractions of the element's box as if
 * unturned: the extent of its points as drawn), turned with the element.
 * As whiteboard/geometry.py, attached_point.
 */
export function attachedPoint(element, anchor, boardWidth, boardHeight) {
  let [left, top, right, bottom] = [Infinity, Infinity, -Infinity, -Infinity];
  for (const [x, y] of element.points) {
    [left, top, right, bottom] = [Math.min(left, x), Math.min(top, y), Math.max(right, x), Math.max(bottom, y)];
  }
  let [x, y] = [left + anchor.x * (right - left), top + anchor.y * (bottom - top)];
  const angle = angleOf(element);
  if (angle) {
    const [px, py] = turnedAbout([x * boardWidth, y * boardHeight], [((left + right) / 2) * boardWidth, ((top + bottom) / 2) * boardHeight], angle);
    [x, y] = [px / boardWidth, py / boardHeight];
  }
  return [rounded(x, CORNER_DECIMALS), rounded(y, CORNER_DECIMALS)];
}

/** The props of a line or arrow that attach its ends to elements, in the order of its points. */
export const ATTACHED_ENDS = ["start", "end"];

/** Whether a line or arrow has an end attached to an element. */
export function isAttached(stroke) {
  return Boolean(stroke.props?.start || stroke.props?.end);
}

const ATTACH_GAP = 4; // how far short of an element's outline an attached end stops, in board pixels

/**
 * Where (0..1) the segment (px, py) + t (dx, dy), about a box's centre in
 * its own frame, enters the element's outline; null if it starts inside.
 */
function entry(tool, halfWidth, halfHeight, px, py, dx, dy) {
  if (tool === "ellipse") {
    if (!halfWidth || !halfHeight) return null;
    const a = (dx / halfWidth) ** 2 + (dy / halfHeight) ** 2;
    const b = 2 * ((px * dx) / halfWidth ** 2 + (py * dy) / halfHeight ** 2);
    const c = (px / halfWidth) ** 2 + (py / halfHeight) ** 2 - 1;
    if (c <= 0 || !a || b * b - 4 * a * c < 0) return null;
    return Math.max(0, (-b - Math.sqrt(b * b - 4 * a * c)) / (2 * a));
  }
  const corners = tool === "diamond"
    ? [[0, -halfHeight], [halfWidth, 0], [0, halfHeight], [-halfWidth, 0]]
    : [[-halfWidth, -halfHeight], [halfWidth, -halfHeight], [halfWidth, halfHeight], [-halfWidth, halfHeight]];
  let [entering, leaving, outside] = [0, Infinity, false];
  for (let index = 0; index < corners.length; index += 1) {
    const [[x1, y1], [x2, y2]] = [corners[index], corners[(index + 1) % corners.length]];
    const [nx, ny] = [y2 - y1, x1 - x2]; // the edge's outward normal (corners go clockwise on screen)
    const distance = nx * (px - x1) + ny * (py - y1); // > 0: the start is outside this edge
    const toward = nx * dx + ny * dy;
    outside ||= distance > 0;
    if (toward < 0) entering = Math.max(entering, distance / -toward);
    else if (toward > 0) leaving = Math.min(leaving, -distance / toward);
    else if (distance > 0) return null; // alongside the edge, outside it: it never enters
  }
  return outside && entering <= leaving ? entering : null;
}

/**
 * A line's or arrow's two ends as drawn (board fractions): an end attached
 * to an element (`elementById(id)`, one this page holds) is at its anchor
 * on it (attachedPoint), drawn back along the line to ATTACH_GAP short of
 * the element's outline when the other end is outside it. As
 * whiteboard/geometry.py, attached_ends.
 */
export function attachedPoints(stroke, elementById, boardWidth, boardHeight) {
  const targets = [stroke.props.start, stroke.props.end].map((anchor) => {
    const element = anchor && elementById(anchor.id);
    return element?.points.length ? { element, anchor } : null;
  });
  const anchored = stroke.points.slice(0, 2).map((point, index) =>
    targets[index] ? attachedPoint(targets[index].element, targets[index].anchor, boardWidth, boardHeight) : [point[0], point[1]],
  );
  return anchored.map((end, index) => {
    const element = targets[index]?.element;
    if (!element || !BOX_TOOLS.has(element.tool)) return end;
    const xs = element.points.map(([x]) => x * boardWidth);
    const ys = element.points.map(([, y]) => y * boardHeight);
    const centre = [(Math.min(...xs) + Math.max(...xs)) / 2, (Math.min(...ys) + Math.max(...ys)) / 2];
    const angle = element.props?.angle ?? 0;
    const [qx, qy] = turnedAbout([end[0] * boardWidth, end[1] * boardHeight], centre, -angle);
    const other = anchored[1 - index];
    const [px, py] = turnedAbout([other[0] * boardWidth, other[1] * boardHeight], centre, -angle);
    const [dx, dy] = [qx - px, qy - py];
    const t = entry(element.tool, (Math.max(...xs) - Math.min(...xs)) / 2, (Math.max(...ys) - Math.min(...ys)) / 2, px - centre[0], py - centre[1], dx, dy);
    const length = Math.hypot(dx, dy);
    if (t === null || !length || (t - 1) * length > 0.01) return end; // an anchor on the outline enters at 1, to its rounding
    const enters = Math.min(t, 1);
    const back = Math.min(ATTACH_GAP / length, enters);
    const [x, y] = turnedAbout([px + dx * (enters - back), py + dy * (enters - back)], centre, angle);
    return [rounded(x / boardWidth, CORNER_DECIMALS), rounded(y / boardHeight, CORNER_DECIMALS)];
  });
}

/** Where on `element` (fractions of its unturned box, as attachedPoint takes them) the point (x, y) in board fractions is. */
export function anchorOn(element, [x, y], boardWidth, boardHeight) {
  let [left, top, right, bottom] = [Infinity, Infinity, -Infinity, -Infinity];
  for (const [px, py] of element.points) {
    [left, top, right, bottom] = [Math.min(left, px), Math.min(top, py), Math.max(right, px), Math.max(bottom, py)];
  }
  const angle = angleOf(element);
  if (angle) {
    const [px, py] = turnedAbout([x * boardWidth, y * boardHeight], [((left + right) / 2) * boardWidth, ((top + bottom) / 2) * boardHeight], -angle);
    [x, y] = [px / boardWidth, py / boardHeight];
  }
  const fraction = (value, low, high) => (high > low ? Math.min(1, Math.max(0, (value - low) / (high - low))) : 0.5);
  return { id: element.id, x: rounded(fraction(x, left, right), 4), y: rounded(fraction(y, top, bottom), 4) };
}
