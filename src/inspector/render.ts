/**
 * How the inspector's API hands keys, values and messages to the page: as
 * JSON when the bytes parse as JSON, as text when they are printable UTF-8,
 * as hex otherwise. The page puts these strings into the DOM as text only;
 * here they are made honest to look at (no invisible or direction-changing
 * characters that would make a value read as something it is not).
 */
import type { Log, Message } from '../storage/index.js';
import { asUtf8, formatTimeMicros } from '../log-tools/index.js';
import type { Shown, ShownKind, ShownMessage } from './browser/api-types.js';

/** Characters that do not show or that reorder text around them; tab, newline and carriage return are fine. */
// Control characters are what this class is for: they are shown escaped.
// eslint-disable-next-line no-control-regex
const HIDDEN = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\p{Cf}\p{Zl}\p{Zp}\p{Cs}\p{Co}\p{Cn}]/u;
const HIDDEN_ALL = new RegExp(HIDDEN.source, 'gu');
/** Values above this are not parsed as JSON (they show as text). */
const JSON_PARSE_LIMIT = 4 << 20;

/** `text` with every hidden character written as a \uXXXX escape (valid inside JSON strings, where JSON can hold them). */
function escapeHidden(text: string): string {
  return text.replace(HIDDEN_ALL, (ch) =>
    [...ch].map((c) => `\\u${c.codePointAt(0)!.toString(16).padStart(4, '0')}`).join(''),
  );
}

function cut(text: string, max: number): { text: string; truncated: boolean } {
  if (text.length <= max) return { text, truncated: false };
  // Never split a surrogate pair.
  let end = max;
  const code = text.charCodeAt(end - 1);
  if (code >= 0xd800 && code <= 0xdbff) end--;
  return { text: text.slice(0, end), truncated: true };
}

/**
 * Bytes as the page shows them; `max` cuts the text (a preview) and
 * `pretty` indents JSON.
 */
export function showBytes(bytes: Buffer | null, max = Infinity, pretty = true): Shown {
  if (bytes === null || bytes.length === 0) return { kind: 'none', text: '', bytes: 0 };
  const text = asUtf8(bytes);
  let shown: { kind: ShownKind; text: string };
  if (text === undefined) {
    shown = {
      kind: 'hex',
      text: bytes.subarray(0, Number.isFinite(max) ? Math.ceil(max / 2) : bytes.length).toString('hex'),
    };
  } else {
    const json = parseJson(text);
    if (json !== undefined)
      shown = { kind: 'json', text: escapeHidden(JSON.stringify(json.value, null, pretty ? 2 : undefined)) };
    else if (HIDDEN.test(text))
      shown = {
        kind: 'hex',
        text: bytes.subarray(0, Number.isFinite(max) ? Math.ceil(max / 2) : bytes.length).toString('hex'),
      };
    else shown = { kind: 'text', text };
  }
  const c = cut(shown.text, max);
  const truncated = c.truncated || (shown.kind === 'hex' && shown.text.length < bytes.length * 2);
  return { kind: shown.kind, text: c.text, bytes: bytes.length, ...(truncated && { truncated: true }) };
}

/** The parsed JSON of `text`, or undefined when it is not JSON (or too large to bother). */
export function parseJson(text: string): { value: unknown } | undefined {
  if (text.length > JSON_PARSE_LIMIT) return undefined;
  const first = text.trimStart()[0];
  // Only objects, arrays and strings: a bare number or word is text that happens to parse.
  if (first !== '{' && first !== '[' && first !== '"') return undefined;
  try {
    return { value: JSON.parse(text) as unknown };
  } catch {
    return undefined;
  }
}

/** Preview size of keys and values in lists (characters). */
export const PREVIEW = 2000;

export function showMessage(log: Log, m: Message, max = PREVIEW): ShownMessage {
  return {
    offset: m.offset,
    time: formatTimeMicros(m.timeMicros),
    timeMicros: m.timeMicros,
    key: showBytes(m.key, 512, false),
    value: showBytes(m.value, max, max === Infinity),
    size: log.size(m),
  };
}
