/**
 * The small outputs of a chunked run put together: the chunks' `--stats` JSONL files into one
 * (their lines already carry the frame's place and time in the whole file), and the chunks'
 * summaries into totals. docs/fleet.md "Chunked runs of a long video".
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { rename } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { ErrorCodes, SegStreamError, invalidOption } from '../../errors.js';
import { trackTemporary, untrackTemporary } from '../../process/temp-files.js';
import { assertWritableFile, removeQuietly, temporaryPathFor } from '../../sinks/atomic-file.js';
import type { RunSummary } from './summary.js';

/**
 * Concatenates the chunks' `--stats` files (in chunk order) into `output`, checking that frame
 * indices run on without a gap or repeat. Streams line by line (memory stays flat); written
 * under a temporary name and renamed.
 *
 * @returns the number of lines (frames) written
 * @throws {SegStreamError} `INVALID_OPTION` for parts out of order, missing or overlapping
 *   frames, or a line that is not a stats line; `INPUT_NOT_FOUND` for a missing part;
 *   `OUTPUT_UNWRITABLE`
 */
export async function mergeStatsFiles(parts: string[], output: string): Promise<number> {
  if (!Array.isArray(parts) || parts.length === 0 || parts.some((p) => typeof p !== 'string' || p === ''))
    throw invalidOption('parts', 'a non-empty list of --stats files', parts);
  await assertWritableFile(output, 'output');
  const temporary = temporaryPathFor(output);
  trackTemporary(temporary);
  const out = createWriteStream(temporary, { flags: 'wx' });
  let writeError: Error | undefined;
  out.on('error', (err) => (writeError = err));
  let next: number | undefined;
  let lines = 0;
  try {
    for (const part of parts) {
      const input = createReadStream(part);
      await once(input, 'open').catch((cause: unknown) => {
        throw new SegStreamError(
          ErrorCodes.INPUT_NOT_FOUND,
          `stats part ${JSON.stringify(part)} cannot be read; run its chunk first`,
          { cause },
        );
      });
      let lineNo = 0;
      for await (const line of createInterface({ input, crlfDelay: Infinity })) {
        lineNo++;
        if (line === '') continue;
        const index = lineIndex(line);
        if (index === undefined) throw invalidOption('parts', 'files of --stats lines', `${part} line ${lineNo}`);
        if (next !== undefined && index !== next) {
          throw invalidOption(
            'parts',
            `stats parts in chunk order with frame ${next} next`,
            `frame ${index} at ${part} line ${lineNo}`,
          );
        }
        next = index + 1;
        if (writeError) throw writeError;
        lines++;
        if (!out.write(`${line}\n`)) await once(out, 'drain');
      }
    }
    out.end();
    await once(out, 'close');
    if (writeError) throw writeError;
    await rename(temporary, output);
    return lines;
  } catch (err) {
    out.destroy();
    if (err instanceof SegStreamError) throw err;
    throw new SegStreamError(
      ErrorCodes.OUTPUT_UNWRITABLE,
      `cannot write ${JSON.stringify(output)}: ${(err as Error).message}`,
      { cause: err },
    );
  } finally {
    await removeQuietly(temporary);
    untrackTemporary(temporary);
  }
}

function lineIndex(line: string): number | undefined {
  try {
    const index = (JSON.parse(line) as { index?: unknown }).index;
    return Number.isInteger(index) ? (index as number) : undefined;
  } catch {
    return undefined;
  }
}

/** Totals of a chunked run, from its chunks' summaries. */
export interface ChunkTotals {
  /** Chunks merged. */
  chunks: number;
  /** The frames of the file covered, `startFrame` … `startFrame + frames - 1`. */
  startFrame: number;
  /** Frames written over all chunks. */
  frames: number;
  /** Sum of the chunks' `wallSeconds` (machine time; chunks on different machines overlap). */
  workSeconds: number;
  /** Sums of the chunks' counts. */
  decodeErrors: number;
  missingFrames: number;
  /** The largest of the chunks'. */
  peakRssMB: number;
}

/**
 * Adds up the summaries of a chunked run's chunks (each from `segmentVideo({ range })`), checking
 * that their ranges are contiguous and every chunk wrote all of its frames.
 *
 * @throws {SegStreamError} `INVALID_OPTION` for a summary without a range, ranges out of order,
 *   overlapping or with a gap, or a chunk that wrote fewer frames than its range
 */
export function mergeChunkSummaries(summaries: RunSummary[]): ChunkTotals {
  if (!Array.isArray(summaries) || summaries.length === 0)
    throw invalidOption('summaries', 'a non-empty list of chunk run summaries', summaries);
  const totals: ChunkTotals = {
    chunks: 0,
    startFrame: 0,
    frames: 0,
    workSeconds: 0,
    decodeErrors: 0,
    missingFrames: 0,
    peakRssMB: 0,
  };
  let next: number | undefined;
  for (const [i, s] of summaries.entries()) {
    const r = s?.range;
    if (!r)
      throw invalidOption(`summaries[${i}]`, 'the summary of a chunk run (with a range)', 'a summary without one');
    if (next !== undefined && r.startFrame !== next)
      throw invalidOption(`summaries[${i}].range.startFrame`, `${next} (chunks in order, contiguous)`, r.startFrame);
    if (s.frames !== r.frames)
      throw invalidOption(`summaries[${i}].frames`, `the chunk's ${r.frames} frames (a finished chunk)`, s.frames);
    if (next === undefined) totals.startFrame = r.startFrame;
    next = r.startFrame + r.frames;
    totals.chunks++;
    totals.frames += s.frames;
    totals.workSeconds += s.wallSeconds;
    totals.decodeErrors += s.decodeErrors;
    totals.missingFrames += s.missingFrames;
    totals.peakRssMB = Math.max(totals.peakRssMB, s.peakRssMB);
  }
  totals.workSeconds = Math.round(totals.workSeconds * 1000) / 1000;
  return totals;
}
