/** The static files the inspector serves, embedded so the package needs no build step or asset copy. */
import { APP_JS } from './app.js';
import { FAVICON_SVG, INDEX_HTML } from './page.js';
import { STYLE_CSS } from './style.js';

export interface Asset {
  type: string;
  body: string;
}

export const ASSETS: Readonly<Record<string, Asset>> = Object.freeze({
  '/index.html': { type: 'text/html; charset=utf-8', body: INDEX_HTML },
  '/app.js': { type: 'text/javascript; charset=utf-8', body: APP_JS },
  '/style.css': { type: 'text/css; charset=utf-8', body: STYLE_CSS },
  '/favicon.svg': { type: 'image/svg+xml', body: FAVICON_SVG },
});
