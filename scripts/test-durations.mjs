// Writes test/setup/durations.json (seconds per spec file, "<project> <path>") for test/setup/sequencer.mjs from the
// output of a whole `npm test` run: `npm test 2>&1 | tee /tmp/test.log; node scripts/test-durations.mjs /tmp/test.log`.
// Take a run of every project at once on the kind of machine CI uses, so the figures include the contention. Jest
// prints a file's time only past its slow threshold (5 s); the others count as 2 s.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const FAST_SECONDS = 2;
const table = {};
for (const line of readFileSync(process.argv[2], 'utf8').split('\n')) {
  // "<PASS|FAIL> <project> <file>": Jest's summary repeats a failed file without its project, which does not match.
  const match = /^(?:PASS|FAIL) +(\S+) (\S+\.[cm]?[jt]sx?)(?: \(([\d.]+) s\))?/.exec(line);
  if (match) table[`${match[1]} ${match[2]}`] = match[3] ? Math.round(Number(match[3]) * 10) / 10 : FAST_SECONDS;
}
const sorted = Object.fromEntries(Object.entries(table).sort(([a], [b]) => a.localeCompare(b)));
const target = join(import.meta.dirname, '..', 'test', 'setup', 'durations.json');
writeFileSync(target, `${JSON.stringify(sorted, null, 1)}\n`);
console.log(`${Object.keys(sorted).length} spec files written to test/setup/durations.json`);
