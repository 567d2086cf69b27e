/**
 * The `seg-stream` command. Maps every error to one line
 * `seg-stream: SEGSTREAM_ERR_<CODE>: <what happened and what to do>` and an exit code
 * (2 for wrong usage, 1 otherwise); a stack trace only with --debug.
 */
import { inspect } from 'node:util';
import type { EgoMaskSummary } from '../render/ego-mask-source.js';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { resolveFfmpeg } from '../process/binaries.js';
import { describeBinaries } from '../process/describe-binaries.js';
import { ErrorCodes, SegStreamError, exitCodeFor, toSegStreamError } from '../errors.js';
import { withFlags } from './option-flags.js';
import { describeEngines } from '../infer/engine.js';
import { segmentVideo } from '../runs/video/segment-video.js';
import { resolveVideoOptions } from '../runs/video/options.js';
import { redact } from '../process/redact.js';
import { RUN_FLAGS, commonRunFlags, choiceFlag, intFlag, numberFlag, parseCommandLine, stringFlag } from './args.js';
import { runModelsCommand } from './models-command.js';
import type { CliIo } from './io.js';
import { terminalProgress } from './progress.js';
import { ABORT_EXIT_CODE, isAborting, releaseHungUpTerminal, withStopSignals } from './signals.js';
import { damageWarning } from './damage-warning.js';
import { startPreview, watched } from './preview-flags.js';
import { isLiveUrl } from '../ingest/live/args.js';
import { SMOOTH_FLAG, SMOOTH_HELP, expandSmooth, smoothFlag } from './smooth-flag.js';
import { networkInputText } from '../infer/input-size.js';

/** The package version. */
export function packageVersion(): string {
  const file = fileURLToPath(new URL('../../package.json', import.meta.url));
  return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
}

