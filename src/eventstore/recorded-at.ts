/**
 * An envelope's recordedAt (written by Date#toISOString, e.g.
 * "2026-12-06T09:41:07.123Z") as a Date, for every event read. `new Date`
 * of a string cost a third as much as the JSON parse of the whole envelope
 * in a projection's catch-up profile. Events read together were mostly
 * recorded within the same minute: the minute is parsed by `new Date` once,
 * and only seconds and milliseconds are added for the strings that share
 * it. Anything not in that exact shape goes to `new Date` as before, so the
 * result is always what `new Date(recordedAt)` gives.
 */

/** "YYYY-MM-DDTHH:mm:" of the last string parsed in full, and its time in ms. */
let minute = '';
let minuteMs = 0;

const MINUTE_LENGTH = 17; // "YYYY-MM-DDTHH:mm:"
const ISO_LENGTH = 24; // + "ss.sssZ"

/** The digit at `i` (0-9), or -1 for any other character. */
function digit(s: string, i: number): number {
  const d = s.charCodeAt(i) - 48;
  return d >= 0 && d <= 9 ? d : -1;
}

/** Seconds and milliseconds of "ss.sssZ" at the end of an ISO string, in ms; -1 when not in that shape. */
function secondsPart(s: string): number {
  const s1 = digit(s, 17);
  const s2 = digit(s, 18);
  const m1 = digit(s, 20);
  const m2 = digit(s, 21);
  const m3 = digit(s, 22);
  if (s1 < 0 || s1 > 5 || s2 < 0 || m1 < 0 || m2 < 0 || m3 < 0) return -1;
  if (s.charCodeAt(19) !== 46 /* . */ || s.charCodeAt(23) !== 90 /* Z */) return -1;
  return (s1 * 10 + s2) * 1000 + m1 * 100 + m2 * 10 + m3;
}

/** "YYYY-MM-DDTHH:mm:" with an hour below 24 (ISO allows 24:00:00 alone, which no other second of that minute shares). */
function isIsoMinute(s: string): boolean {
  for (let i = 0; i < MINUTE_LENGTH; i++) {
    const c = s.charCodeAt(i);
    const want = i === 4 || i === 7 ? 45 /* - */ : i === 10 ? 84 /* T */ : i === 13 || i === 16 ? 58 /* : */ : -1;
    if (want < 0 ? digit(s, i) < 0 : c !== want) return false;
  }
  return digit(s, 11) * 10 + digit(s, 12) < 24;
}

export function parseRecordedAt(recordedAt: string): Date {
  if (recordedAt.length !== ISO_LENGTH) return new Date(recordedAt);
  const part = secondsPart(recordedAt);
  if (part >= 0 && minute !== '' && recordedAt.startsWith(minute)) return new Date(minuteMs + part);
  const date = new Date(recordedAt);
  const ms = date.getTime();
  if (part >= 0 && !Number.isNaN(ms) && isIsoMinute(recordedAt)) {
    minute = recordedAt.slice(0, MINUTE_LENGTH);
    minuteMs = ms - part;
  }
  return date;
}

/** Start (in ms) and "YYYY-MM-DDTHH:mm:" of the minute the last formatted time fell in. */
let isoMinuteStart = NaN;
let isoMinute = '';

/**
 * `new Date(ms).toISOString()`, the recordedAt of an append. Appends close
 * together fall in the same minute: its text is made once, and only seconds
 * and milliseconds are written for the times that share it.
 */
export function formatRecordedAt(ms: number): string {
  const inMinute = ms - isoMinuteStart;
  if (inMinute >= 0 && inMinute < 60_000 && Number.isInteger(inMinute)) {
    const seconds = Math.floor(inMinute / 1000);
    const millis = inMinute - seconds * 1000;
    return `${isoMinute}${seconds < 10 ? '0' : ''}${seconds}.${millis < 100 ? (millis < 10 ? '00' : '0') : ''}${millis}Z`;
  }
  const iso = new Date(ms).toISOString();
  const part = iso.length === ISO_LENGTH ? secondsPart(iso) : -1;
  if (part >= 0 && isIsoMinute(iso)) {
    isoMinute = iso.slice(0, MINUTE_LENGTH);
    isoMinuteStart = ms - part;
  }
  return iso;
}
