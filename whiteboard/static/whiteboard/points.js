// The snapshot's packed points (whiteboard/points.py says how and why): per
// point x, y and, when the stroke has a pressure channel, pressure; per
// channel the first value, then the change, then changes of the change; each
// number zig-zagged in 5-bit digits, `MORE` digits first, one `LAST` digit at
// the end. Events on the socket keep plain [x, y(, pressure)] points.

const LAST = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdef";
const MORE = "ghijklmnopqrstuvwxyz0123456789-_";
const PRESSURE_MARK = "~";
const COORDINATE_SCALE = 10000;
const PRESSURE_SCALE = 1000;
const NO_PRESSURE = -1;

// Character code -> digit (0..31) for LAST, 32 + digit for MORE.
const DIGITS = new Int8Array(128).fill(-1);
for (let i = 0; i < 32; i += 1) {
  DIGITS[LAST.charCodeAt(i)] = i;
  DIGITS[MORE.charCodeAt(i)] = 32 + i;
}

/** The points of one packed stroke: [x, y] or [x, y, pressure], exactly as they were drawn. */
export function unpackPoints(text) {
  let start = 0;
  let channels = 2;
  if (text.startsWith(PRESSURE_MARK)) {
    start = 1;
    channels = 3;
  }
  const numbers = [];
  let zigzag = 0;
  let shift = 1;
  for (let i = start; i < text.length; i += 1) {
    const digit = DIGITS[text.charCodeAt(i)];
    if (digit < 0) throw new Error(`not a packed stroke: ${JSON.stringify(text.slice(0, 20))}`);
    if (digit >= 32) {
      zigzag += (digit - 32) * shift;
      shift *= 32;
    } else {
      zigzag += digit * shift;
      numbers.push(zigzag % 2 ? -(zigzag + 1) / 2 : zigzag / 2);
      zigzag = 0;
      shift = 1;
    }
  }
  const count = numbers.length / channels;
  const values = [];
  for (let channel = 0; channel < channels; channel += 1) {
    const column = new Array(count);
    let value = 0;
    let change = 0;
    for (let i = 0; i < count; i += 1) {
      const number = numbers[i * channels + channel];
      if (i === 0) value = number;
      else {
        change = i === 1 ? number : change + number;
        value += change;
      }
      column[i] = value;
    }
    values.push(column);
  }
  const points = new Array(count);
  for (let i = 0; i < count; i += 1) {
    const point = [values[0][i] / COORDINATE_SCALE, values[1][i] / COORDINATE_SCALE];
    if (channels === 3 && values[2][i] !== NO_PRESSURE) point.push(values[2][i] / PRESSURE_SCALE);
    points[i] = point;
  }
  return points;
}
