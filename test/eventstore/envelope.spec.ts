// The stored envelope: its layout (key order, absent ids left out), and
// appends returning exactly what a read of the stored value returns.
import { expect } from 'chai';
import fc from 'fast-check';
import {
  encodeEnvelope,
  encodeNewEnvelope,
  parseEnvelope,
  storedEnvelope,
  toRecorded,
} from '../../src/eventstore/envelope.js';
import { inMemoryEventStore } from '../../src/eventstore/index.js';
import { formatRecordedAt } from '../../src/eventstore/recorded-at.js';
import type { BlockingLog } from '../../src/index.js';

describe('envelope encoding', () => {
  it('writes the documented layout, and reads back the JSON view of the data', () => {
    const id = fc.option(fc.string({ minLength: 1 }), { nil: undefined });
    fc.assert(
      fc.property(
        fc.string({ minLength: 1 }),
        fc.jsonValue(),
        fc.uuid(),
        fc.nat(),
        id,
        id,
        id,
        (type, data, eventId, n, correlationId, causationId, commandId) => {
          const recordedAt = new Date().toISOString();
          const ids = { correlationId, causationId, commandId };
          const value = encodeEnvelope(
            { type, schemaVersion: 2, data, eventId, streamVersion: n + 1 },
            recordedAt,
            ids,
          );
          const present = Object.fromEntries(Object.entries(ids).filter(([, v]) => v !== undefined));
          expect(value).to.equal(
            JSON.stringify({
              type,
              schemaVersion: 2,
              data,
              meta: { eventId, ...present, recordedAt, streamVersion: n + 1 },
            }),
          );
          const read = parseEnvelope({
            offset: 7,
            time: new Date(),
            timeMicros: 0,
            key: Buffer.from('s'),
            value: Buffer.from(value),
          });
          expect(read).to.deep.equal(storedEnvelope(value, 's', 7));
          // The envelope an append keeps without parsing its value back is the one a read parses from it.
          const { stored } = encodeNewEnvelope(
            { type, schemaVersion: 2, data, eventId, streamVersion: n + 1 },
            recordedAt,
            ids,
          );
          expect(stored.data).to.deep.equal(read.data);
          // Its meta holds the absent ids as undefined members, which the stored JSON leaves out.
          expect({
            ...stored,
            meta: JSON.parse(JSON.stringify(stored.meta)) as unknown,
            streamId: 's',
            position: 7,
          }).to.deep.equal(read);
          expect(toRecorded(read, read.data).data).to.deep.equal(JSON.parse(JSON.stringify(data)));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('gives appends the data a read gives, where JSON changes it', async () => {
    const store = inMemoryEventStore();
    const { events } = await store.appendToStream('s', {
      type: 'T',
      data: { zero: -0, gone: undefined, list: [undefined] },
    });
    const read = await storedData(store.log, 's');
    expect(events[0]!.data)
      .to.deep.equal({ zero: 0, list: [null] })
      .and.deep.equal(read);
    await store.close();
  });

  it('reads recordedAt as new Date(recordedAt) does, for whatever string a stored envelope holds', async () => {
    const iso = fc
      .date({ min: new Date('0000-01-01T00:00:00Z'), max: new Date('9999-12-31T23:59:59Z'), noInvalidDate: true })
      .map((d) => d.toISOString());
    // Written strings, strings a minute apart sharing their first 17 characters, and damaged or odd ones.
    const sameMinute = fc
      .tuple(iso, fc.array(fc.integer({ min: 0, max: 99_999 }), { maxLength: 5 }))
      .map(([s, parts]) => [
        s,
        ...parts.map(
          (p) =>
            `${s.slice(0, 17)}${String(Math.floor(p / 1000)).padStart(2, '0')}.${String(p % 1000).padStart(3, '0')}Z`,
        ),
      ]);
    const damaged = fc
      .tuple(iso, fc.nat(23), fc.constantFrom(...'0123456789-:.TZ x+'))
      .map(([s, i, c]) => s.slice(0, i) + c + s.slice(i + 1));
    const odd = fc.constantFrom(
      '2026-12-06T24:00:00.000Z',
      '2026-12-06T24:00:30.000Z',
      '2026-12-06T09:41:60.000Z',
      '2026-02-30T09:41:07.123Z',
      '+012026-12-06T09:41:07.123Z',
      '2026-12-06T09:41:07Z',
      'not a date',
      '',
    );
    const strings = fc
      .array(
        fc.oneof(
          sameMinute,
          damaged.map((s) => [s]),
          odd.map((s) => [s]),
        ),
        { minLength: 1, maxLength: 8 },
      )
      .map((runs) => runs.flat());
    await fc.assert(
      fc.asyncProperty(strings, async (recordedAts) => {
        const store = inMemoryEventStore();
        await store.log.publish(
          recordedAts.map((recordedAt, i) => ({
            key: 's',
            value: JSON.stringify({
              type: 'T',
              schemaVersion: 1,
              data: i,
              meta: { eventId: `e${i}`, recordedAt, streamVersion: i + 1 },
            }),
          })),
        );
        const { events } = await store.readAll();
        expect(events.map((e) => e.meta.recordedAt.getTime())).to.deep.equal(
          recordedAts.map((s) => new Date(s).getTime()),
        );
        await store.close();
      }),
      { numRuns: 300 },
    );
  });

  it('writes recordedAt as toISOString does, also for times sharing a minute with the one before', () => {
    const ms = fc.integer({ min: Date.UTC(-1, 0, 1), max: Date.UTC(10_001, 0, 1) });
    // A time, then others up to two minutes later (some in its minute, some past it), and ones before it.
    const runs = fc.tuple(ms, fc.array(fc.integer({ min: -60_000, max: 120_000 }), { maxLength: 8 }));
    fc.assert(
      fc.property(runs, ([start, steps]) => {
        for (const t of [start, ...steps.map((step) => start + step)]) {
          expect(formatRecordedAt(t)).to.equal(new Date(t).toISOString());
        }
      }),
      { numRuns: 500 },
    );
    for (const t of [Date.UTC(2026, 11, 6, 23, 59, 59, 999), Date.UTC(2026, 11, 7), Date.UTC(2026, 11, 7, 0, 0, 9, 5)])
      expect(formatRecordedAt(t)).to.equal(new Date(t).toISOString());
  });

  it('writes the meta ids as JSON.stringify does, whatever characters they hold', () => {
    const text = fc.string({ unit: 'binary', minLength: 1 });
    fc.assert(
      fc.property(text, text, fc.option(text, { nil: undefined }), text, (type, eventId, fingerprint, recordedAt) => {
        const event = { type, schemaVersion: 1, data: null, eventId, streamVersion: 1 };
        expect(encodeEnvelope(event, recordedAt, { correlationId: type }, fingerprint)).to.equal(
          JSON.stringify({
            type,
            schemaVersion: 1,
            data: null,
            meta: { eventId, correlationId: type, commandFingerprint: fingerprint, recordedAt, streamVersion: 1 },
          }),
        );
      }),
      { numRuns: 100 },
    );
  });
});

/** The data of the stream's first event, straight from the log. */
async function storedData(log: BlockingLog, streamId: string): Promise<unknown> {
  const [message] = (await log.consumeByKey(streamId, -2, 1)).messages;
  return parseEnvelope(message).data;
}
