/**
 * What a projection store calls things in JetStream, under its prefix P:
 *
 *   stream P-catalog            subjects P.catalog.<key>, one record per key (the newest):
 *                                 "current/<name>"  the generation in use, e.g. "3"
 *                                 "owner/<name>"    the runner holding the projection
 *   stream P-<name>-g3-state          its state log        (subjects P.gen.<name>.g3.state.<key>)
 *   stream P-<name>-g3-dead-letter    its dead-letter log  (subjects P.gen.<name>.g3.dead-letter.<key>)
 *   subject P.owner.<id>        where a holder answers "still here"
 *
 * A projection name may hold '.', which neither a stream name nor a subject
 * token may: it is written '~' there (never in a name, so no two names meet).
 */
import { invalidArgument, describeValue } from '../storage/backend-kit.js';

/** A stream and the subject prefix of its log (see openJetStream). */
export interface StreamPlace {
  stream: string;
  subjectPrefix: string;
}

export interface GenerationPlaces {
  state: StreamPlace;
  deadLetter: StreamPlace;
}

const PREFIX = /^[A-Za-z0-9_-]{1,64}$/;
/** A projection name as definitions allow it: no '~', so the '.' → '~' spelling below never meets another name. */
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

export function checkProjectionName(name: string, v: unknown): string {
  if (typeof v !== 'string' || !NAME.test(v)) {
    throw invalidArgument(
      `${name} must be a projection name (1 to 100 letters, digits, '.', '_' or '-'), got ${describeValue(v)}`,
    );
  }
  return v;
}

export function checkStorePrefix(name: string, v: unknown): string {
  if (typeof v !== 'string' || !PREFIX.test(v)) {
    throw invalidArgument(
      `${name} must be 1 to 64 letters, digits, '_' or '-' (it starts stream names and subjects), got ${describeValue(v)}`,
    );
  }
  return v;
}

export class ProjectionNames {
  readonly catalog: StreamPlace;

  constructor(readonly prefix: string) {
    this.catalog = { stream: `${prefix}-catalog`, subjectPrefix: `${prefix}.catalog` };
  }

  pointerKey(projection: string): string {
    return `current/${projection}`;
  }

  ownerKey(projection: string): string {
    return `owner/${projection}`;
  }

  ownerSubject(owner: string): string {
    return `${this.prefix}.owner.${owner}`;
  }

  generation(projection: string, id: number): GenerationPlaces {
    const token = tokenOf(projection);
    const place = (log: string): StreamPlace => ({
      stream: `${this.prefix}-${token}-g${id}-${log}`,
      subjectPrefix: `${this.prefix}.gen.${token}.g${id}.${log}`,
    });
    return { state: place('state'), deadLetter: place('dead-letter') };
  }

  /** Subjects of every generation of `projection`: the streams holding them are its generations. */
  generationsFilter(projection: string): string {
    return `${this.prefix}.gen.${tokenOf(projection)}.>`;
  }

  /** The generation a stream of `projection` belongs to; undefined for a stream that is not one of its generations. */
  generationOf(projection: string, stream: string): number | undefined {
    const head = `${this.prefix}-${tokenOf(projection)}-g`;
    if (!stream.startsWith(head)) return undefined;
    const id = /^(\d+)-(?:state|dead-letter)$/.exec(stream.slice(head.length))?.[1];
    return id === undefined ? undefined : Number(id);
  }
}

const tokenOf = (projection: string): string => projection.replaceAll('.', '~');
