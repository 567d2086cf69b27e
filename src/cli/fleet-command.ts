/**
 * Fleet commands: `seg-stream queue add`, `seg-stream queue status` and `seg-stream worker`.
 */
import { readFileSync } from 'node:fs';
import { ErrorCodes, SegStreamError } from '../errors.js';
import { enqueue, type EnqueuedJob } from '../fleet/enqueue.js';
import type { JobRunOptions } from '../fleet/jobs.js';
import { fleetStatus, type FleetStatus } from '../fleet/status.js';
import { FLEET_LOCK_DEFAULTS, startWorker, type FleetWorker, type WorkerEvent } from '../fleet/worker.js';
import { redact } from '../process/redact.js';
import { resolveFolderOptions, resolveVideoOptions } from '../runs/public.js';
import { choiceFlag, commonRunFlags, intFlag, numberFlag, parseCommandLine, pickFlags, stringFlag } from './args.js';
import type { CliIo } from './io.js';
import { flagsIn, sayFlag } from './option-flags.js';
import { withStopSignals, withStopSteps } from './signals.js';
import { SMOOTH_FLAG, expandSmooth, smoothFlag } from './smooth-flag.js';

const REDIS_FLAG = { redis: { type: 'string' } } as const;

const QUEUE_HELP = `seg-stream queue — share work between machines through Redis (BullMQ)

Usage:
  seg-stream queue add <inputs...> --redis URL [outputs] [options]
  seg-stream queue status --redis URL [--watch] [--json]

Inputs: video files, quoted globs ('/logs/**/*.mp4'), frame folders and datasets (one job per
sequence; --recursive for every sequence below), camera URLs (rtsp://, with --live).
Outputs take templates so every input gets its own: {stem} (file name without extension),
{name} (file name), {sequence} (a dataset's sequence id):
  -o, --output FILE      overlay video, e.g. '/out/{stem}.mp4'
  --masks DIR            class-id PNGs, e.g. '/out/{stem}/masks'
  --free-space DIR       free-space PNGs
  --stats FILE.jsonl     per-frame stats (videos)
  --log-out FILE.mcap    driving logs (MCAP, ROS 1 bags; one job per log), e.g. '/out/{stem}.seg.mcap'
  --kitti-road DIR, --free-space-json FILE   frame folders (one JSONL for a whole dataset)
  --chunk DURATION       cut long videos at key frames (driving logs: by log time) into parts of
                         about DURATION (90, 90s, 5m, 1h) run by different workers, then joined
                         (equal to one run)
  --segment-time S       live cameras: the recording in S-second files (default 60)
Run options as for a local run: --model --batch --alpha --classes --palette --legend --crf --preset
--frames --duration --no-audio --pad-even --smooth --fps --no-score --rtsp-transport --timeout
--no-drop; --ego-mask FILE (checked at add time; auto is for local runs)
  --attempts N           attempts of a job that fails with a transient error (default 3)
  --json                 print the jobs as JSON

Adding the same work twice adds nothing (job ids come from the input and the options);
work whose outputs were deleted since runs again. An output that exists already and is not
the job's own is never replaced: the add is refused.`;

const WORKER_HELP = `seg-stream worker — run fleet jobs from Redis

Usage:
  seg-stream worker --redis URL [options]

  --concurrency N        jobs at once (default 1: one job already uses every core)
  --engine onnx|tfjs     inference engine (default onnx)
  --device NAME          cpu (default), webgpu (GPU through Vulkan/Metal/D3D12, onnx engine) or cuda
  --threads N, --workers N   per job, as for a local run
  --queues files,live    which queues to serve (default both)
  --cameras FILE         JSON {"rtsp://cam-07/stream": "rtsp://user:pass@cam-07/stream"}: the full
                         URLs (with credentials) of cameras; also SEGSTREAM_CAMERAS (the same JSON)
  --lock-duration S      a job's lock without renewal (default ${FLEET_LOCK_DEFAULTS.lockDurationMs / 1000} s)
  --stalled-interval S   how often to look for jobs of dead workers (default ${FLEET_LOCK_DEFAULTS.stalledIntervalMs / 1000} s)
  --json                 one JSON line per event on stdout

A killed worker's job is taken over by another worker within about lock-duration +
stalled-interval. SIGTERM or Ctrl-C: finish the jobs running now (live cameras are handed back),
then exit 0; a second one: hand every job back to the queue at once; a third aborts (exit 130).`;

