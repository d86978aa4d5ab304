/**
 * The inspector's HTTP server (node:http, no framework): the page, its
 * script and style, and the read-only JSON API it uses.
 *
 *   GET /api/info                                     what is inspected: logs, projections
 *   GET /api/overview?log=                            counts, segments, messages over time
 *   GET /api/messages?log=&from=&limit=               a page by offset (from: n, oldest, newest)
 *   GET /api/message?log=&offset=                     one message, whole
 *   GET /api/key?log=&k=&enc=&from=&limit=            messages with a key (enc: text, hex, base64)
 *   GET /api/time?log=&t=&from=                       the first message at or after a time
 *   GET /api/events?log=&from=                        live tail (Server-Sent Events)
 *   GET /api/projections                              projections with checkpoint and lag
 *   GET /api/projection?name=&q=&values=&after=&limit= a projection's states, searchable
 *   GET /api/subscriptions                            durable subscriptions: position, lag, consumer
 *   GET /api/workflow?name=&after=&limit=             a workflow's instances, from the source log
 *
 * Safe by default: it listens on 127.0.0.1, has no endpoint that changes
 * anything (the logs are opened readonly), answers only GET and HEAD,
 * refuses Host headers other than its own when on loopback (DNS
 * rebinding) and cross-site API calls, and sends a strict
 * Content-Security-Policy with every reply.
 */
import http from 'node:http';
import path from 'node:path';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { OffsetNewest, OffsetOldest } from '../storage/index.js';
import { invalidArgument } from '../storage/backend-kit.js';
import { asset as staticAsset } from './assets/index.js';
import type { Info, Subscriptions } from './browser/api-types.js';
import { Catalog } from './catalog.js';
import type { CatalogOptions } from './catalog.js';
import { HttpError, Query, badRequest, notFound, securityHeaders, sendError, sendJson } from './http.js';
import { Tails } from './live.js';
import { OverviewCache, byKey, byTime, message, page } from './log-views.js';
import { ProjectionViews } from './projection-view.js';
import { SubscriptionViews } from './subscription-view.js';
import { WorkflowInstanceIndex } from './workflow-instances.js';

export interface InspectorOptions extends CatalogOptions {
  /** Address to listen on (default 127.0.0.1). */
  host?: string;
  /** Port (default 0: any free port). */
  port?: number;
}

export interface Inspector {
  /** http://host:port/ */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  readonly catalog: Catalog;
  /** Live tails open now. */
  readonly tails: number;
  /** Stops listening, ends the live tails and closes the logs. */
  close(): Promise<void>;
}

export const VERSION = '0.1.0';
const MAX_PAGE = 500;
const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

export function isLoopback(host: string): boolean {
  return LOOPBACK.has(host) || /^127\.\d+\.\d+\.\d+$/.test(host);
}

type Handler = (req: IncomingMessage, res: ServerResponse, q: Query) => Promise<void>;

class Routes {
  private readonly overviews = new OverviewCache();
  private readonly projections: ProjectionViews;
  private readonly subscriptions: SubscriptionViews;
  private instances: WorkflowInstanceIndex | undefined;
  readonly tails = new Tails();
  readonly table: Record<string, Handler>;

  constructor(private readonly catalog: Catalog) {
    this.projections = new ProjectionViews(catalog);
    this.subscriptions = new SubscriptionViews(catalog);
    this.table = {
      '/api/info': async (_req, res) => {
        const [logs, projections] = await Promise.all([catalog.logs(), catalog.projections()]);
        const info: Info = {
          version: VERSION,
          readonly: true,
          dir: catalog.dir,
          kind: catalog.kind,
          logs: logs.map(({ id, label, dir, role, projection }) => ({
            id,
            label,
            dir,
            role,
            ...(projection !== undefined && { projection }),
          })),
          projections: projections.map((p) => p.name),
          subscriptions: catalog.subscriptions().map((e) => path.basename(e.dir)),
        };
        sendJson(res, 200, info);
      },
      '/api/overview': async (_req, res, q) => {
        const entry = await this.entry(q);
        sendJson(res, 200, { log: entry.id, ...(await this.overviews.overview(entry.dir, await catalog.open(entry))) });
      },
      '/api/messages': async (_req, res, q) => {
        const from = q.offset('from', OffsetOldest);
        const limit = q.integer('limit', 1, MAX_PAGE, 50);
        const { log } = await catalog.open(await this.entry(q));
        sendJson(res, 200, await page(log, from, limit));
      },
      '/api/message': async (_req, res, q) => {
        const offset = q.integer('offset', 0, Number.MAX_SAFE_INTEGER, -1);
        if (offset < 0) throw badRequest('parameter offset is required');
        const { log } = await catalog.open(await this.entry(q));
        sendJson(res, 200, await message(log, offset));
      },
      '/api/key': async (_req, res, q) => {
        const key = q.bytes('k', 'enc');
        const from = q.offset('from', OffsetOldest);
        if (from === OffsetNewest) throw badRequest("parameter from must be an offset or 'oldest'");
        const limit = q.integer('limit', 1, MAX_PAGE, 50);
        sendJson(res, 200, await byKey(await catalog.open(await this.entry(q)), key, from, limit));
      },
      '/api/time': async (_req, res, q) => {
        const micros = q.time('t');
        const from = q.offset('from', OffsetOldest);
        if (from === OffsetNewest) throw badRequest("parameter from must be an offset or 'oldest'");
        sendJson(res, 200, await byTime(await catalog.open(await this.entry(q)), micros, from));
      },
      '/api/events': async (req, res, q) => {
        const from = q.offset('from', OffsetNewest);
        if (from === OffsetOldest) throw badRequest("parameter from must be an offset or 'newest'");
        const { log } = await catalog.open(await this.entry(q));
        const end = await log.nextOffset();
        if (from > end) throw notFound(`offset ${from} is past the end of the log (next offset ${end})`);
        await this.tails.serve(req, res, log, from);
      },
      '/api/projections': async (_req, res) => {
        sendJson(res, 200, { projections: await this.projections.list() });
      },
      '/api/subscriptions': async (_req, res) => {
        const reply: Subscriptions = {
          dir: catalog.subscriptionsDir ?? null,
          subscriptions: await this.subscriptions.list(),
        };
        sendJson(res, 200, reply);
      },
      '/api/workflow': async (_req, res, q) => {
        const name = q.string('name', true);
        const after = q.string('after');
        const limit = q.integer('limit', 1, MAX_PAGE, 100);
        sendJson(res, 200, await (await this.workflowIndex(name)).page(name, after, limit));
      },
      '/api/projection': async (_req, res, q) => {
        const name = q.string('name', true);
        const query = q.string('q') ?? '';
        const inValues = q.flag('values');
        const after = q.string('after');
        const limit = q.integer('limit', 1, MAX_PAGE, 100);
        sendJson(res, 200, await this.projections.states(name, query, inValues, after, limit));
      },
    };
  }

