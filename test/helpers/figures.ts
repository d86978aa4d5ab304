// Figures the reliability tests report for `npm run torture` (test/torture/run.ts):
// with KLEVDB_FIGURES naming a file, each figure is appended to it as a line
// of JSON; without it (plain `npm test`) nothing is written.
import { appendFileSync } from 'node:fs';

export interface Figure {
  area: string;
  what: string;
  value: number;
}

export function reportFigure(area: string, what: string, value: number): void {
  const file = process.env.KLEVDB_FIGURES;
  if (file) appendFileSync(file, `${JSON.stringify({ area, what, value } satisfies Figure)}\n`);
}

/** Reports how many tests of `suite` (and the suites in it) passed, from its `after` hook. */
export function reportPassedTests(suite: Mocha.Suite, area: string, what: string): void {
  const passed = (s: Mocha.Suite): number =>
    s.tests.filter((t) => t.state === 'passed').length + s.suites.reduce((n, c) => n + passed(c), 0);
  reportFigure(area, what, passed(suite));
}