function durationFlag(values: Record<string, string | boolean | undefined>, name: string): number | undefined {
  const raw = values[name];
  if (raw === undefined) return undefined;
  const m = typeof raw === 'string' ? /^(\d+(?:\.\d+)?)(s|m|h)?$/.exec(raw.trim()) : null;
  const seconds = m ? Number(m[1]) * { s: 1, m: 60, h: 3600 }[(m[2] ?? 's') as 's' | 'm' | 'h'] : NaN;
  if (!(seconds > 0))
    throw new SegStreamError(
      ErrorCodes.USAGE,
      `Expected a duration such as 90, 90s, 5m or 1h for --${name} but received ${JSON.stringify(raw)}`,
    );
  return seconds;
}

function redisFlag(values: Record<string, string | boolean | undefined>): string {
  const url = stringFlag(values, 'redis') ?? process.env.SEGSTREAM_REDIS;
  if (!url)
    throw new SegStreamError(ErrorCodes.USAGE, 'give the queue with --redis redis://host:6379 (or SEGSTREAM_REDIS)');
  return url;
}

/** `seg-stream queue ...` */
export async function runQueueCommand(argv: string[], io: CliIo): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === 'add') return queueAdd(rest, io);
  if (sub === 'status') return queueStatus(rest, io);
  if (sub === undefined || sub === '--help' || sub === '-h') {
    io.stdout.write(`${QUEUE_HELP}\n`);
    return sub === undefined ? 2 : 0;
  }
  throw new SegStreamError(
    ErrorCodes.USAGE,
    `unknown queue command ${JSON.stringify(sub)}: use queue add or queue status`,
  );
}

async function queueAdd(argv: string[], io: CliIo): Promise<number> {
  const flags = {
    ...pickFlags(
      'output',
      'masks',
      'free-space',
      'stats',
      'kitti-road',
      'free-space-json',
      'frames',
      'duration',
      'segment-time',
      'model',
      'batch',
      'alpha',
      'classes',
      'palette',
      'ego-mask',
      'legend',
      'crf',
      'preset',
      'no-audio',
      'pad-even',
      'fps',
      'no-score',
      'rtsp-transport',
      'timeout',
      'no-drop',
      'live',
      'json',
      'help',
      'debug',
    ),
    ...REDIS_FLAG,
    ...SMOOTH_FLAG,
    chunk: { type: 'string' },
    'log-out': { type: 'string' },
    recursive: { type: 'boolean' },
    attempts: { type: 'string' },
  } as const;
  const { values, positionals } = parseCommandLine(expandSmooth(argv), flags);
  if (values.help) {
    io.stdout.write(`${QUEUE_HELP}\n`);
    return 0;
  }
  const options = jobRunOptions(values);
  // The options are checked here, once, as a local run would check them: a bad value fails the add, not a thousand jobs.
  resolveVideoOptions({ ...options, input: 'x', output: 'x.mp4' });
  resolveFolderOptions({ ...options, input: 'x', masks: 'x' });
  const jobs = await enqueue({
    redis: redisFlag(values),
    inputs: positionals,
    output: stringFlag(values, 'output'),
    masks: stringFlag(values, 'masks'),
    freeSpace: stringFlag(values, 'free-space'),
    stats: stringFlag(values, 'stats'),
    kittiRoad: stringFlag(values, 'kitti-road'),
    freeSpaceJson: stringFlag(values, 'free-space-json'),
    logOut: stringFlag(values, 'log-out'),
    recursive: values.recursive === true,
    live: values.live === true ? true : undefined,
    chunkSeconds: durationFlag(values, 'chunk'),
    attempts: intFlag(values, 'attempts', 0),
    options,
  }).catch((err: unknown) => {
    throw sayFlag(err, 'recursive', 'add --recursive');
  });
  if (values.json) io.stdout.write(`${JSON.stringify({ jobs })}\n`);
  else {
    const said = {
      added: 'added',
      exists: 'already queued',
      done: 'already done',
      retried: 'queued again (it had failed)',
    } as const;
    for (const j of jobs)
      io.stderr.write(
        `seg-stream: ${said[j.state]} ${j.id} ${j.kind} ${j.input}${j.sequence ? ` (${j.sequence || 'frames'})` : ''}\n`,
      );
    const added = jobs.filter((j) => j.state === 'added' || j.state === 'retried').length;
    const count = (state: EnqueuedJob['state']) => jobs.filter((j) => j.state === state).length;
    io.stderr.write(
      `seg-stream: ${added} job(s) added, ${count('exists')} already queued, ${count('done')} already done\n`,
    );
  }
  return 0;
}

