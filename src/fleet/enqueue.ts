/**
 * `queue add`: turns inputs into fleet jobs. A video file is one job (or chunk jobs under a join
 * job with `chunkSeconds`), every sequence a folder or dataset resolves to is one job (a shared
 * `--free-space-json` is merged by a join job), a camera is one live job. Ids are deterministic,
 * so adding the same work twice adds nothing.
 */
import { realpath, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import type { FlowJob, JobsOptions } from 'bullmq';
import { expandGlob, isGlob } from '../datasets/glob.js';
import { findSequences, isImageName, type Sequence } from '../datasets/layouts.js';
import { ErrorCodes, SegStreamError, optionError } from '../errors.js';
import { isLiveUrl } from '../ingest/live/args.js';
import { builtinModelsDir, loadModel } from '../infer/model-card.js';
import { redact } from '../process/redact.js';
import { queuedEgoMask } from '../render/ego-mask-source.js';
import { queuedPalette } from '../render/palettes.js';
import { OutputPlan, defaultManifestPath, detectLogFormat, planChunks } from '../runs/public.js';
import { assertOutputsWritable, hasDoneMarker, readDoneMarker } from './attempt.js';
import {
  FILES_QUEUE,
  LIVE_QUEUE,
  expandTemplate,
  fillOutputs,
  hasTemplate,
  jobIdFor,
  outputEntries,
  partsDir,
  pruneOutputs,
  sequenceOf,
  templateValues,
  type FleetJobData,
  type JobOutputs,
  type JobRunOptions,
} from './jobs.js';
import type { EnqueueOptions, Planned } from './enqueue-types.js';
import { logJob } from './log-jobs.js';
import { assertRedisReachable, connectRedis, fleetFlows, fleetQueue, redisUnavailable } from './redis.js';

export type { EnqueueOptions, EnqueueOutputs, Planned } from './enqueue-types.js';

/** One job of an {@link enqueue} call. */
export interface EnqueuedJob {
  id: string;
  kind: FleetJobData['kind'];
  input: string;
  sequence?: string;
  outputs: JobOutputs;
  /** Join jobs: how many chunk or sequence jobs it joins. */
  children?: number;
  /**
   * `added` (also: it had finished, but its outputs were deleted since); `exists` (the same work is
   * waiting or running: nothing added); `done` (its done marker and the outputs it names are there);
   * `retried` (it had failed: queued again).
   */
  state: 'added' | 'exists' | 'done' | 'retried';
}

/** Job options of every fleet job. */
function jobOptions(jobId: string, attempts: number, live = false): JobsOptions {
  // Finished jobs are kept a week (status, and re-adds that are no-ops); after that the done
  // markers still make a re-add of finished work a no-op. Failed jobs are kept for a look.
  return {
    jobId,
    attempts,
    backoff: live ? { type: 'fixed', delay: 5000 } : { type: 'exponential', delay: 5000 },
    removeOnComplete: { age: 7 * 24 * 3600 },
    removeOnFail: false,
  };
}

/**
 * Adds jobs to the fleet's queues.
 *
 * @example
 * ```ts
 * await enqueue({ redis: 'redis://q:6379', inputs: ['/logs/**\/*.mp4'], output: '/out/{stem}.mp4' });
 * ```
 * @throws {SegStreamError} `INVALID_OPTION` naming the option when outputs collide or already exist, inputs are missing
 *   (`INPUT_NOT_FOUND`), an output cannot be written (`OUTPUT_UNWRITABLE`), the model is not found
 *   or invalid (`MODEL_NOT_FOUND`, `MODEL_INVALID`), `REDIS_UNAVAILABLE`
 */
export async function enqueue(options: EnqueueOptions): Promise<EnqueuedJob[]> {
  const planned = await plan(options);
  assertDistinctOutputs(planned);
  for (const p of planned) for (const job of [p, ...(p.children ?? [])]) await assertOutputsWritable(job.data.outputs);
  const client = connectRedis(options.redis, 'client');
  const queues = { files: fleetQueue(FILES_QUEUE, client), live: fleetQueue(LIVE_QUEUE, client) };
  const flows = fleetFlows(client);
  const attempts = options.attempts ?? 3;
  try {
    await assertRedisReachable(client, options.redis);
    const out: EnqueuedJob[] = [];
    for (const p of planned) {
      const id = jobIdFor(p.data, p.identity);
      const queue = p.data.kind === 'live' ? queues.live : queues.files;
      const row: EnqueuedJob = {
        id,
        kind: p.data.kind,
        input: redact(p.data.input),
        sequence: sequenceOf(p.data),
        outputs: p.data.outputs,
        ...(p.children ? { children: p.children.length } : {}),
        state: 'added',
      };
      out.push(row);
      // The done marker and the outputs it names decide whether the work is done, not the job in Redis.
      const done = p.data.kind !== 'live' && (await readDoneMarker(id, p.data.outputs)) !== undefined;
      const existing = await queue.getJob(id);
      if (existing) {
        const state = await existing.getState();
        if (state !== 'failed' && (state !== 'completed' || done)) {
          row.state = state === 'completed' ? 'done' : 'exists';
          continue;
        }
        // The same work failed before (a machine without the model, a disk that was full), or finished
        // and its outputs were deleted since: adding it again runs it again. A join's chunks that
        // finished keep their done markers and are not redone.
        await existing.remove({ removeChildren: true });
        row.state = state === 'failed' ? 'retried' : 'added';
      }
      if (done) {
        row.state = 'done';
        continue;
      }
      await assertOutputsFree(p);
      if (!p.children) {
        // A camera is retried for as long as it is queued.
        await queue.add(
          p.data.kind,
          p.data,
          p.data.kind === 'live' ? jobOptions(id, Number.MAX_SAFE_INTEGER, true) : jobOptions(id, attempts),
        );
        continue;
      }
      const children: FlowJob[] = p.children.map((c) => ({
        name: c.data.kind,
        queueName: FILES_QUEUE,
        data: c.data,
        opts: { ...jobOptions(jobIdFor(c.data, c.identity), attempts), failParentOnFailure: true },
      }));
      await flows.add({
        name: p.data.kind,
        queueName: FILES_QUEUE,
        data: p.data,
        opts: jobOptions(id, attempts),
        children,
      });
    }
    return out;
  } catch (err) {
    if (err instanceof SegStreamError) throw err;
    throw redisUnavailable(options.redis, err);
  } finally {
    await Promise.allSettled([queues.files.close(), queues.live.close(), flows.close()]);
    client.disconnect();
  }
}

/** Every job the inputs make, before anything is sent to Redis. */
async function plan(o: EnqueueOptions): Promise<Planned[]> {
  if (!Array.isArray(o.inputs) || o.inputs.length === 0)
    throw optionError(
      'inputs',
      'nothing to queue: give at least one input (`inputs`): video files, a glob, frame folders or a camera URL',
    );
  if (!o.output && !o.masks && !o.freeSpace && !o.kittiRoad && !o.freeSpaceJson && !o.logOut) {
    throw optionError(
      'output',
      'nothing to write: give an overlay video file (`output`), a masks folder (`masks`), a free-space folder (`freeSpace`), a KITTI road folder (`kittiRoad`) and/or a free-space JSONL file (`freeSpaceJson`) (driving logs: an MCAP file, `logOut`)',
    );
  }
  const runOptions = { ...o.options };
  if (runOptions.model !== undefined) runOptions.model = await jobModel(runOptions.model);
  if (runOptions.palette !== undefined) runOptions.palette = queuedPalette(runOptions.palette);
  if (runOptions.egoMask !== undefined) runOptions.egoMask = await queuedEgoMask(runOptions.egoMask);
  if (o.chunkSeconds !== undefined) {
    if (!(typeof o.chunkSeconds === 'number' && o.chunkSeconds > 0))
      throw optionError('chunkSeconds', `Expected a duration > 0 for \`chunkSeconds\` but received ${o.chunkSeconds}`);
    const clash = (['frames', 'duration', 'smooth'] as const).filter((k) => runOptions[k] !== undefined);
    // Smoothing carries state from frame to frame, and a frame limit belongs to one run: neither splits into chunks.
    if (clash.length > 0)
      throw optionError(
        'chunkSeconds',
        `\`chunkSeconds\` cannot be combined with ${clash.map((k) => `\`${k}\``).join(', ')}: add the videos without \`chunkSeconds\``,
      );
  }
  const planned: Planned[] = [];
  for (const input of o.inputs) {
    if (isLiveUrl(input)) {
      planned.push(liveJob(input, o, runOptions));
      continue;
    }
    if (isGlob(input)) {
      const { files } = await expandGlob(input);
      if (files.length === 0)
        throw new SegStreamError(ErrorCodes.INPUT_NOT_FOUND, `the pattern ${JSON.stringify(input)} matches no file`);
      if (files.every((f) => isImageName(path.basename(f))))
        planned.push(...(await sequenceJobs(input, o, runOptions)));
      else
        for (const f of files)
          planned.push((await isLogFile(f)) ? await logJob(f, o, runOptions) : await videoJob(f, o, runOptions));
      continue;
    }
    const info = await stat(input).catch(() => undefined);
    if (!info)
      throw new SegStreamError(
        ErrorCodes.INPUT_NOT_FOUND,
        `${path.resolve(input)} does not exist; give video files, a glob, frame folders or a camera URL`,
      );
    if (info.isDirectory()) planned.push(...(await sequenceJobs(input, o, runOptions)));
    else
      planned.push(
        (await isLogFile(input)) ? await logJob(input, o, runOptions) : await videoJob(input, o, runOptions),
      );
  }
  return planned;
}