const HELP = `seg-stream — semantic segmentation of driving video

Usage:
  seg-stream <input> -o <overlay.mp4> [options]     overlay video of a video file
  seg-stream <input> --masks <dir> --free-space <dir> [options]
  seg-stream rtsp://camera/stream -o live.mp4 --free-space <dir> [options]
  seg-stream <frames-dir|glob> --masks <dir> [options]   frame folders / datasets (KITTI, CamVid, Cityscapes)
  seg-stream batch <root> --masks <dir> [options]   every sequence below root (see seg-stream batch --help)
  seg-stream models [--json]                        list built-in models
  seg-stream topics <log.mcap|log.bag> [--json]     camera topics of a driving log: type, encoding, count, size, rate, span
  seg-stream eval <dataset-dir> [options]           mIoU, per-class IoU, fps on a labelled dataset
  seg-stream queue add <inputs...> --redis URL -o '/out/{stem}.mp4'   fleet: queue work in Redis
  seg-stream worker --redis URL                     fleet: run queued jobs (see queue --help)

Outputs (any combination):
  -o, --output FILE      overlay video (H.264 yuv420p, faststart, source fps/size/audio)
  --masks DIR            class-id PNG per frame (8-bit, pixel = class index), 000000.png...
  --free-space DIR       0/255 PNG per frame of the model's drivable classes
  --frames N             stop after N frames (outputs are still finished)
  --duration S           stop after S seconds (source time for files; for streams, from the
                         first frame: connecting does not count, --timeout bounds it)
  --stats FILE.jsonl     one JSON line per frame: index, timestamps, latency, drops so far
  --segment-time S       cut the overlay into S-second files: out-00000.mp4, out-00001.mp4, ...

Frame folders and datasets (a folder, a glob, KITTI raw/semantics/road, CamVid, Cityscapes):
  --masks / --free-space DIR   PNGs named after each frame (<stem>.png), at the frame's own size
  --kitti-road DIR       8-bit road confidence PNGs, KITTI road naming (um_road_000000.png)
  --free-space-json F    JSONL: per frame, free-space boundary row per column + free fraction
  -o FILE --fps N        overlay video of the sequence (default 10 fps, KITTI's rate)
  --overwrite            redo every frame (default: frames whose outputs exist are skipped)
  --manifest FILE        run manifest (default: manifest.json in the first output folder)
  --no-score             do not score against ground truth found in the dataset

Driving logs (MCAP, ROS 1 .bag; every camera topic in one run; {topic} in a path = the topic, / -> _):
  --log-out FILE         write class_ids/free_space images back as a log (.mcap, or .bag: ROS 1), next to each camera
  --log-overlay          also write T/seg/overlay (JPEG) into it;  --log-copy-all: copy other topics
  --topics A,B           camera topics to segment (default: all)

Live streams (rtsp://, rtsps://, http(s)://; an http(s):// file with a duration is read as a file):
  --rtsp-transport tcp|udp   RTP transport (default tcp)
  --timeout S                connect/read timeout in seconds (default 5)
  --reconnect-max N          failed reconnection attempts before giving up (default: keep trying)
  --reconnect-delay S        first retry delay in seconds, doubling up to 8 (default 0.5)
  --no-drop                  keep every frame and accept lag (default: the newest frame wins)
  --live | --no-live         read a URL as a live stream | as a finite file (default: http(s)://
                             is a file when ffprobe finds a duration, else live; rtsp:// is live)

Model and engine:
  -m, --model NAME|DIR   built-in model name or a model folder with model.json (default: camvid-default)
  --engine onnx|tfjs     inference engine (default onnx)
  --device NAME          cpu (default), webgpu (GPU through Vulkan/Metal/D3D12, onnx engine) or cuda
  --batch N              frames per inference call (default 1)
  --threads N            CPU inference threads (default: cores - 1, at least 1)
  --workers N            pre-/post-processing worker threads (default: cores)

Overlay and encoding:
  --alpha A              overlay opacity 0..1 (default 0.5)
  --classes LIST         all | road,vehicle,free-space | class names (default road,vehicle)
  --palette P            roles (default: road blue, vehicles orange, colour-blind safe) | camvid
                         (the model card's colours) | FILE.json (docs/overlay.md)
  --ego-mask FILE|auto   the car's own bonnet/body: a 0/255 PNG at the source size, or auto (found
                         in the first 2 s, written as <output>.ego-mask.png); no overlay there,
                         never free space, class-id masks 255 (docs/overlay.md)
  --legend               a key of the overlay's colours in the top-left corner of the video
  --no-audio             drop the input's audio (default: AAC/MP3/AC-3/E-AC-3/ALAC copied,
                         other codecs such as PCM or Opus re-encoded to AAC)
  --crf N                x264 quality, 0..51 (default 23)
  --preset NAME          x264 preset (default veryfast)
  --pad-even             pad odd-sized frames by one pixel for the overlay video
${SMOOTH_HELP}

Reporting:
  --preview [HOST:]PORT  live page at http://HOST:PORT/ (default host 127.0.0.1): picture, numbers, /stats, /events
  --preview-token T      require ?token=T in the page's URL (a random one is made when HOST is not loopback)
  --json                 print one JSON summary on stdout at the end (nothing else on stdout)
  -q, --quiet            no progress bar
  --debug                stack traces and ffmpeg output on errors
  -v, --version          version, ffmpeg binary and inference engines found
  -h, --help             this help

Environment: FFMPEG_PATH, FFPROBE_PATH choose the ffmpeg/ffprobe binaries.
Exit codes: 0 done (also after Ctrl-C, SIGTERM or SIGHUP: outputs are finalised), 1 error,
2 wrong usage, 130 a second Ctrl-C (aborted: unfinished outputs removed).`;

