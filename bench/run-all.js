// Runs every benchmark scenario in turn; each writes its results to bench/results/.
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
for (const script of ['model-speed.mjs', 'video-e2e.mjs', 'memory-long-run.mjs', 'live-latency.mjs', 'frames-folder.mjs']) {
  console.log(`\n## ${script}`);
  execFileSync(process.execPath, [path.join(here, script)], { stdio: 'inherit' });
}
