/**
 * The CLI's formatting: keys and
 * values for people (UTF-8 when printable, hex otherwise) and for scripts
 * (JSON), byte sizes, and plain-text tables.
 */
import type { Message } from '../storage/index.js';
import { asUtf8, formatTimeMicros } from '../log-tools/index.js';

// Control characters, and the invisible format/separator ones that would
// make a terminal line lie about what is stored.
const NOT_PRINTABLE = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}\p{Co}\p{Cn}]/u;

/** A key or value for people: its text when printable UTF-8, `hex:...` otherwise. */
export function showBytes(bytes: Buffer | null, none: string): string {
  if (bytes === null || bytes.length === 0) return none;
  const text = asUtf8(bytes);
  if (text !== undefined && !NOT_PRINTABLE.test(text)) return text;
  return `hex:${bytes.toString('hex')}`;
}

export const NO_KEY = '(no key)';
export const TOMBSTONE = '(tombstone)';

/**
 * A key or value for scripts: a string when the bytes are UTF-8 (or base64
 * with --base64), `{"base64": ...}` when they are not; null when empty.
 * `publish` reads the same shapes back, so consume --json | publish copies
 * any message exactly.
 */
export type JsonBytes = string | { base64: string } | null;

export function jsonBytes(bytes: Buffer | null, base64: boolean): JsonBytes {
  if (bytes === null || bytes.length === 0) return null;
  if (base64) return bytes.toString('base64');
  const text = asUtf8(bytes);
  return text !== undefined ? text : { base64: bytes.toString('base64') };
}

export interface JsonMessage {
  offset: number;
  time: string;
  timeMicros: number;
  key: JsonBytes;
  value: JsonBytes;
}

export function jsonMessage(m: Message, base64: boolean): JsonMessage {
  return {
    offset: m.offset,
    time: formatTimeMicros(m.timeMicros),
    timeMicros: m.timeMicros,
    key: jsonBytes(m.key, base64),
    value: jsonBytes(m.value, base64),
  };
}

export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** Compact list of offsets: 1, 2, 3, 7 -> "1..3, 7". At most `max` runs are shown. */
export function formatOffsets(offsets: Iterable<number>, max = 10): string {
  const sorted = [...offsets].sort((a, b) => a - b);
  const runs: string[] = [];
  for (let i = 0; i < sorted.length;) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j++;
    runs.push(i === j ? `${sorted[i]}` : `${sorted[i]}..${sorted[j]}`);
    i = j + 1;
  }
  return runs.length > max ? `${runs.slice(0, max).join(', ')}, ...` : runs.join(', ');
}

export type Align = 'left' | 'right';

// Each code point is matched alone on purpose (a joiner or variation selector
// takes no column), so the combining marks in the class are intended.
// eslint-disable-next-line no-misleading-character-class
const ZERO_WIDTH = /[\p{Mn}\p{Me}\p{Emoji_Modifier}\u200d\ufe0f]/u;
const WIDE =
  /[\u1100-\u115f\u2e80-\u303e\u3041-\u33ff\u3400-\u4dbf\u4e00-\u9fff\ua000-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6]|\p{Extended_Pictographic}/u;

/** Columns a string takes in a terminal: wide CJK and emoji count 2, combining marks 0. */
export function displayWidth(text: string): number {
  let width = 0;
  for (const ch of text) width += ZERO_WIDTH.test(ch) ? 0 : WIDE.test(ch) ? 2 : 1;
  return width;
}

function pad(text: string, width: number, align: Align): string {
  const fill = ' '.repeat(Math.max(0, width - displayWidth(text)));
  return align === 'right' ? fill + text : text + fill;
}

/** Rows of cells as aligned text, two spaces between columns, no trailing spaces. */
export function table(header: string[], rows: string[][], align: Align[] = []): string[] {
  const widths = header.map((h, c) => Math.max(displayWidth(h), ...rows.map((r) => displayWidth(r[c] ?? ''))));
  const line = (cells: string[]): string =>
    cells
      .map((cell, c) => {
        const last = c === cells.length - 1;
        if (align[c] === 'right') return pad(cell, widths[c]!, 'right');
        return last ? cell : pad(cell, widths[c]!, 'left');
      })
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)];
}

/** Label/value pairs, the labels padded to one width. */
export function fields(pairs: [string, string][]): string[] {
  const width = Math.max(...pairs.map(([label]) => label.length));
  return pairs.map(([label, value]) => `${label.padEnd(width)}  ${value}`);
}

export const MESSAGE_HEADER = ['OFFSET', 'TIME', 'KEY', 'VALUE'];
export const MESSAGE_ALIGN: Align[] = ['right', 'left', 'left', 'left'];

export function messageRow(m: Message): string[] {
  return [String(m.offset), formatTimeMicros(m.timeMicros), showBytes(m.key, NO_KEY), showBytes(m.value, TOMBSTONE)];
}