/** One line about the ego mask for the text summary. */
function egoMaskText(e: EgoMaskSummary): string {
  if (!e.found) return 'ego mask: auto found no static region at the bottom (nothing masked)';
  const where = `${(e.fraction * 100).toFixed(1)} % of the frame from row ${e.top}`;
  return e.source === 'file'
    ? `ego mask: ${e.file}, ${where}`
    : `ego mask: auto found ${where}${e.file ? `, written to ${e.file} (check it; reuse it with --ego-mask FILE)` : ''}`;
}

async function versionText(): Promise<string> {
  const lines = [`seg-stream ${packageVersion()}`, `node ${process.version}`];
  try {
    const b = resolveFfmpeg();
    lines.push(...describeBinaries(b));
  } catch (err) {
    lines.push(`ffmpeg: not found (${(err as Error).message})`);
  }
  const engines = await describeEngines();
  lines.push(`engine onnx: ${engines.onnx}`, `engine tfjs: ${engines.tfjs}`);
  return lines.join('\n');
}

function secondsFlag(values: Record<string, string | boolean | undefined>, name: string): number | undefined {
  const seconds = numberFlag(values, name);
  if (seconds !== undefined && !(seconds > 0))
    throw new SegStreamError(
      ErrorCodes.USAGE,
      `Expected a number of seconds > 0 for --${name} but received ${seconds}`,
    );
  return seconds === undefined ? undefined : seconds * 1000;
}

function liveFlag(values: Record<string, string | boolean | undefined>): boolean | undefined {
  if (values.live && values['no-live'])
    throw new SegStreamError(ErrorCodes.USAGE, '--live and --no-live contradict each other; give one');
  return values.live ? true : values['no-live'] ? false : undefined;
}

async function runVideo(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandLine(expandSmooth(argv), { ...RUN_FLAGS, ...SMOOTH_FLAG });
  if (values.help) {
    io.stdout.write(`${HELP}\n`);
    return 0;
  }
  if (values.version) {
    io.stdout.write(`${await versionText()}\n`);
    return 0;
  }
  const batch = await import('./folders-command.js');
  const folderInput = await batch.folderInputOf(positionals);
  if (folderInput !== undefined && values.smooth !== undefined)
    throw new SegStreamError(
      ErrorCodes.USAGE,
      '--smooth works on videos and live streams (and seg-stream eval), not on frame folders',
    );
  if (folderInput !== undefined) return batch.runFolderRun(values, folderInput, false, io);
  batch.rejectFolderFlags(values);
  if (positionals.length !== 1) {
    throw new SegStreamError(
      ErrorCodes.USAGE,
      positionals.length === 0
        ? 'no input given; usage: seg-stream <input> -o overlay.mp4 (see --help)'
        : `expected one input but received ${positionals.length}: ${positionals.map(redact).join(' ')}`,
    );
  }
  const json = values.json === true;
  const options = {
    input: positionals[0],
    output: stringFlag(values, 'output'),
    masks: stringFlag(values, 'masks'),
    freeSpace: stringFlag(values, 'free-space'),
    frames: intFlag(values, 'frames'),
    duration: numberFlag(values, 'duration'),
    segmentTime: numberFlag(values, 'segment-time'),
    stats: stringFlag(values, 'stats'),
    rtspTransport: choiceFlag(values, 'rtsp-transport', ['tcp', 'udp'] as const),
    timeoutMs: secondsFlag(values, 'timeout'),
    reconnectMax: intFlag(values, 'reconnect-max'),
    reconnectDelayMs: secondsFlag(values, 'reconnect-delay'),
    noDrop: values['no-drop'] === true ? true : undefined,
    live: liveFlag(values),
    ...commonRunFlags(values),
    egoMask: stringFlag(values, 'ego-mask'),
    legend: values.legend === true ? true : undefined,
    audio: values['no-audio'] ? false : undefined,
    padToEven: values['pad-even'] === true ? true : undefined,
    smooth: smoothFlag(values),
  };
  // Wrong options fail before the preview announces a page for a run that will not happen.
  resolveVideoOptions(options, isLiveUrl(options.input));
  const preview = await startPreview(values, positionals[0], isLiveUrl(positionals[0]), io.stderr);
  const progress = values.quiet ? undefined : terminalProgress(io.stderr);
  try {
    const summary = await withStopSignals(io, 'finishing the frames in flight and closing outputs', (signal) =>
      watched(preview, segmentVideo({ ...options, signal, onProgress: progress?.update, preview })),
    );
    progress?.done();
    for (const file of summary.staleRecordings)
      io.stderr.write(
        `seg-stream: note: kept the unfinished live recording of an earlier run that was killed: ${file}\n`,
      );
    const damage = damageWarning(summary);
    if (damage) io.stderr.write(`${damage}\n`);
    if (json) {
      io.stdout.write(`${JSON.stringify(summary)}\n`);
    } else {
      const out = [
        summary.outputs.video,
        summary.outputs.segments && `${summary.outputs.segments.length} segments`,
        summary.outputs.masks,
        summary.outputs.freeSpace,
      ]
        .filter(Boolean)
        .join(', ');
      const liveNote = summary.live
        ? `, ${summary.droppedFrames} dropped, ${summary.reconnects} reconnects, latency p95 ${summary.latencyMs.p95} ms`
        : '';
      if (summary.egoMask) io.stderr.write(`seg-stream: ${egoMaskText(summary.egoMask)}\n`);
      io.stderr.write(
        `seg-stream: ${summary.frames} frames in ${summary.wallSeconds.toFixed(1)} s (${summary.fps.toFixed(1)} fps${liveNote}, ${summary.backend}${summary.networkInput ? `, ${networkInputText(summary.networkInput)}` : ''}) -> ${out || 'nothing written'}\n`,
      );
    }
    return 0;
  } finally {
    progress?.done();
    await preview?.close();
  }
}

