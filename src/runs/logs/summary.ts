/**
 * The JSON summary of a log run: per-topic counts, the network size of each camera, outputs,
 * damage found in the log, around the figures every run reports (`core/summary.ts`).
 */
import path from 'node:path';
import type { StopReason } from '../../defaults.js';
import type { RunContext } from '../context.js';
import { runFigures } from '../core/summary.js';
import type { StageMs } from '../stats.js';
import type { SkippedMessage } from './frames.js';
import type { LogFrameOutput } from './log-frame.js';
import type { ResolvedLogOptions } from './options.js';
import { outputList, type LogPlan } from './plan.js';
import type { TopicFiles } from './sinks/topic-files.js';
import type { LogDamage, LogFormat } from './types.js';
import type { LogWriter } from './writers/log-writer.js';

/** Per camera topic. */
export interface LogTopicSummary {
  topic: string;
  schemaName: string;
  encoding?: string;
  /** Messages on the topic, as the log says. */
  messages: number;
  /** Frames segmented and written. */
  frames: number;
  /** Messages that could not be decoded (skipped, counted). */
  undecodable: number;
  /** Network input size of the camera (from its aspect). */
  networkInput?: { width: number; height: number };
}

/** The JSON summary of a log run. */
export interface LogRunSummary {
  input: string;
  format: LogFormat;
  profile: string;
  topics: LogTopicSummary[];
  outputs: {
    logOut?: string;
    logTopics?: Record<string, number>;
    videos?: Record<string, string>;
    masks?: Record<string, string>;
    freeSpace?: Record<string, string>;
    stats?: Record<string, string>;
    freeSpaceJson?: Record<string, string>;
  };
  /** Frames written, all topics. */
  frames: number;
  fps: number;
  /** From the workers being ready to the outputs being complete. */
  wallSeconds: number;
  setupSeconds: number;
  engine: string;
  backend: string;
  model: string;
  stageMs: StageMs;
  stopped: StopReason;
  peakRssMB: number;
  /** What the reader found damaged or skipped (absent for a clean log). */
  damage?: LogDamage;
  /** The first undecodable message's error, when there were some. */
  undecodable?: { count: number; first: string };
  /** Messages of other topics copied (`logCopyAll`). */
  copied?: number;
  /** Notes: why other topics were not copied, frames left out of an overlay video. */
  notes: string[];
}

/** Counts of a log run as frames leave it. */
export class LogRunTally {
  readonly frames = new Map<string, number>();
  readonly undecodable = new Map<string, number>();
  firstError: string | undefined;
  damage: LogDamage | undefined;
  copied = 0;
  /** Why other topics were not copied, when they were not. */
  copyNote: string | undefined;

  add(out: LogFrameOutput): void {
    this.frames.set(out.source.topic, (this.frames.get(out.source.topic) ?? 0) + 1);
  }

  /** Keeps the first damage report that found something (one per pass over the log). */
  noteDamage(d: LogDamage): void {
    if (!this.damage || (!isDamaged(this.damage) && isDamaged(d))) this.damage = d;
  }

  /** Messages of a video topic its decoder gave no frame for. */
  undecodedVideo(topic: string, n: number): void {
    if (n === 0) return;
    this.undecodable.set(topic, (this.undecodable.get(topic) ?? 0) + n);
    this.firstError ??= `${topic}: ${n} video messages gave no frame`;
  }

  /** Undecodable messages so far, all topics. */
  undecodedCount(): number {
    return [...this.undecodable.values()].reduce((a, b) => a + b, 0);
  }

  skip(s: SkippedMessage): void {
    this.undecodable.set(s.source.topic, (this.undecodable.get(s.source.topic) ?? 0) + 1);
    this.firstError ??= `${s.source.topic} message ${s.source.seq}: ${s.error.message}`;
  }
}

/** What {@link logSummary} is made from. */
export interface LogSummaryParts {
  opts: ResolvedLogOptions;
  run: RunContext;
  plan: LogPlan;
  tally: LogRunTally;
  engines: { sizes: { width: number; height: number; topics: string[] }[]; engine?: { name: string; backend: string } };
  log?: LogWriter;
  files?: TopicFiles;
}

/** Builds the summary (see {@link LogRunSummary}). */
export function logSummary(p: LogSummaryParts): LogRunSummary {
  const { run, plan, tally } = p;
  const undecodable = [...tally.undecodable.values()].reduce((a, b) => a + b, 0);
  const videos = Object.fromEntries(
    [...(p.files?.topics ?? [])].flatMap(([t, s]) => (s.videoFile ? [[t, path.resolve(s.videoFile)]] : [])),
  );
  return {
    input: p.opts.input,
    format: plan.info.format,
    profile: plan.info.profile,
    topics: plan.cameras.map((c) => {
      const size = p.engines.sizes.find((s) => s.topics.includes(c.topic));
      return {
        topic: c.topic,
        schemaName: c.schemaName,
        ...(c.encoding ? { encoding: c.encoding } : {}),
        messages: c.count,
        frames: tally.frames.get(c.topic) ?? 0,
        undecodable: tally.undecodable.get(c.topic) ?? 0,
        ...(size ? { networkInput: { width: size.width, height: size.height } } : {}),
      };
    }),
    outputs: {
      ...(p.log ? { logOut: path.resolve(p.opts.logOut!), logTopics: Object.fromEntries(p.log.counts) } : {}),
      ...(Object.keys(videos).length > 0 ? { videos } : {}),
      masks: outputList(plan.files, 'masks'),
      freeSpace: outputList(plan.files, 'freeSpace'),
      stats: outputList(plan.files, 'stats'),
      freeSpaceJson: outputList(plan.files, 'freeSpaceJson'),
    },
    ...runFigures(run),
    engine: p.engines.engine?.name ?? (typeof p.opts.engine === 'object' ? p.opts.engine.name : String(p.opts.engine)),
    backend: p.engines.engine?.backend ?? 'not started (no frames)',
    model: run.model.card.name,
    stopped: run.stopReason,
    ...(tally.damage && isDamaged(tally.damage) ? { damage: tally.damage } : {}),
    ...(undecodable > 0 ? { undecodable: { count: undecodable, first: tally.firstError! } } : {}),
    ...(p.opts.logCopyAll ? { copied: tally.copied } : {}),
    notes: notesOf(p),
  };
}

/** True when a read found something to report. */
export function isDamaged(d: LogDamage): boolean {
  return d.truncated || d.corruptChunks > 0 || d.unsupported.length > 0 || (d.corruptMessages ?? 0) > 0;
}

function notesOf(p: LogSummaryParts): string[] {
  const notes = p.tally.copyNote ? [p.tally.copyNote] : [];
  for (const [topic, s] of p.files?.topics ?? []) {
    if (s.videoSkipped > 0)
      notes.push(
        `${s.videoSkipped} frames of ${topic} changed size and were left out of its overlay video (its masks keep them)`,
      );
  }
  return notes;
}
