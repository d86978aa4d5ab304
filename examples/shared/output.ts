// How the examples print: through a `print` function, so the scripts write
// to the console and the tests collect the lines.
import fs from 'node:fs/promises';
import path from 'node:path';

export type Print = (line: string) => void;

export const consolePrint: Print = (line) => console.log(line);

/** 1234567 -> "1.2 MiB". */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${bytes} B` : `${value.toFixed(1)} ${units[unit]}`;
}

/** The bytes of every file below `dir`, as the disk holds them. */
export async function dirSize(dir: string): Promise<number> {
  let total = 0;
  for (const entry of await fs.readdir(dir, { withFileTypes: true })) {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) total += await dirSize(file);
    else if (entry.isFile()) total += (await fs.stat(file)).size;
  }
  return total;
}

const NUMERIC = /^[-+]?[\d,]+(\.\d+)?$/;

/** Rows of cells as aligned columns; numbers (and amounts like "1,234.50") align right. */
export function table(rows: ReadonlyArray<ReadonlyArray<string | number>>, indent = '  '): string[] {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, String(cell).length)));
  const align = (cell: string | number, width: number) =>
    typeof cell === 'number' || NUMERIC.test(cell) ? String(cell).padStart(width) : cell.padEnd(width);
  return rows.map((row) => (indent + row.map((cell, i) => align(cell, widths[i]!)).join('  ')).trimEnd());
}
