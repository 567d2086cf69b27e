// What watching costs: `seg-stream <clip> -o overlay.mp4` with `--preview` and a client connected
// against the same run without a preview, interleaved rounds in one process:
//   file mode: fps and peak RSS (the run's own process; the browser is a process of its own);
//   live (a real RTSP server serving the clip at 25 fps, as bench/live-latency.mjs): latency p95.
// The client is headless Chromium on the page (Debian's /usr/bin/chromium via playwright-core), or
// `--client fetch`: a script reading /events and fetching every picture the way the page does, or
// `--client stall`: sockets that ask for events and pictures and never read (plus one that sends nothing).
// The browser stays open (on about:blank) during the rounds without a preview, so both sides share
// the same background. Also saves a screenshot of the page to docs/preview.png.
// Usage: node bench/preview.mjs [--rounds 3] [--client browser|fetch|stall] [--live-seconds 20] [--no-live]
import { spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { benchModel, ffmpegSync, makeClip, root, round, serveRtsp, shared, work } from './lib.mjs';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    client: { type: 'string', default: existsSync('/usr/bin/chromium') ? 'browser' : 'fetch' },
    'live-seconds': { type: 'string', default: '20' },
    'no-live': { type: 'boolean', default: false },
  },
});
const ROUNDS = Number(values.rounds);
const chosen = benchModel();
const bin = path.join(root, 'bin', 'seg-stream.js');
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : round((s[m - 1] + s[m]) / 2);
};

let browser;
if (values.client === 'browser') {
  const { chromium } = await import('playwright-core');
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}
const page = browser && (await browser.newPage({ viewport: { width: 1280, height: 760 } }));

/** A client on the preview at `url` until `stop()`: returns how many pictures it received. */
async function attach(url) {
  if (page) {
    await page.goto(url);
    return {
      async stop() {
        const shown = await page.evaluate(() => Number(document.getElementById('picture')?.dataset.frame ?? -1));
        await page.goto('about:blank');
        return { lastFrameShown: shown };
      },
    };
  }
  if (values.client === 'stall') {
    const { port } = new URL(url);
    const host = `Host: 127.0.0.1:${port}\r\n`;
    const sockets = [
      `GET /events HTTP/1.1\r\n${host}\r\n`,
      `GET /frame.jpg?after=-1 HTTP/1.1\r\n${host}\r\n`.repeat(500),
      '',
    ].map((request) => {
      const s = net.connect({ host: '127.0.0.1', port: Number(port) });
      s.pause();
      s.on('error', () => {});
      s.write(request);
      return s;
    });
    return {
      async stop() {
        for (const s of sockets) s.destroy();
        return { stalledSockets: sockets.length };
      },
    };
  }
  let stopped = false;
  let pictures = 0;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 2 });
  const events = http.get(new URL('/events', url), { agent }, (res) => res.resume());
  events.on('error', () => {});
  (async () => {
    let last = -1;
    while (!stopped) {
      const got = await new Promise((resolve) => {
        http
          .get(new URL(`/frame.jpg?view=overlay&after=${last}`, url), { agent }, (res) => {
            const serial = Number(res.headers['x-picture']);
            res.resume();
            res.on('end', () => resolve(res.statusCode === 200 ? serial : undefined));
          })
          .on('error', () => resolve(null));
      });
      if (got === null) break;
      if (got !== undefined) {
        last = got;
        pictures++;
      }
    }
  })();
  return {
    async stop() {
      stopped = true;
      events.destroy();
      agent.destroy();
      return { pictures };
    },
  };
}

/** One CLI run: its --json summary and what the client saw. */
function runCli(args, preview) {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [bin, ...args, '--json', '-q', '-m', chosen.dir, ...(preview ? ['--preview', '0'] : [])],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    let err = '';
    let client;
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => {
      err += d;
      const m = /preview at (\S+)/.exec(err);
      if (m && !client) client = attach(m[1]);
    });
    child.on('close', async (code) => {
      if (code !== 0) return reject(new Error(`seg-stream exited ${code}: ${err}`));
      const seen = client ? await (await client).stop() : undefined;
      resolve({ summary: JSON.parse(out), seen });
    });
  });
}

// The dashcam clip three times over (stream copy): 663 frames.
const clip = path.join(work, 'preview-drive.mp4');
if (!existsSync(clip))
  ffmpegSync(['-stream_loop', '2', '-i', path.join(shared, 'samples', 'solidWhiteRight.mp4'), '-c', 'copy', clip]);
/** @type {any} */
const results = {
  date: new Date().toISOString(),
  model: chosen.label,
  client: values.client,
  rounds: ROUNDS,
  file: { clip: 'solidWhiteRight.mp4 x3 (663 frames, 960x540, 25 fps)', runs: [] },
  live: undefined,
};

