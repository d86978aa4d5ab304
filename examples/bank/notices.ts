// What the command side reports besides its events: optimistic-concurrency
// conflicts (then retried) and rejected commands. The feed prints them
// between the events.
import { Subject } from 'rxjs';

export type Notice =
  | { kind: 'conflict'; streamId: string; expected: number | string; actual: number }
  | { kind: 'rejected'; streamId: string; command: string; reason: string };

export class Notices extends Subject<Notice> {}
