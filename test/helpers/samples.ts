// The shared format samples (shared/format beside the repository) and their manifest.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { V1, V2 } from '../../src/index.js';
import type { Options, PublishMessage } from '../../src/index.js';
import { copyDir } from './fs.js';
import type { MessageView } from './messages.js';

// test/helpers (or dist/test/helpers) -> repository root -> ../shared/format
const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, here.includes(`${path.sep}dist${path.sep}`) ? '../../..' : '../..');
export const FORMAT_DIR = process.env.KLEVDB_FORMAT_DIR ?? path.resolve(repoRoot, '../shared/format');

export interface SampleOptions {
  keyIndex: boolean;
  timeIndex: boolean;
  rollover: number;
  version: 'V1' | 'V2';
}

export interface SampleMessage {
  offset: number;
  segment: number;
  position: number;
  size: number;
  time: string;
  unixMicro: number;
  key: string | null;
  value: string | null;
  indexTime?: number;
  keyHash?: string;
}

export interface SampleSegment {
  offset: number;
  log: string;
  index: string | null;
  logVersion: 'V1' | 'V2';
  indexVersion: 'V1' | 'V2' | null;
  logSize: number;
  indexSize: number | null;
  logSha256: string;
  indexSha256: string | null;
}

export interface ExpectedFile {
  file: string;
  size: number;
  sha256: string;
}

export interface SampleExpected {
  check: { ok: boolean; error?: string };
  recover?: {
    noop?: boolean;
    nextOffset?: number;
    keptTotal?: number;
    droppedOffsets?: number[];
    log?: ExpectedFile;
    index?: ExpectedFile & { action: string };
  };
  readErrors?: { offset: number; segment: number; error: string }[];
  reindex?: { files: (ExpectedFile & { segment: number })[] };
}

export interface Sample {
  name: string;
  purpose: string;
  options: SampleOptions;
  phases: { options: SampleOptions; batches: number[] }[];
  messages: SampleMessage[];
  nextOffset: number;
  expected: SampleExpected;
  segments: SampleSegment[];
  files: string[];
}

interface Manifest {
  samples: Sample[];
}

export const manifest: Manifest = JSON.parse(readFileSync(path.join(FORMAT_DIR, 'manifest.json'), 'utf8'));

export const DAMAGED_SAMPLES = ['v2-torn-tail', 'v2-bad-crc', 'v2-bad-crc-nonhead', 'v2-missing-index'];

export function sample(name: string): Sample {
  const s = manifest.samples.find((x) => x.name === name);
  if (!s) throw new Error(`no sample ${name} in the manifest`);
  return s;
}

export const samplePath = (name: string): string => path.join(FORMAT_DIR, name);

/** Copies a sample into dst (samples are read-only: open creates .lock and may reindex). */
export function copySample(name: string, dst: string): Promise<void> {
  return copyDir(samplePath(name), dst);
}

/** The library options for a sample's (or a phase's) options. */
export function toOptions(o: SampleOptions, extra: Options = {}): Options {
  return {
    keyIndex: o.keyIndex,
    timeIndex: o.timeIndex,
    rollover: o.rollover,
    version: { newSegmentsVersion: o.version === 'V1' ? V1 : V2 },
    ...extra,
  };
}

const b64 = (s: string | null): Buffer | null => (s === null ? null : Buffer.from(s, 'base64'));

/** What the library must return for a manifest message. */
export function sampleView(m: SampleMessage): MessageView {
  return {
    offset: m.offset,
    timeMicros: m.unixMicro,
    key: b64(m.key)?.toString('hex') ?? null,
    value: b64(m.value)?.toString('hex') ?? null,
  };
}

/** The publish form of a manifest message (bytes and exact time). */
export function samplePublish(m: SampleMessage): PublishMessage {
  return { key: b64(m.key), value: b64(m.value), timeMicros: m.unixMicro };
}
