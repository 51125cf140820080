// `npm run bench` (quick) or `npm run bench -- --full`; `--only=fan-out,chat` picks scenarios.
// Starts the app and its baselines itself, on loopback, prints one table, writes JSON to bench/results/.
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { round } from './lib/stats.mjs';
import { ROOT } from './lib/procs.mjs';

const args = process.argv.slice(2);
const full = args.includes('--full');
const only = args.find((a) => a.startsWith('--only='))?.slice('--only='.length).split(',');
const scenarioFiles = ['fanout', 'connections', 'scale-out', 'chat', 'cross-instance', 'ordered-stream', 'push-vs-polling'];

const build = spawnSync(process.execPath, [join(ROOT, 'scripts', 'build-if-needed.mjs')], { stdio: 'inherit', cwd: ROOT });
if (build.status !== 0) process.exit(build.status ?? 1);

const results = { startedAt: new Date().toISOString(), mode: full ? 'full' : 'quick', node: process.version, scenarios: {} };
const table = [];
for (const file of scenarioFiles) {
  const scenario = await import(`./scenarios/${file}.mjs`);
  if (only && !only.includes(scenario.name)) continue;
  process.stderr.write(`[bench] ${scenario.name}…\n`);
  const started = Date.now();
  try {
    const result = await scenario.run({ full });
    result.seconds = round((Date.now() - started) / 1000, 1);
    results.scenarios[scenario.name] = result;
    for (const [metric, app, baseline, note] of result.rows) {
      table.push({ scenario: scenario.name, metric, app: round(app), baseline: round(baseline), ratio: ratioOf(app, baseline), note: note ?? '' });
    }
  } catch (err) {
    results.scenarios[scenario.name] = { error: err.message };
    table.push({ scenario: scenario.name, metric: 'error', app: err.message, baseline: '', ratio: '', note: '' });
  }
}

const header = ['scenario', 'metric', 'app', 'baseline', 'ratio', 'note'];

/** app / baseline; none where the baseline is 0 (a count of errors, a delay the baseline does not have). */
function ratioOf(app, baseline) {
  return typeof app === 'number' && typeof baseline === 'number' && baseline !== 0 ? round(app / baseline) : '';
}
const widths = header.map((h) => Math.max(h.length, ...table.map((r) => String(r[h]).length)));
const line = (cells) => `| ${cells.map((c, i) => String(c).padEnd(widths[i])).join(' | ')} |`;
console.log(line(header));
console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
for (const row of table) console.log(line(header.map((h) => row[h])));

mkdirSync(join(ROOT, 'bench', 'results'), { recursive: true });
const file = join(ROOT, 'bench', 'results', `bench-${results.mode}-${results.startedAt.replace(/[:.]/g, '-')}.json`);
writeFileSync(file, JSON.stringify({ ...results, table }, null, 2));
console.log(`\nJSON: ${file}`);