/**
 * Runs the CLI with `argv` (without node and script) and returns the exit code.
 */
export async function main(
  argv: string[],
  io: CliIo = { stdout: process.stdout, stderr: process.stderr },
): Promise<number> {
  try {
    return await command(argv, io);
  } finally {
    releaseHungUpTerminal();
  }
}

async function command(argv: string[], io: CliIo): Promise<number> {
  const debug = argv.includes('--debug');
  try {
    if (argv[0] === 'models') return await runModelsCommand(argv.slice(1), io);
    if (argv[0] === 'batch') return await (await import('./folders-command.js')).runBatchCommand(argv.slice(1), io);
    if (argv[0] === 'queue') return await (await import('./fleet-command.js')).runQueueCommand(argv.slice(1), io);
    if (argv[0] === 'worker') return await (await import('./fleet-command.js')).runWorkerCommand(argv.slice(1), io);
    if (argv[0] === 'topics') return await (await import('./topics-command.js')).runTopicsCommand(argv.slice(1), io);
    if (argv[0] === 'eval') return await (await import('./eval-command.js')).runEvalCommand(argv.slice(1), io);
    if (await (await import('./log-input.js')).isLogInput(argv))
      return await (await import('./log-command.js')).runLogCommand(argv, io);
    return await runVideo(argv, io);
  } catch (err) {
    // An abort (second Ctrl-C) ends the process itself; what the run throws meanwhile is its echo.
    if (isAborting()) return ABORT_EXIT_CODE;
    const e = withFlags(toSegStreamError(err));
    io.stderr.write(`seg-stream: ${e.code}: ${redact(e.message)}\n`);
    if (debug) {
      if (e.context.stderrTail) io.stderr.write(`ffmpeg said:\n${e.context.stderrTail}\n`);
      if (e.context.command) io.stderr.write(`command: ${e.context.command}\n`);
      io.stderr.write(`${redact(String(e.stack))}\n`);
      if (e.cause)
        io.stderr.write(`cause: ${redact(e.cause instanceof Error ? String(e.cause.stack) : inspect(e.cause))}\n`);
    }
    return exitCodeFor(e);
  }
}