/** A driving log (MCAP, ROS 1 bag) by its first bytes. */
async function isLogFile(file: string): Promise<boolean> {
  return detectLogFormat(file).then(
    () => true,
    () => false,
  );
}

async function videoJob(input: string, o: EnqueueOptions, options: JobRunOptions): Promise<Planned> {
  if (o.kittiRoad || o.freeSpaceJson)
    throw optionError(
      o.kittiRoad ? 'kittiRoad' : 'freeSpaceJson',
      `\`kittiRoad\` and \`freeSpaceJson\` are written for frame folders; ${input} is a video file`,
    );
  const file = await realpath(input);
  const info = await stat(file);
  const values = templateValues(file);
  const outputs = fillOutputs({ output: o.output, masks: o.masks, freeSpace: o.freeSpace, stats: o.stats }, values);
  const identity = `${file}\u0000${info.size}\u0000${info.mtimeMs}`;
  const whole: Planned = { data: { kind: 'video', input: file, outputs, options }, identity };
  if (o.chunkSeconds === undefined) return whole;
  const plan = await planChunks(file, { chunkSeconds: o.chunkSeconds });
  if (plan.chunks.length < 2) return whole;
  // A join job over chunk jobs; the chunks write their parts in a hidden folder of the join's.
  const join: FleetJobData = { kind: 'join', join: 'chunks', input: file, outputs, options, total: plan.frames };
  const joinIdentity = `${identity}\u0000chunks:${o.chunkSeconds}`;
  const parts = partsDir(outputs, jobIdFor(join, joinIdentity));
  const children: Planned[] = plan.chunks.map((c) => {
    const n = String(c.index).padStart(5, '0');
    const partOutputs = pruneOutputs({
      output: outputs.output && path.join(parts, `chunk-${n}.mp4`),
      masks: outputs.masks && path.join(parts, `masks-${n}`),
      freeSpace: outputs.freeSpace && path.join(parts, `free-space-${n}`),
      stats: outputs.stats && path.join(parts, `stats-${n}.jsonl`),
    });
    return {
      data: { kind: 'chunk', input: file, chunk: c, outputs: partOutputs, options, total: c.frames },
      identity: `${joinIdentity}\u0000${c.index}`,
    };
  });
  return { data: join, identity: joinIdentity, children };
}

