/**
 * Where a run's outputs go, and which frames are already complete (resume).
 *
 * Naming: per-frame files are named after the input frame's stem (`0000000000.png` →
 * `<masks>/0000000000.png`, road maps `um_road_000000.png` / `<stem>_road.png`). A run with one
 * sequence writes straight into the given folders; a run with several (a KITTI drive with
 * image_02 and image_03, `seg-stream batch`) writes `<folder>/<sequence id>/…`, and the overlay
 * video `-o out.mp4` becomes one `out-<sequence id with / as _>.mp4` per sequence.
 */
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import type { PlannedOutput } from '../../datasets/input-guard.js';
import type { FrameEntry, Sequence } from '../../datasets/layouts.js';
import type { ResolvedFolderOptions } from './options.js';

/** Per-frame output kinds. */
export type FrameOutputKind = 'masks' | 'freeSpace' | 'kittiRoad';

/** The option that names each per-frame output folder (for messages). */
export const OUTPUT_FLAGS: Readonly<Record<FrameOutputKind, string>> = Object.freeze({
  masks: '--masks',
  freeSpace: '--free-space',
  kittiRoad: '--kitti-road',
});

/** Output locations of one run. */
export class OutputPlan {
  readonly kinds: FrameOutputKind[];

  constructor(
    private readonly opts: Pick<ResolvedFolderOptions, FrameOutputKind | 'output'>,
    /** True when sequences get their own subfolders. */
    readonly perSequence: boolean,
  ) {
    this.kinds = (['masks', 'freeSpace', 'kittiRoad'] as const).filter((k) => opts[k] !== undefined);
  }

  /** Folder of a kind of output for a sequence. */
  dir(kind: FrameOutputKind, seq: Sequence): string {
    return path.resolve(this.opts[kind]!, this.perSequence ? seq.id : '');
  }

  /** File name of a frame's output of `kind`. */
  static fileName(kind: FrameOutputKind, frame: FrameEntry): string {
    return kind === 'kittiRoad' ? roadMapName(frame.stem) : `${frame.stem}.png`;
  }

  /** Final path of a frame's output of `kind`. */
  path(kind: FrameOutputKind, seq: Sequence, frame: FrameEntry): string {
    return path.join(this.dir(kind, seq), OutputPlan.fileName(kind, frame));
  }

  /** The overlay video of a sequence, when `-o` was given. */
  video(seq: Sequence): string | undefined {
    const out = this.opts.output;
    if (out === undefined) return undefined;
    if (!this.perSequence || seq.id === '') return path.resolve(out);
    const ext = path.extname(out) || '.mp4';
    return path.resolve(
      path.dirname(out),
      `${path.basename(out, path.extname(out))}-${seq.id.replace(/[\\/]/g, '_')}${ext}`,
    );
  }

  /**
   * Every place the run writes, for `assertOutputsOutsideInputs`: each per-frame folder (as given
   * and per sequence), each overlay video, the JSONL and the manifest (files: by their folder).
   */
  planned(sequences: readonly Sequence[], files: { freeSpaceJson?: string; manifest?: string }): PlannedOutput[] {
    const out: PlannedOutput[] = [];
    for (const k of this.kinds)
      for (const d of [this.opts[k]!, ...sequences.map((s) => this.dir(k, s))])
        out.push({ option: k, path: d, kind: 'dir' });
    if (files.freeSpaceJson) out.push({ option: 'freeSpaceJson', path: files.freeSpaceJson, kind: 'file' });
    for (const s of sequences) {
      const video = this.video(s);
      if (video) out.push({ option: 'output', path: video, kind: 'file' });
    }
    if (files.manifest) out.push({ option: 'manifest', path: files.manifest, kind: 'file' });
    return out;
  }

  /**
   * Per sequence, which frames have every requested per-frame output under its final name
   * (each folder is listed once; temporary `.partial` files never count).
   */
  async completeFrames(seq: Sequence): Promise<boolean[]> {
    const listings = await Promise.all(
      this.kinds.map(async (k) => new Set(await readdir(this.dir(k, seq)).catch(() => [] as string[]))),
    );
    return seq.frames.map((f) => this.kinds.every((k, i) => listings[i].has(OutputPlan.fileName(k, f))));
  }
}

/**
 * Output file name of the road map (`--kitti-road`) of an input frame: KITTI road frames
 * `<cat>_<id>.png` (`um`, `umm`, `uu`) become `<cat>_road_<id>.png` as the benchmark expects; any
 * other frame `<stem>_road.png`.
 *
 * @example
 * ```ts
 * roadMapName('um_000000'); // 'um_road_000000.png'
 * roadMapName('0000000042'); // '0000000042_road.png'
 * ```
 */
export function roadMapName(stem: string): string {
  const m = /^(um|umm|uu)_(\d+)$/.exec(stem);
  return m ? `${m[1]}_road_${m[2]}.png` : `${stem}_road.png`;
}