for (let r = 0; r < ROUNDS; r++) {
  for (const preview of r % 2 ? [true, false] : [false, true]) {
    const { summary, seen } = await runCli([clip, '-o', path.join(work, 'preview-overlay.mp4')], preview);
    const row = { round: r, preview, fps: summary.fps, peakRssMB: summary.peakRssMB, frames: summary.frames, seen };
    results.file.runs.push(row);
    console.error(`file ${JSON.stringify(row)}`);
  }
}
const side = (runs, preview, key) => median(runs.filter((x) => x.preview === preview).map((x) => x[key]));
results.file.median = {
  fpsWithout: side(results.file.runs, false, 'fps'),
  fpsWith: side(results.file.runs, true, 'fps'),
  rssWithout: side(results.file.runs, false, 'peakRssMB'),
  rssWith: side(results.file.runs, true, 'peakRssMB'),
};
results.file.median.fpsRatio = round(results.file.median.fpsWith / results.file.median.fpsWithout, 3);
results.file.median.rssRatio = round(results.file.median.rssWith / results.file.median.rssWithout, 3);

if (!values['no-live']) {
  const camera = makeClip('camera-960x540-25fps-preview.mp4', { size: '960x540', fps: 25, frames: 500 });
  const server = await serveRtsp(camera);
  results.live = { source: 'RTSP, 960x540 at 25 fps', seconds: Number(values['live-seconds']), runs: [] };
  try {
    for (let r = 0; r < Math.max(2, ROUNDS - 1); r++) {
      for (const preview of r % 2 ? [true, false] : [false, true]) {
        const { summary, seen } = await runCli(
          [server.url, '-o', path.join(work, 'preview-live.mp4'), '--duration', values['live-seconds']],
          preview,
        );
        const row = {
          round: r,
          preview,
          p50: summary.latencyMs.p50,
          p95: summary.latencyMs.p95,
          frames: summary.frames,
          dropped: summary.droppedFrames,
          peakRssMB: summary.peakRssMB,
          seen,
        };
        results.live.runs.push(row);
        console.error(`live ${JSON.stringify(row)}`);
      }
    }
  } finally {
    server.stop();
  }
  results.live.median = {
    p95Without: side(results.live.runs, false, 'p95'),
    p95With: side(results.live.runs, true, 'p95'),
    droppedWithout: side(results.live.runs, false, 'dropped'),
    droppedWith: side(results.live.runs, true, 'dropped'),
  };
  results.live.median.p95Ratio = round(results.live.median.p95With / results.live.median.p95Without, 3);
}

// The README's picture of the page: a run of the clip, the page a few seconds in.
if (page) {
  await new Promise(
    /** @param {(v?: unknown) => void} resolve */ (resolve, reject) => {
      const child = spawn(
        process.execPath,
        [
          bin,
          clip,
          '--masks',
          path.join(work, 'preview-masks'),
          '--free-space',
          path.join(work, 'preview-free'),
          '--frames',
          '400',
          '-q',
          '-m',
          chosen.dir,
          '--preview',
          '0',
        ],
        { stdio: ['ignore', 'ignore', 'pipe'] },
      );
      let err = '';
      let shot = false;
      child.stderr.on('data', async (d) => {
        err += d;
        const m = /preview at (\S+)/.exec(err);
        if (!m || shot) return;
        shot = true;
        await page.goto(m[1]);
        await page.waitForFunction(
          () => Number(document.getElementById('frames')?.textContent?.split('/')[0]) > 150,
          null,
          { timeout: 120_000 },
        );
        const png = await page.screenshot();
        await sharp(png)
          .resize({ width: 960 })
          .png({ palette: true, colours: 128 })
          .toFile(path.join(root, 'docs', 'preview.png'));
      });
      child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(err))));
    },
  );
}
await browser?.close();

writeFileSync(
  path.join(root, 'bench', 'results', `preview-${values.client}.json`),
  `${JSON.stringify(results, null, 2)}\n`,
);
const m = results.file.median;
console.log(`| file mode (${values.client} client) | without preview | with preview | ratio |`);
console.log('|---|---|---|---|');
console.log(`| fps (median of ${ROUNDS}) | ${m.fpsWithout} | ${m.fpsWith} | ${m.fpsRatio} |`);
console.log(`| peak RSS MB | ${m.rssWithout} | ${m.rssWith} | ${m.rssRatio} |`);
if (results.live) {
  const l = results.live.median;
  console.log(`| live latency p95 ms | ${l.p95Without} | ${l.p95With} | ${l.p95Ratio} |`);
  console.log(`| live dropped frames | ${l.droppedWithout} | ${l.droppedWith} | |`);
}
