// Runs every benchmark scenario in turn; each writes its results to bench/results/.
// The A/B (bench/ab.mjs) compares this tree with the commit before the run core (0dee18e; there is
// no release tag yet) on the 884-frame dashcam loop, with the pipeline-vs-bound figure at the
// run's own network size; `npm run bench -- --baseline COMMIT` compares with another commit.
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { baseline: { type: 'string', default: '0dee18e' } } });
const here = path.dirname(fileURLToPath(import.meta.url));
const scenarios = [
  ['model-speed.mjs'],
  ['video-e2e.mjs'],
  ['ab.mjs', '--baseline', values.baseline, '--out', 'ab.json'],
  ['memory-long-run.mjs'],
  ['live-latency.mjs'],
  ['frames-folder.mjs'],
];
for (const [script, ...args] of scenarios) {
  console.log(`\n## ${script} ${args.join(' ')}`);
  execFileSync(process.execPath, [path.join(here, script), ...args], { stdio: 'inherit' });
}
