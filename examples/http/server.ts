// The HTTP service over the bank: node:http, a route table, and errors
// turned into status codes with a one-line JSON message.
import http from 'node:http';
import { CommandIdReusedError, ConcurrencyError, InvalidEventError } from '../../src/eventstore/index.js';
import { ProjectionFailedError, ProjectionNotReadyError } from '../../src/projections/index.js';
import { AccountAlreadyOpen, AccountNotOpen, InsufficientFunds } from '../bank/account.js';
import type { Bank } from '../bank/app.js';
import { HttpError, sendJson } from './http-io.js';
import { routes } from './routes.js';

function statusOf(err: unknown): number {
  if (err instanceof HttpError) return err.status;
  if (err instanceof InsufficientFunds || err instanceof CommandIdReusedError) return 422;
  if (err instanceof AccountNotOpen) return 404;
  if (err instanceof AccountAlreadyOpen || err instanceof ConcurrencyError) return 409;
  if (err instanceof InvalidEventError) return 400;
  if (err instanceof ProjectionNotReadyError || err instanceof ProjectionFailedError) return 503;
  return 500;
}

export function createBankServer(bank: Bank, onError: (err: unknown) => void = () => undefined): http.Server {
  return http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const handle = async (): Promise<void> => {
      if (req.method === 'GET' && url.pathname === '/') {
        return sendJson(res, 200, { endpoints: routes.map((r) => r.describe) });
      }
      for (const route of routes) {
        const match = route.path.exec(url.pathname);
        if (!match) continue;
        if (req.method !== route.method && routes.every((r) => r.method !== req.method || !r.path.test(url.pathname))) {
          throw new HttpError(405, `${req.method} is not allowed on ${url.pathname}`);
        }
        if (req.method !== route.method) continue;
        return route.handle({ bank, req, res, url, params: match.slice(1).map(decodeURIComponent) });
      }
      throw new HttpError(404, `no route for ${req.method} ${url.pathname}; GET / lists them`);
    };
    handle().catch((err: unknown) => {
      const status = statusOf(err);
      if (status === 500) onError(err);
      if (res.headersSent) res.end();
      else sendJson(res, status, { error: err instanceof Error ? err.message : String(err) });
    });
  });
}
