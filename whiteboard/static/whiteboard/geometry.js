// How a stroke is drawn: the definition whiteboard/geometry.py gives the
// server's SVG export, mirrored here, so that the screen, the page's PNG and
// the SVG agree to a pixel. A freehand stroke is its centre line stroked
// `width` wide with round caps and joins: quadratic curves through the
// midpoints between its points, then straight to the last point. A pen with
// pressure is cut into runs of points drawn at one width, `width` x
// (0.5 + pressure) in steps of an eighth; each run starts where the one
// before ends. Points here are in board pixels.

export const HIGHLIGHTER_OPACITY = 0.45;
const PRESSURE_STEPS = 8;

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

/** A line, rectangle or ellipse between two corners. */
export function shapePath(tool, [[x1, y1], [x2, y2]]) {
  const path = new Path2D();
  if (tool === "line") {
    path.moveTo(x1, y1);
    path.lineTo(x2, y2);
  } else if (tool === "rect") {
    path.rect(Math.min(x1, x2), Math.min(y1, y2), Math.abs(x2 - x1), Math.abs(y2 - y1));
  } else {
    path.ellipse((x1 + x2) / 2, (y1 + y2) / 2, Math.abs(x2 - x1) / 2, Math.abs(y2 - y1) / 2, 0, 0, 2 * Math.PI);
  }
  return path;
}

/** What draws a stroke: [{width, path}], each path stroked `width` wide in the stroke's colour. */
export function strokeLines(stroke, points) {
  if (stroke.tool !== "pen" && stroke.tool !== "highlighter") return [{ width: stroke.width, path: shapePath(stroke.tool, points) }];
  return strokeRuns(stroke.tool, stroke.width, points).map(({ width, start, stop }) => ({
    width,
    path: centerlinePath(points, start, stop),
  }));
}