/** The run options every queued job carries, from the flags of `queue add`. */
function jobRunOptions(values: Record<string, string | boolean | undefined>): JobRunOptions {
  const common = commonRunFlags(values);
  return prune({
    model: common.model,
    batch: common.batch,
    alpha: common.alpha,
    classes: common.classes,
    palette: stringFlag(values, 'palette'),
    egoMask: stringFlag(values, 'ego-mask'),
    legend: values.legend === true ? true : undefined,
    crf: common.crf,
    preset: common.preset,
    smooth: smoothFlag(values),
    audio: values['no-audio'] ? false : undefined,
    frames: intFlag(values, 'frames'),
    duration: numberFlag(values, 'duration'),
    padToEven: values['pad-even'] === true ? true : undefined,
    fps: numberFlag(values, 'fps'),
    score: values['no-score'] ? false : undefined,
    segmentTime: numberFlag(values, 'segment-time'),
    rtspTransport: choiceFlag(values, 'rtsp-transport', ['tcp', 'udp'] as const),
    timeoutMs: values.timeout === undefined ? undefined : durationFlag(values, 'timeout')! * 1000,
    noDrop: values['no-drop'] === true ? true : undefined,
  });
}

async function queueStatus(argv: string[], io: CliIo): Promise<number> {
  const { values } = parseCommandLine(argv, {
    ...REDIS_FLAG,
    watch: { type: 'boolean' },
    json: { type: 'boolean' },
    limit: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
    debug: { type: 'boolean' },
  });
  if (values.help) {
    io.stdout.write(`${QUEUE_HELP}\n`);
    return 0;
  }
  const redis = redisFlag(values);
  const limit = intFlag(values, 'limit', 0);
  if (!values.watch) {
    const status = withFlagsInStatus(await fleetStatus({ redis, limit }));
    io.stdout.write(values.json ? `${JSON.stringify(status)}\n` : `${statusText(status)}\n`);
    return 0;
  }
  const tty = io.stdout.isTTY === true;
  await withStopSignals(io, 'stopping', async (stopped) => {
    while (!stopped.aborted) {
      const status = withFlagsInStatus(await fleetStatus({ redis, limit }));
      if (values.json) io.stdout.write(`${JSON.stringify(status)}\n`);
      else io.stdout.write(`${tty ? '\x1b[H\x1b[2J' : ''}${statusText(status)}\n${tty ? '' : '\n'}`);
      for (let waited = 0; waited < 2000 && !stopped.aborted; waited += 100)
        await new Promise((r) => setTimeout(r, 100));
    }
  });
  return 0;
}

/** The status with the failed jobs' messages naming flags, not options (`context.option` keeps the option). */
function withFlagsInStatus(s: FleetStatus): FleetStatus {
  return {
    ...s,
    jobs: s.jobs.map((j) => (j.error ? { ...j, error: { ...j.error, message: flagsIn(j.error.message) } } : j)),
  };
}

/** The status as a terminal table. */
export function statusText(s: FleetStatus): string {
  const c = s.counts;
  const lines = [
    `jobs: ${c.active} active, ${c.waiting + c.prioritized + c.delayed} waiting, ${c['waiting-children']} waiting for parts, ${c.completed} done, ${c.failed} failed`,
    `frames: ${s.frames}${s.total ? ` of ${s.total}` : ''}, ${s.fps.toFixed(1)} fps${s.etaSeconds !== undefined ? `, ETA ${clock(s.etaSeconds)}` : ''}; workers busy: ${s.workers.length}`,
  ];
  const shown = s.jobs.filter((j) => j.state !== 'completed').slice(0, 50);
  for (const j of shown) {
    const what = `${j.input}${j.sequence ? ` [${j.sequence || 'frames'}]` : ''}`;
    const frames = `${j.frames}${j.total ? `/${j.total}` : ''}`;
    const extra =
      j.state === 'failed'
        ? ` ${j.error?.code}: ${j.error?.message}`
        : j.state === 'active'
          ? ` ${j.fps?.toFixed(1) ?? '-'} fps${j.etaSeconds !== undefined ? ` ETA ${clock(j.etaSeconds)}` : ''}${j.dropped ? ` ${j.dropped} dropped` : ''} on ${j.worker ?? '?'}`
          : '';
    lines.push(`  ${j.state.padEnd(16)} ${j.kind.padEnd(8)} ${frames.padStart(11)} ${what}${extra}`);
  }
  if (s.jobs.filter((j) => j.state !== 'completed').length > shown.length) lines.push(`  … (--json lists every job)`);
  return lines.join('\n');
}

const clock = (s: number) =>
  `${Math.floor(s / 3600)}:${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}:${String(Math.floor(s % 60)).padStart(2, '0')}`;

