/**
 * Clips with and without a bonnet for the ego-mask tests: the first 3 s of the dashcam sample, with a
 * flat bonnet drawn by ffmpeg over its bottom 80 rows (of 540); without ../shared, moving noise at
 * 320x240 with a 40-row band instead.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { expect } from 'vitest';
import { bins, haveShared, sharedDir } from './media.js';

/** The clips and where the bonnet starts. */
export interface BonnetClips {
  plain: string;
  bonnet: string;
  width: number;
  height: number;
  /** First bonnet row. */
  top: number;
  /** Rows the found edge may be off by (the noise clip's encode smears the band's edge). */
  margin: number;
}

function ffmpeg(args: string[]): void {
  const r = spawnSync(bins.ffmpeg.path, ['-v', 'error', '-y', ...args]);
  expect(r.status, r.stderr?.toString()).toBe(0);
}

/** Writes `plain.mp4` and `bonnet.mp4` into `dir`. */
export function makeBonnetClips(dir: string): BonnetClips {
  const plain = path.join(dir, 'plain.mp4');
  const bonnet = path.join(dir, 'bonnet.mp4');
  const enc = ['-an', '-c:v', 'libx264', '-preset', 'veryfast', '-pix_fmt', 'yuv420p'];
  if (haveShared()) {
    const sample = path.join(sharedDir, 'samples', 'solidWhiteRight.mp4');
    ffmpeg(['-i', sample, '-t', '3', ...enc, plain]);
    ffmpeg(['-i', sample, '-t', '3', '-vf', 'drawbox=x=0:y=460:w=iw:h=80:color=0x202830:t=fill', ...enc, bonnet]);
    return { plain, bonnet, width: 960, height: 540, top: 460, margin: 4 };
  }
  const src = ['-f', 'lavfi', '-i', 'testsrc2=s=320x240:r=25:d=3,noise=alls=40:allf=t+u'];
  ffmpeg([...src, ...enc, plain]);
  ffmpeg([...src, '-vf', 'drawbox=x=0:y=200:w=iw:h=40:color=0x202830:t=fill', ...enc, bonnet]);
  return { plain, bonnet, width: 320, height: 240, top: 200, margin: 8 };
}
