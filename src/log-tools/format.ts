/**
 * Formatting both the CLI and the inspector show: stored times exactly (to
 * the microsecond), bytes as text when they are UTF-8, and byte sizes.
 *
 * A pure module (no Node APIs, no imports): the inspector's page loads it
 * too, served at /log-tools/format.js (inspector/assets).
 */

/** ISO 8601 UTC with exactly 6 fractional digits: the stored time, exact. */
export function formatTimeMicros(micros: number): string {
  const ms = Math.floor(micros / 1000);
  const rest = micros - ms * 1000;
  const iso = new Date(ms).toISOString(); // ...ss.mmmZ
  return `${iso.slice(0, -1)}${String(rest).padStart(3, '0')}Z`;
}

// ignoreBOM: a leading U+FEFF is part of the stored bytes, not something to strip.
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** The bytes as a string when they are valid UTF-8, else undefined. */
export function asUtf8(bytes: Uint8Array): string | undefined {
  try {
    return utf8.decode(bytes);
  } catch {
    return undefined;
  }
}

/** 1536 -> "1.5 KiB". */
export function formatSize(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = bytes;
  let u = 0;
  while (Math.abs(v) >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${bytes} B` : `${v.toFixed(1)} ${units[u]}`;
}
