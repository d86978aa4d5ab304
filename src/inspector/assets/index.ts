/**
 * The static files the inspector serves. The page and its style are embedded
 * strings; the page's script is the browser modules of ../browser, compiled
 * by the package build next to this file (dist/src/inspector/browser), so an
 * installed package serves them with no build step or asset copy. The pure
 * modules of src they import (the byte formatting the CLI shares) are served
 * at their place in src, where the modules' relative imports point.
 */
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { FAVICON_SVG, INDEX_HTML } from './page.js';
import { STYLE_CSS } from './style.js';

export interface Asset {
  type: string;
  body: string;
}

/** Where the page's script modules are served from (the page loads /js/app.js). */
export const SCRIPT_PATH = '/js/';

const SCRIPT_DIR = fileURLToPath(new URL('../browser/', import.meta.url));
const MODULE_FILE = /^[a-z][a-z0-9-]*\.js$/;
/**
 * Modules outside the browser folder the page imports, by the path their
 * import resolves to (/js/overview.js imports '../../log-tools/format.js').
 */
const SHARED_MODULES: Readonly<Record<string, string>> = Object.freeze({
  '/log-tools/format.js': fileURLToPath(new URL('../../log-tools/format.js', import.meta.url)),
});

const FIXED: Readonly<Record<string, Asset>> = Object.freeze({
  '/index.html': { type: 'text/html; charset=utf-8', body: INDEX_HTML },
  '/style.css': { type: 'text/css; charset=utf-8', body: STYLE_CSS },
  '/favicon.svg': { type: 'image/svg+xml', body: FAVICON_SVG },
});

/** The script modules, read once: a fixed set of files, so no request names a path on disk. */
let scripts: Map<string, Asset> | undefined;

function loadScripts(): Map<string, Asset> {
  let files: string[];
  try {
    files = fs.readdirSync(SCRIPT_DIR).filter((f) => MODULE_FILE.test(f));
  } catch {
    files = [];
  }
  if (!files.includes('app.js')) {
    // A broken build of klevdb itself, not a condition a caller handles: a plain Error (a 500 naming the fix).
    throw new Error(
      `the inspector's page script is missing from ${SCRIPT_DIR}; build the package with \`npm run build\` (it compiles tsconfig.browser.json)`,
    );
  }
  const script = (file: string): Asset => ({
    type: 'text/javascript; charset=utf-8',
    body: fs.readFileSync(file, 'utf8'),
  });
  return new Map([
    ...files.map((f): [string, Asset] => [`${SCRIPT_PATH}${f}`, script(`${SCRIPT_DIR}${f}`)]),
    ...Object.entries(SHARED_MODULES).map(([served, file]): [string, Asset] => [served, script(file)]),
  ]);
}

/** The asset served at `pathname`, if there is one. */
export function asset(pathname: string): Asset | undefined {
  const fixed = FIXED[pathname === '/' ? '/index.html' : pathname];
  if (fixed) return fixed;
  if (!pathname.startsWith(SCRIPT_PATH) && !(pathname in SHARED_MODULES)) return undefined;
  scripts ??= loadScripts();
  return scripts.get(pathname);
}
