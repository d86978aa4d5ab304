// Relative links between the README and docs/: each must name a file that
// exists, and an anchor (#...) a heading of that file, slugged as GitHub does.
import fs from 'node:fs';
import path from 'node:path';

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to dashes. */
export function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

function anchors(text: string): Set<string> {
  const out = new Set<string>();
  let fenced = false;
  for (const line of text.split('\n')) {
    if (/^\s*(```|~~~)/.test(line)) fenced = !fenced;
    const m = !fenced && /^#{1,6}\s+(.*)$/.exec(line);
    if (m) out.add(slug(m[1]!));
  }
  return out;
}

/** Problems with the relative links of one markdown file (relative to `root`). */
export function brokenLinks(root: string, file: string): string[] {
  const text = fs.readFileSync(path.join(root, file), 'utf8').replace(/```[\s\S]*?```/g, '');
  const problems: string[] = [];
  for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
    if (/^[a-z]+:/i.test(target)) continue; // https:, mailto:
    const [file2, anchor] = target.split('#') as [string, string | undefined];
    const resolved = file2 === '' ? file : path.join(path.dirname(file), file2);
    if (!path.resolve(root, resolved).startsWith(root + path.sep)) {
      problems.push(`${file}: ${target} points outside the repository`);
      continue;
    }
    if (!fs.existsSync(path.join(root, resolved))) {
      problems.push(`${file}: ${target}: no such file`);
      continue;
    }
    if (
      anchor !== undefined &&
      resolved.endsWith('.md') &&
      !anchors(fs.readFileSync(path.join(root, resolved), 'utf8')).has(anchor)
    ) {
      problems.push(`${file}: ${target}: no heading with that anchor in ${resolved}`);
    }
  }
  return problems;
}
