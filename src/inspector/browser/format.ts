/** Numbers and durations as the page shows them (sizes: formatSize of log-tools/format.ts, as the CLI). */

/** 12345 -> "12,345". */
export function count(n: number): string {
  return Number(n).toLocaleString('en-US');
}

/** Seconds in the past, roughly: "just now", "5 min ago". */
export function ago(seconds: number | null): string {
  if (seconds === null) return '';
  if (seconds < 1) return 'just now';
  if (seconds < 90) return `${Math.round(seconds)} s ago`;
  if (seconds < 5400) return `${Math.round(seconds / 60)} min ago`;
  if (seconds < 129600) return `${Math.round(seconds / 3600)} h ago`;
  return `${Math.round(seconds / 86400)} d ago`;
}

export function duration(seconds: number): string {
  if (seconds < 1) return `${Math.round(seconds * 1000)} ms`;
  if (seconds < 90) return `${seconds.toFixed(1)} s`;
  if (seconds < 5400) return `${(seconds / 60).toFixed(1)} min`;
  if (seconds < 172800) return `${(seconds / 3600).toFixed(1)} h`;
  return `${count(Math.round(seconds / 86400))} days`;
}

/** A chart bar's width in time. */
export function formatBucket(micros: number): string {
  const s = micros / 1e6;
  if (s < 1) return `${Math.max(1, Math.round(micros / 1000))} ms`;
  return duration(s);
}