  /** The index of the workflows' instances in the source log; 404 for a name that is no workflow of the runner's. */
  private async workflowIndex(name: string): Promise<WorkflowInstanceIndex> {
    const found = (await this.projections.list()).find((p) => p.name === name);
    if (found?.kind !== 'workflow')
      throw notFound(`there is no workflow "${name}" here; /api/projections lists them with their kind`);
    const source = this.catalog.source;
    if (!source) throw notFound("the workflows' event store is unknown: start the inspector with --source <its log>");
    const { log } = await this.catalog.open(source);
    if (this.instances?.log !== log) this.instances = new WorkflowInstanceIndex(log);
    return this.instances;
  }

  /** The log a request names (`log=`), or the first one there is. */
  private async entry(q: Query) {
    const id = q.string('log');
    if (id !== undefined) return this.catalog.entry(id);
    const first = (await this.catalog.logs())[0];
    if (!first) throw notFound('there is no log here; /api/projections lists the projections');
    return first;
  }
}

/** Host headers a loopback server answers to: its own address, by number or as localhost. */
function allowedHosts(host: string, port: number): Set<string> | undefined {
  if (!isLoopback(host)) return undefined;
  return new Set([
    `127.0.0.1:${port}`,
    `localhost:${port}`,
    `[::1]:${port}`,
    host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`,
  ]);
}

function handle(routes: Routes, hosts: () => Set<string> | undefined, req: IncomingMessage, res: ServerResponse): void {
  securityHeaders(res);
  const run = async (): Promise<void> => {
    const allowed = hosts();
    if (allowed && !allowed.has((req.headers.host ?? '').toLowerCase())) {
      throw new HttpError(421, 'this inspector answers only on its own address (open the URL it printed)');
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      throw new HttpError(405, 'the inspector is read-only: only GET and HEAD');
    }
    const pathname = new URL(req.url ?? '/', 'http://inspector.invalid').pathname;
    const asset = staticAsset(pathname);
    if (asset) {
      res.writeHead(200, {
        'Content-Type': asset.type,
        'Content-Length': Buffer.byteLength(asset.body),
        'Cache-Control': 'no-cache',
      });
      res.end(asset.body);
      return;
    }
    const route = routes.table[pathname];
    if (!route) throw notFound(`no such page or endpoint: ${pathname}`);
    const site = req.headers['sec-fetch-site'];
    if (site === 'cross-site' || site === 'same-site')
      throw new HttpError(403, 'the inspector API answers only its own page');
    await route(req, res, new Query(req));
  };
  run().catch((err: unknown) => sendError(res, err));
}

/** Starts an inspector on the directories of `options`; resolves once it listens. */
export async function startInspector(options: InspectorOptions): Promise<Inspector> {
  const host = options.host ?? '127.0.0.1';
  const port = options.port ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw invalidArgument(`port must be a whole number from 0 to 65535, got ${port}`);
  const catalog = new Catalog(options);
  const routes = new Routes(catalog);
  let hosts: Set<string> | undefined;
  const server = http.createServer((req, res) => handle(routes, () => hosts, req, res));
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const bound = (server.address() as AddressInfo).port;
  hosts = allowedHosts(host, bound);
  let closing: Promise<void> | undefined;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${bound}/`,
    host,
    port: bound,
    catalog,
    get tails() {
      return routes.tails.count;
    },
    close() {
      closing ??= (async () => {
        await routes.tails.close();
        const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeAllConnections();
        await stopped;
        await catalog.close();
      })();
      return closing;
    },
  };
}
