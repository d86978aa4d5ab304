// The service's routes: commands go to the aggregates, queries to the
// projections. A command answers with the log position of its last event;
// a query given `?after=<position>` waits until its projection has applied
// that event, so a client reads its own writes.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import { ProjectionNotReadyError, type Projection } from '../../src/projections/index.js';
import type { AccountResult } from '../bank/accounts.js';
import { AccountNotOpen } from '../bank/account.js';
import type { Bank } from '../bank/app.js';
import { accountOf } from '../bank/events.js';
import {
  HttpError,
  optionalString,
  queryInteger,
  readJson,
  requireAmount,
  requireString,
  sendJson,
} from './http-io.js';
import { streamEvents } from './sse.js';

export interface Context {
  bank: Bank;
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  params: string[];
}

interface Route {
  method: 'GET' | 'POST';
  path: RegExp;
  /** For the index page. */
  describe: string;
  handle(ctx: Context): Promise<void>;
}

/** The part of a command's result a client needs. */
function commandReply(result: AccountResult) {
  const last = result.events.at(-1);
  return {
    account: accountOf(result.streamId),
    balance: result.state.status === 'open' ? result.state.balance : undefined,
    version: result.nextExpectedVersion,
    position: last?.meta.position,
    alreadyApplied: result.alreadyApplied,
    events: result.events.map((e) => ({ type: e.type, data: e.data, position: e.meta.position })),
  };
}

async function balanceReply(bank: Bank, id: string) {
  const state = await bank.accounts.state(id);
  return { account: id, balance: state.status === 'open' ? state.balance : undefined };
}

/** Waits (at most 5 s) until the projection has applied the event at `position`. */
async function applied<S, E>(projection: Projection<S, E>, position: number | undefined): Promise<void> {
  await projection.whenRunning({ timeoutMs: 5000 });
  if (position === undefined) return;
  try {
    await projection.waitFor(position, { timeoutMs: 5000 });
  } catch (err) {
    if (err instanceof ProjectionNotReadyError && err.state === 'running') {
      throw new HttpError(504, `projection ${projection.name} has not reached position ${position} within 5 s`);
    }
    throw err;
  }
}

const accountId = /^([A-Za-z0-9_-]{1,64})$/;

/** POST /accounts/:id/<path> {"amount", "commandId"?}: a deposit or a withdrawal. */
function movement(path: 'deposits' | 'withdrawals', command: 'deposit' | 'withdraw'): Route {
  return {
    method: 'POST',
    path: new RegExp(`^/accounts/([^/]+)/${path}$`),
    describe: `POST /accounts/:id/${path} {"amount" (cents), "commandId"?}`,
    async handle({ bank, req, res, params }) {
      const body = await readJson(req);
      sendJson(
        res,
        200,
        commandReply(await bank.accounts[command](params[0]!, requireAmount(body), optionalString(body, 'commandId'))),
      );
    },
  };
}

export const routes: Route[] = [
  {
    method: 'POST',
    path: /^\/accounts$/,
    describe: 'POST /accounts {"id","owner"}: open an account',
    async handle({ bank, req, res }) {
      const body = await readJson(req);
      const id = requireString(body, 'id');
      if (!accountId.test(id)) throw new HttpError(400, '"id" must be 1 to 64 letters, digits, "_" or "-"');
      const result = await bank.accounts.open(id, requireString(body, 'owner'));
      sendJson(res, result.alreadyApplied ? 200 : 201, commandReply(result));
    },
  },
  movement('deposits', 'deposit'),
  movement('withdrawals', 'withdraw'),
  {
    method: 'POST',
    path: /^\/transfers$/,
    describe: 'POST /transfers {"from","to","amount" (cents),"transferId"?}',
    async handle({ bank, req, res }) {
      const body = await readJson(req);
      const transferId = optionalString(body, 'transferId') ?? randomUUID();
      const [from, to] = [requireString(body, 'from'), requireString(body, 'to')];
      // Refused up front, as a 404; the workflow still refunds a credit refused later.
      if ((await bank.accounts.state(to)).status !== 'open') throw new AccountNotOpen(`account ${to} is not open`);
      const outcome = await bank.transfers.transfer(transferId, from, to, requireAmount(body));
      if (outcome.status === 'refused') throw new HttpError(422, outcome.reason);
      sendJson(res, 200, {
        transferId,
        status: outcome.status,
        from: await balanceReply(bank, from),
        to: await balanceReply(bank, to),
        // Every event of the transfer is before it: wait for it with ?after=.
        position: (await bank.store.headPosition()) - 1,
      });
    },
  },
  {
    method: 'GET',
    path: /^\/accounts$/,
    describe: 'GET /accounts[?after=<position>]: every balance (balances projection)',
    async handle({ bank, res, url }) {
      await applied(bank.balances, queryInteger(url, 'after'));
      sendJson(res, 200, Object.fromEntries((await bank.balances.snapshot()).states));
    },
  },
  {
    method: 'GET',
    path: /^\/accounts\/([^/]+)$/,
    describe: 'GET /accounts/:id[?after=<position>]: one balance',
    async handle({ bank, res, url, params }) {
      await applied(bank.balances, queryInteger(url, 'after'));
      const balance = await bank.balances.get(params[0]!);
      if (!balance) throw new HttpError(404, `no account ${params[0]}`);
      sendJson(res, 200, { account: params[0], ...balance });
    },
  },
  {
    method: 'GET',
    path: /^\/totals$/,
    describe: 'GET /totals[?after=<position>]: totals per day (daily-totals projection)',
    async handle({ bank, res, url }) {
      await applied(bank.daily, queryInteger(url, 'after'));
      sendJson(res, 200, Object.fromEntries((await bank.daily.snapshot()).states));
    },
  },
  {
    method: 'GET',
    path: /^\/totals\/(\d{4}-\d{2}-\d{2})$/,
    describe: 'GET /totals/:day[?after=<position>]: one day (YYYY-MM-DD, UTC)',
    async handle({ bank, res, url, params }) {
      await applied(bank.daily, queryInteger(url, 'after'));
      const totals = await bank.daily.get(params[0]!);
      if (!totals) throw new HttpError(404, `no movements on ${params[0]}`);
      sendJson(res, 200, { day: params[0], ...totals });
    },
  },
  {
    method: 'GET',
    path: /^\/status$/,
    describe: 'GET /status: projections (state, checkpoint, lag) and the event log',
    async handle({ bank, res }) {
      const projections = (await bank.runner.status()).map(({ error, ...s }) => ({ ...s, error: error?.message }));
      sendJson(res, 200, { projections, eventLog: await bank.store.log.stat() });
    },
  },
  {
    method: 'GET',
    path: /^\/events$/,
    describe: 'GET /events[?from=<position>]: live Server-Sent Events (Last-Event-ID resumes)',
    handle: ({ bank, req, res, url }) => streamEvents(bank.store, () => bank.store.log.nextOffset(), req, res, url),
  },
];