async function sequenceJobs(input: string, o: EnqueueOptions, options: JobRunOptions): Promise<Planned[]> {
  if (o.stats) throw optionError('stats', `\`stats\` is written for video files; ${input} is a frame folder`);
  const root = isGlob(input) ? path.resolve(input) : await realpath(input);
  const sequences: Sequence[] = await findSequences(root, { recursive: o.recursive });
  const values = templateValues(isGlob(input) ? path.dirname(root.split(/[*?[]/)[0] + 'x') : root);
  const filled = (seq?: string) =>
    fillOutputs(
      { output: o.output, masks: o.masks, freeSpace: o.freeSpace, kittiRoad: o.kittiRoad },
      { ...values, sequence: seq },
    );
  const perSequence = o.recursive === true || sequences.length > 1;
  const base = filled();
  const outputPlan = new OutputPlan(
    { output: base.output, masks: base.masks, freeSpace: base.freeSpace, kittiRoad: base.kittiRoad },
    perSequence,
  );
  const jsonl = o.freeSpaceJson ? expandTemplate(o.freeSpaceJson, values) : undefined;
  const jobs: Planned[] = sequences.map((seq, i) => {
    const templated = filled(seq.id);
    const usesSequence = Object.values({
      output: o.output,
      masks: o.masks,
      freeSpace: o.freeSpace,
      kittiRoad: o.kittiRoad,
    }).some((p) => p?.includes('{sequence}'));
    const outputs: JobOutputs = usesSequence
      ? templated
      : {
          output: outputPlan.video(seq),
          masks: base.masks && outputPlan.dir('masks', seq),
          freeSpace: base.freeSpace && outputPlan.dir('freeSpace', seq),
          kittiRoad: base.kittiRoad && outputPlan.dir('kittiRoad', seq),
        };
    // One sequence writes the JSONL itself; several write parts that a join job merges in order.
    if (jsonl)
      outputs.freeSpaceJson =
        sequences.length === 1
          ? jsonl
          : path.join(
              path.dirname(jsonl),
              '.seg-stream',
              'parts',
              `${path.basename(jsonl)}.${String(i).padStart(6, '0')}.jsonl`,
            );
    const data: FleetJobData = {
      kind: 'sequence',
      input: root,
      sequence: seq.id,
      recursive: o.recursive || undefined,
      outputs: pruneOutputs(outputs),
      options,
      total: seq.frames.length,
      ...(sequences.length > 1 ? { noManifest: true } : {}),
    };
    return { data, identity: `${root}\u0000${seq.id}\u0000${seq.frames.length}` };
  });
  if (sequences.length === 1) return jobs;
  // Several sequences: a join writes what spans them, as a local run does: the merged JSONL and one
  // manifest with every sequence and the dataset's scores.
  const manifest = defaultManifestPath({ ...base, freeSpaceJson: jsonl });
  const join: FleetJobData = {
    kind: 'join',
    join: 'sequences',
    input: root,
    recursive: o.recursive || undefined,
    outputs: pruneOutputs({ freeSpaceJson: jsonl, manifest }),
    options,
    total: 0,
  };
  return [{ data: join, identity: jobs.map((j) => j.identity).join('\u0001'), children: jobs }];
}

/**
 * The model as every worker finds it, checked here once (card and weight files, as a local run
 * checks them): a built-in model by its name, a model folder by its absolute path (a relative path
 * means this machine's folder: workers start elsewhere).
 */
async function jobModel(model: string): Promise<string> {
  const { dir } = await loadModel(model);
  return !/[\\/]/.test(model) && dir === path.join(builtinModelsDir(), model) ? model : dir;
}

function liveJob(input: string, o: EnqueueOptions, options: JobRunOptions): Planned {
  if (o.live === false)
    throw optionError('live', `${redact(input)} is a URL: the fleet reads URLs as live cameras (\`live\`)`);
  const url = new URL(input);
  if (url.username || url.password) {
    throw optionError(
      'inputs',
      `${redact(input)} carries credentials; they never go into Redis: add the camera without them (${url.protocol}//${url.host}${url.pathname}) and give each worker the full URL in its cameras file (\`cameras\`) or SEGSTREAM_CAMERAS`,
    );
  }
  if (!o.output && !o.masks && !o.freeSpace)
    throw optionError(
      'output',
      'a live camera writes an overlay video file (`output`, in `segmentTime` parts), a masks folder (`masks`) and/or a free-space folder (`freeSpace`)',
    );
  // {stem} and {name} of a camera: its host and path, as one file name (cam-07_stream).
  const name = `${url.hostname}${url.port ? `_${url.port}` : ''}${url.pathname}`
    .replace(/[^A-Za-z0-9._-]+/g, '_')
    .replace(/_+$/, '');
  const values = { stem: name, name };
  const outputs = fillOutputs({ output: o.output, masks: o.masks, freeSpace: o.freeSpace }, values);
  return { data: { kind: 'live', input, outputs, options: { segmentTime: 60, ...options } }, identity: input };
}

/** No two jobs may write the same file or folder: thousands of inputs need `{stem}`-style templates. */
function assertDistinctOutputs(planned: Planned[]): void {
  const seen = new Map<string, string>();
  const visit = (p: Planned) => {
    for (const [key, out] of outputEntries(p.data.outputs)) {
      const seq = sequenceOf(p.data);
      const label = seq ? `${p.data.input} (${seq})` : redact(p.data.input);
      const other = seen.get(out);
      if (other !== undefined && other !== label) {
        const hint = hasTemplate(out)
          ? ''
          : `; put {stem}, {name} or {sequence} in the \`${key}\` path so each input gets its own`;
        throw optionError(key, `${other} and ${label} would both write ${out}${hint}`);
      }
      seen.set(out, label);
    }
    for (const c of p.children ?? []) visit(c);
  };
  for (const p of planned) visit(p);
}

/** An output that exists already (and is not this job's finished work) is never replaced. */
async function assertOutputsFree(p: Planned): Promise<void> {
  for (const job of [p, ...(p.children ?? [])]) {
    if (job.data.kind === 'live') continue;
    // Outputs its done marker names are this job's own work (some deleted since): running it again replaces them.
    if (await hasDoneMarker(jobIdFor(job.data, job.identity), job.data.outputs)) continue;
    for (const [key, out] of Object.entries(job.data.outputs) as [keyof JobOutputs, string][]) {
      if (out.includes(`${path.sep}.seg-stream${path.sep}`)) continue;
      const info = await stat(out).catch(() => undefined);
      if (!info) continue;
      if (info.isDirectory() && (await readdir(out)).length === 0) continue;
      throw optionError(
        key,
        `${key === 'manifest' ? 'the manifest' : `\`${key}\``} ${out} exists already and is not the output of this job; move it away or choose another path (the fleet never replaces files it did not write)`,
      );
    }
  }
}
