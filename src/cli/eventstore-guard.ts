/**
 * Compact, trim and delete on an event store's log: deleting events leaves
 * streams whose versions no longer run 1..n, which the store then refuses to
 * load. These commands refuse such a log unless given --force, and say
 * which events (streams and versions) would be lost.
 *
 * A log is an event store's when the store marked it (klevdb-eventstore.json)
 * or, for one made before markers existed, when its first message is an
 * event envelope.
 */
import type { Command } from 'commander';
import { OffsetOldest, type Log, type Message } from '../storage/index.js';
import { EVENT_STORE_MARKER, isMarkedEventStoreLog, parseEnvelope } from '../eventstore/backend-kit.js';
import { CliError, EXIT } from './errors.js';
import { formatOffsets, plural } from './format.js';

export interface ForceOption {
  force?: boolean;
}

export function withForceOption(cmd: Command): Command {
  return cmd.option(
    '--force',
    `also on an event store's log (${EVENT_STORE_MARKER}): destroy the history of its streams`,
  );
}

type Verb = 'compact' | 'trim' | 'delete';
const ING: Record<Verb, string> = { compact: 'compacting', trim: 'trimming', delete: 'deleting' };
const LISTED_STREAMS = 5;
const BATCH = 1000;

/**
 * Throws a CliError (exit 1) when `dir` is an event store's log and the
 * command would delete some of its events, unless `force`. `find` names the
 * offsets the command would delete; it runs only for an event store's log.
 */
export async function refuseOnEventStore(
  verb: Verb,
  dir: string,
  log: Log,
  find: () => Promise<Set<number>>,
  force: boolean | undefined,
): Promise<void> {
  if (force) return;
  const how = isMarkedEventStoreLog(dir) ? 'marked' : (await startsWithEvent(log)) ? 'content' : undefined;
  if (!how) return;
  const lost = await eventsAt(log, await find());
  if (lost.count === 0) return;
  const total = (await log.stat()).messages;
  throw new CliError(
    EXIT.USAGE,
    `refusing to ${verb} ${dir}: it is an event store's log${how === 'content' ? ' (its events say so)' : ''}; ` +
      `${ING[verb]} would delete ${lost.count} of its ${plural(total, 'event')}, from ${plural(lost.streams.size, 'stream')} (${describeStreams(lost.streams)}), ` +
      'and the store refuses to load a stream with missing versions, so those streams could take no more commands. ' +
      `Back the log up first (klevdb backup) and pass --force to destroy that history anyway`,
  );
}

async function startsWithEvent(log: Log): Promise<boolean> {
  const [first] = (await log.consume(OffsetOldest, 1)).messages;
  if (!first) return false;
  try {
    parseEnvelope(first);
    return true;
  } catch {
    return false;
  }
}

/** The stream versions at `offsets`, streams in the order the log first holds them; other messages count as themselves. */
async function eventsAt(log: Log, offsets: Set<number>): Promise<{ count: number; streams: Map<string, number[]> }> {
  const streams = new Map<string, number[]>();
  let count = 0;
  if (offsets.size === 0) return { count, streams };
  let first = Infinity;
  let last = -Infinity;
  for (const o of offsets) {
    first = Math.min(first, o);
    last = Math.max(last, o);
  }
  for (let offset = first; offset <= last;) {
    const { messages, nextOffset } = await log.consume(offset, BATCH);
    for (const message of messages) {
      if (!offsets.has(message.offset)) continue;
      count++;
      const [streamId, version] = streamVersion(message);
      const versions = streams.get(streamId) ?? [];
      if (version !== undefined) versions.push(version);
      streams.set(streamId, versions);
    }
    if (messages.length === 0 || nextOffset <= offset) break;
    offset = nextOffset;
  }
  return { count, streams };
}

function streamVersion(message: Message): [string, number | undefined] {
  try {
    const envelope = parseEnvelope(message);
    return [envelope.streamId, envelope.meta.streamVersion];
  } catch {
    return [message.key === null ? '(no key)' : message.key.toString('utf8'), undefined];
  }
}

function describeStreams(streams: Map<string, number[]>): string {
  const listed = [...streams]
    .slice(0, LISTED_STREAMS)
    .map(([id, versions]) => `${JSON.stringify(id)} ${describeVersions(versions)}`);
  const more = streams.size > LISTED_STREAMS ? `, and ${plural(streams.size - LISTED_STREAMS, 'more stream')}` : '';
  return listed.join(', ') + more;
}

/** "version 3", "versions 1..4", "versions 1..2, 5". */
function describeVersions(versions: number[]): string {
  if (versions.length === 0) return 'messages that are not events';
  const distinct = new Set(versions);
  return `${distinct.size === 1 ? 'version' : 'versions'} ${formatOffsets(distinct)}`;
}
