// Preloaded (`node -r`) into a seg-stream run by bench/ab.mjs; Node runs it in every JavaScript
// thread (workers inherit the preload). Each thread appends its OS thread id and role to the file
// named by $SEGSTREAM_AB_THREADS, so the per-thread CPU read from /proc can be attributed:
// `main`, `inference` (the engine thread: its workerData holds the model and engine name) or
// `workers` (the piscina pre/post-processing threads). At exit the main thread appends a last
// reading of every live thread and of the waited-for children (ffmpeg), so nothing that ran after
// the sampler's last look is lost.
'use strict';
const file = process.env.SEGSTREAM_AB_THREADS;
if (file) {
  const fs = require('node:fs');
  const { isMainThread, workerData } = require('node:worker_threads');
  const tid = fs.readlinkSync('/proc/thread-self').split('/').pop();
  const engineThread =
    workerData !== null && typeof workerData === 'object' && 'model' in workerData && 'engine' in workerData;
  const role = isMainThread ? 'main' : engineThread ? 'inference' : 'workers';
  fs.appendFileSync(file, `thread ${tid} ${role}\n`);
  if (isMainThread) {
    process.on('exit', () => {
      const ticks = (stat) => stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const lines = [];
      for (const t of fs.readdirSync('/proc/self/task')) {
        try {
          const f = ticks(fs.readFileSync(`/proc/self/task/${t}/stat`, 'utf8'));
          lines.push(`final ${t} ${Number(f[11]) + Number(f[12])}`);
        } catch {
          // the thread ended meanwhile
        }
      }
      const f = ticks(fs.readFileSync('/proc/self/stat', 'utf8'));
      lines.push(`process ${Number(f[11]) + Number(f[12])} ${Number(f[13]) + Number(f[14])}`);
      fs.appendFileSync(file, `${lines.join('\n')}\n`);
    });
  }
}