/** `seg-stream worker ...` */
export async function runWorkerCommand(argv: string[], io: CliIo): Promise<number> {
  const { values } = parseCommandLine(argv, {
    ...pickFlags('engine', 'device', 'threads', 'workers', 'json', 'quiet', 'help', 'debug'),
    ...REDIS_FLAG,
    concurrency: { type: 'string' },
    queues: { type: 'string' },
    cameras: { type: 'string' },
    'lock-duration': { type: 'string' },
    'stalled-interval': { type: 'string' },
    name: { type: 'string' },
  });
  if (values.help) {
    io.stdout.write(`${WORKER_HELP}\n`);
    return 0;
  }
  const common = commonRunFlags(values);
  const queues = stringFlag(values, 'queues')
    ?.split(',')
    .map((q) => q.trim());
  if (queues && !queues.every((q) => q === 'files' || q === 'live'))
    throw new SegStreamError(
      ErrorCodes.USAGE,
      `Expected files, live or files,live for --queues but received ${JSON.stringify(values.queues)}`,
    );
  const json = values.json === true;
  const log = (event: WorkerEvent) => {
    const e = event.type === 'failed' ? { ...event, message: flagsIn(event.message) } : event;
    if (json) io.stdout.write(`${JSON.stringify({ ...e, at: new Date().toISOString() })}\n`);
    else if (!values.quiet || e.type === 'failed' || e.type === 'redis')
      io.stderr.write(`seg-stream worker: ${eventText(e)}\n`);
  };
  // The stop policy holds from the first moment: a signal during start-up (the staging sweep) stops the worker once it is up.
  let worker: FleetWorker | undefined;
  let requested: 'finish' | 'hand-back' | undefined;
  let resolveStop!: () => void;
  const stopped = new Promise<void>((r) => (resolveStop = r));
  const stop = (how: 'finish' | 'hand-back') => {
    requested = how;
    void worker?.close(how).then(resolveStop);
  };
  const steps = [
    {
      say: (signal: string) =>
        `seg-stream worker: ${signal}: finishing the jobs running now (again to hand them back)\n`,
      act: () => stop('finish'),
    },
    {
      say: (signal: string) =>
        `seg-stream worker: ${signal} again: handing the jobs back to the queue (again to abort)\n`,
      act: () => stop('hand-back'),
    },
  ];
  return withStopSteps(io, steps, async () => {
    worker = await startWorker({
      redis: redisFlag(values),
      concurrency: intFlag(values, 'concurrency', 0),
      engine: common.engine,
      device: common.device,
      threads: common.threads,
      workers: common.workers,
      queues: queues,
      cameras: camerasOf(stringFlag(values, 'cameras')),
      lockDurationMs: values['lock-duration'] === undefined ? undefined : durationFlag(values, 'lock-duration')! * 1000,
      stalledIntervalMs:
        values['stalled-interval'] === undefined ? undefined : durationFlag(values, 'stalled-interval')! * 1000,
      name: stringFlag(values, 'name'),
      onEvent: log,
    });
    if (requested) stop(requested);
    await stopped;
    return 0;
  });
}

function eventText(e: WorkerEvent): string {
  switch (e.type) {
    case 'ready':
      return `${e.name} waiting for jobs`;
    case 'active':
      return `started ${e.jobId} (${e.kind}) ${e.input}`;
    case 'completed':
      return e.alreadyDone
        ? `${e.jobId} was already done`
        : `finished ${e.jobId}: ${e.frames} frames, ${e.fps.toFixed(1)} fps`;
    case 'failed':
      return `${e.jobId} failed: ${e.code}: ${e.message}${e.willRetry ? ' (will retry)' : ''}`;
    case 'lock-lost':
      return `${e.jobId}: lock lost (another worker took the job over); partial outputs discarded`;
    case 'handed-back':
      return `${e.jobId} handed back to the queue`;
    case 'swept':
      return `removed stale staging ${e.dir}`;
    case 'redis':
      return e.state === 'lost' ? (e.message ?? 'Redis connection lost') : 'Redis connection back';
  }
}

/** Camera URLs with credentials, from --cameras FILE or SEGSTREAM_CAMERAS (JSON object). */
function camerasOf(file: string | undefined): Record<string, string> | undefined {
  let text: string | undefined;
  try {
    text = file ? readFileSync(file, 'utf8') : process.env.SEGSTREAM_CAMERAS;
  } catch (cause) {
    throw new SegStreamError(ErrorCodes.USAGE, `cannot read --cameras ${file}: ${(cause as Error).message}`, { cause });
  }
  if (!text) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (cause) {
    throw new SegStreamError(
      ErrorCodes.USAGE,
      `${file ? `--cameras ${file}` : 'SEGSTREAM_CAMERAS'} is not JSON: ${redact((cause as Error).message)}`,
      { cause },
    );
  }
  if (!parsed || typeof parsed !== 'object' || !Object.values(parsed).every((v) => typeof v === 'string')) {
    throw new SegStreamError(
      ErrorCodes.USAGE,
      `${file ? `--cameras ${file}` : 'SEGSTREAM_CAMERAS'} must be a JSON object of camera URL (no credentials) → full URL`,
    );
  }
  return parsed as Record<string, string>;
}

function prune<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}
