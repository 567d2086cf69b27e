/**
 * `queue add` of a driving log: one job, or with `chunkSeconds` chunk jobs (windows of log time
 * cut by `planLogChunks`) under a join job that merges their part logs (`mergeLogParts`). A log
 * job writes `logOut`; per-topic file outputs are written by local runs only (whole or chunked).
 */
import { realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { optionError } from '../errors.js';
import { planLogChunks } from '../runs/public.js';
import type { EnqueueOptions, Planned } from './enqueue-types.js';
import { fillOutputs, jobIdFor, partsDir, templateValues, type FleetJobData, type JobRunOptions } from './jobs.js';

/** A driving log: one job, or its chunk jobs under a join (see the module comment). */
export async function logJob(input: string, o: EnqueueOptions, options: JobRunOptions): Promise<Planned> {
  const other = (['output', 'masks', 'freeSpace', 'stats', 'kittiRoad', 'freeSpaceJson'] as const).filter(
    (k) => o[k] !== undefined,
  );
  const unsupported = (['egoMask', 'legend'] as const).find((k) => options[k] !== undefined);
  if (unsupported)
    throw optionError(
      unsupported,
      `${input} is a driving log: \`${unsupported}\` applies to video files and frame folders`,
    );
  if (!o.logOut || other.length > 0)
    throw optionError(
      'logOut',
      `${input} is a driving log: queue it with \`logOut\` '/out/{stem}.seg.mcap'${other.length > 0 ? ' (per-topic file outputs are written by local runs only)' : ''}`,
    );
  const file = await realpath(input);
  const info = await stat(file);
  const outputs = fillOutputs({ logOut: o.logOut }, templateValues(file));
  const identity = `${file}\u0000${info.size}\u0000${info.mtimeMs}\u0000log`;
  const whole: Planned = { data: { kind: 'log', input: file, outputs, options }, identity };
  if (o.chunkSeconds === undefined) return whole;
  const plan = await planLogChunks(file, { chunkSeconds: o.chunkSeconds });
  if (plan.chunks.length < 2) return whole;
  const join: FleetJobData = { kind: 'join', join: 'logChunks', input: file, outputs, options, total: plan.frames };
  const joinIdentity = `${identity}\u0000chunks:${o.chunkSeconds}`;
  const parts = partsDir(outputs, jobIdFor(join, joinIdentity));
  // Each part is a log of the output's own format: the merge copies messages, it does not convert.
  const ext = /\.bag$/i.test(outputs.logOut!) ? '.bag' : '.mcap';
  const children: Planned[] = plan.chunks.map((c) => ({
    data: {
      kind: 'chunk',
      log: true,
      input: file,
      chunk: c,
      outputs: { logOut: path.join(parts, `chunk-${String(c.index).padStart(5, '0')}${ext}`) },
      options,
      total: c.frames,
    },
    identity: `${joinIdentity}\u0000${c.index}`,
  }));
  return { data: join, identity: joinIdentity, children };
}
