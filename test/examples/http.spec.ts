// examples/http: the service driven with real HTTP requests on a random port,
// including its live Server-Sent-Events feed.
import { expect } from 'chai';
import { run, type RunningService } from '../../examples/http/run.js';
import { parseExampleArgs } from '../../examples/shared/cli.js';
import { capture, useTempDir } from './helpers.js';
import { sse } from './sse-client.js';

interface Reply {
  status: number;
  // Whatever the service answered; each test knows the shape it asked for.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: any;
}

describe('examples/http', () => {
  let service: RunningService | undefined;
  // Registered before the temporary directory's hook, so it runs first: the service closes before its data goes.
  afterEach(async () => {
    await service?.close();
    service = undefined;
  });
  const dataDir = useTempDir('http');

  const start = async (print: (line: string) => void = () => undefined) =>
    (service = await run({ dataDir: dataDir(), port: 0, print }));
  const call = async (method: 'GET' | 'POST', path: string, body?: unknown): Promise<Reply> => {
    const res = await fetch(service!.url + path, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    return { status: res.status, body: await res.json() };
  };
  const post = (path: string, body?: unknown) => call('POST', path, body);
  const get = (path: string) => call('GET', path);

  it('listens on a random port and prints its URL', async () => {
    const out = capture();
    await start(out.print);
    expect(service!.url).to.match(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(out.lines[0]).to.equal(`bank service on ${service!.url} (data in ${dataDir()}, 0 events)`);
    expect((await get('/')).body.endpoints).to.have.length(10);
    expect(parseExampleArgs('http', ['--port', '0']).port).to.equal(0);
    expect(parseExampleArgs('http', [], { port: 8080 }).port).to.equal(8080);
    expect(() => parseExampleArgs('http', ['--port', 'x'])).to.throw(/--port must be an integer/);
  });

  it('runs commands and answers queries from the projections, reading its own writes with ?after', async () => {
    await start();
    expect((await post('/accounts', { id: 'alice', owner: 'Alice' })).status).to.equal(201);
    expect((await post('/accounts', { id: 'bob', owner: 'Bob' })).status).to.equal(201);
    const again = await post('/accounts', { id: 'bob', owner: 'Bob' });
    expect(again).to.deep.include({ status: 200 });
    expect(again.body.alreadyApplied).to.equal(true);

    const deposit = await post('/accounts/alice/deposits', { amount: 100_00 });
    expect(deposit.status).to.equal(200);
    expect(deposit.body).to.include({ account: 'alice', balance: 100_00, version: 2, position: 2 });
    const overdraft = await post('/accounts/bob/withdrawals', { amount: 1 });
    expect(overdraft).to.deep.equal({ status: 422, body: { error: 'insufficient funds: balance 0.00, asked 0.01' } });
    const transfer = await post('/transfers', { from: 'alice', to: 'bob', amount: 30_00, transferId: 't-1' });
    expect(transfer.status).to.equal(200);
    expect(transfer.body.from.balance).to.equal(70_00);
    expect(transfer.body.to.balance).to.equal(30_00);

    const after = transfer.body.position as number;
    expect(await get(`/accounts/bob?after=${after}`)).to.deep.equal({
      status: 200,
      body: { account: 'bob', owner: 'Bob', balance: 30_00, movements: 1 },
    });
    expect((await get(`/accounts?after=${after}`)).body).to.deep.equal({
      alice: { owner: 'Alice', balance: 70_00, movements: 2 },
      bob: { owner: 'Bob', balance: 30_00, movements: 1 },
    });
    const today = new Date().toISOString().slice(0, 10);
    expect((await get(`/totals/${today}?after=${after}`)).body).to.deep.equal({
      day: today,
      deposited: 100_00,
      withdrawn: 0,
      transferred: 30_00,
      count: 2,
    });
    const status = await get('/status');
    expect(status.body.eventLog.messages).to.equal(after + 1);
    for (const p of status.body.projections)
      expect(p).to.include({ state: 'running', checkpoint: after + 1, lagEvents: 0 });
  });

  it('answers bad requests with a status code and a one-line error', async () => {
    await start();
    await post('/accounts', { id: 'alice', owner: 'Alice' });
    expect(await post('/accounts/alice/deposits', { amount: -5 })).to.deep.include({ status: 400 });
    expect(await post('/accounts/alice/deposits', { amount: 1.5 })).to.deep.include({ status: 400 });
    expect(await post('/accounts/alice/deposits', '{not json')).to.deep.equal({
      status: 400,
      body: { error: 'the body is not JSON' },
    });
    expect(await post('/accounts/nobody/deposits', { amount: 5 })).to.deep.equal({
      status: 404,
      body: { error: 'the account is not open' },
    });
    expect(await post('/transfers', { from: 'alice', to: 'nobody', amount: 5 })).to.deep.equal({
      status: 404,
      body: { error: 'account nobody is not open' },
    });
    expect((await get('/accounts/nobody')).status).to.equal(404);
    expect((await get('/nowhere')).status).to.equal(404);
    expect((await get('/transfers')).status).to.equal(405);
    expect((await get('/events?from=-1')).status).to.equal(400);
    // An idempotency key reused for another payload: 422, as the Idempotency-Key draft asks.
    expect((await post('/accounts/alice/deposits', { amount: 5, commandId: 'dep-1' })).status).to.equal(200);
    expect((await post('/accounts/alice/deposits', { amount: 5, commandId: 'dep-1' })).status).to.equal(200);
    const reused = await post('/accounts/alice/deposits', { amount: 7, commandId: 'dep-1' });
    expect(reused.status).to.equal(422);
    expect(JSON.stringify(reused.body)).to.match(/command id \\"dep-1\\"/);
  });

  it('lets exactly one of many concurrent withdrawals of the whole balance through', async () => {
    await start();
    await post('/accounts', { id: 'carol', owner: 'Carol' });
    await post('/accounts/carol/deposits', { amount: 50_00 });
    const replies = await Promise.all(
      Array.from({ length: 8 }, () => post('/accounts/carol/withdrawals', { amount: 50_00 })),
    );
    expect(replies.filter((r) => r.status === 200)).to.have.length(1);
    expect(replies.filter((r) => r.status === 422)).to.have.length(7);
    const last = replies.find((r) => r.status === 200)!.body.position as number;
    expect((await get(`/accounts/carol?after=${last}`)).body.balance).to.equal(0);
  });

  it('streams events over SSE as they are appended, including one published during the test', async () => {
    await start();
    await post('/accounts', { id: 'dave', owner: 'Dave' });
    const feed = sse(`${service!.url}/events`); // from the end of the log: only new events
    try {
      await feed.connected;
      const deposit = await post('/accounts/dave/deposits', { amount: 12_34 });
      const [event] = await feed.take(1);
      expect(event.id).to.equal(String(deposit.body.position));
      expect(event.event).to.equal('Deposited');
      expect(JSON.parse(event.data)).to.deep.include({
        type: 'Deposited',
        data: { amount: 12_34 },
        streamId: 'account-dave',
        version: 2,
      });
    } finally {
      feed.close();
    }
  });

  it('resumes an SSE feed after Last-Event-ID with no gap and no duplicate, and replays from ?from=0', async () => {
    await start();
    await post('/accounts', { id: 'erin', owner: 'Erin' });
    for (let i = 1; i <= 4; i++) await post('/accounts/erin/deposits', { amount: i });
    const resumed = sse(`${service!.url}/events`, { 'last-event-id': '2' });
    const replay = sse(`${service!.url}/events?from=0`);
    try {
      await post('/accounts/erin/withdrawals', { amount: 10 });
      expect((await resumed.take(3)).map((e) => e.id)).to.deep.equal(['3', '4', '5']);
      expect((await replay.take(6)).map((e) => e.event)).to.deep.equal([
        'AccountOpened',
        'Deposited',
        'Deposited',
        'Deposited',
        'Deposited',
        'Withdrawn',
      ]);
    } finally {
      resumed.close();
      replay.close();
    }
  });

  it('keeps its data across a restart', async () => {
    await start();
    await post('/accounts', { id: 'fay', owner: 'Fay' });
    await post('/accounts/fay/deposits', { amount: 7_00 });
    await service!.close();
    await start();
    expect((await get('/accounts/fay')).body).to.deep.include({ balance: 7_00 });
    expect((await post('/accounts/fay/deposits', { amount: 1_00 })).body).to.include({
      balance: 8_00,
      version: 3,
      position: 2,
    });
  });
});
