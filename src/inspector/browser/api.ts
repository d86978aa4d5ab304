/** Calls to the inspector's API, and the page's one error line. */
import type { Info, LogInfo } from './api-types.js';
import { byId, show } from './dom.js';

export type Params = Record<string, string | number | null | undefined>;

/** GET `path` with the query `params` (empty ones left out); the reply's JSON, or an Error with the API's message. */
export async function api<T>(path: string, params: Params = {}): Promise<T> {
  const query = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v !== undefined && v !== null && v !== '') query.set(k, String(v));
  }
  const url = path + (query.toString() ? `?${query.toString()}` : '');
  const res = await fetch(url, { headers: { Accept: 'application/json' }, credentials: 'same-origin' });
  const body = (await res.json().catch(() => ({ error: `bad reply (${res.status})` }))) as { error?: unknown } | null;
  if (!res.ok) throw new Error(body && typeof body.error === 'string' ? body.error : `request failed (${res.status})`);
  return body as T;
}

/** Shows a failure in the error line. */
export function fail(err: unknown): void {
  const box = byId('error');
  box.textContent = err instanceof Error ? err.message : String(err);
  show(box, true);
}

/** Hides the error line after a request that worked. */
export function ok(): void {
  show(byId('error'), false);
}

/** What the page is looking at; the views read and change it. */
export const state = {
  info: null as Info | null,
  log: null as LogInfo | null,
  tab: 'overview',
  limit: 50,
};

/** `extra` with the log the page shows. */
export function logParams(extra: Params = {}): Params {
  return { log: state.log?.id, ...extra };
}
