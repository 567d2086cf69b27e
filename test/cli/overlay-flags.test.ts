/** --palette and --ego-mask mistakes: one line naming the flag, exit code 2, nothing written. */
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodePng } from '../../src/codecs/png-encode.js';
import { runCli } from '../helpers/cli.js';
import { makeBonnetClips, type BonnetClips } from '../helpers/bonnet.js';
import { tempDir } from '../helpers/media.js';

const tmp = tempDir();
let clips: BonnetClips;
beforeAll(() => {
  clips = makeBonnetClips(tmp.dir);
});
afterAll(() => tmp.cleanup());

describe('overlay flags on the command line', () => {
  it('a palette file that is not JSON: exit 2 naming --palette, no output', async () => {
    const bad = path.join(tmp.dir, 'p.json');
    writeFileSync(bad, '{ road: blue }');
    const out = path.join(tmp.dir, 'p.mp4');
    const r = await runCli([clips.plain, '-o', out, '--palette', bad, '--frames', '1']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--palette file .*p\.json is not JSON/);
    expect(existsSync(out)).toBe(false);
  });

  it('an ego mask of the wrong size: exit 2 naming --ego-mask, no output', async () => {
    const small = path.join(tmp.dir, 'small.png');
    writeFileSync(small, encodePng(new Uint8Array(16 * 8), 16, 8, 'gray'));
    const masks = path.join(tmp.dir, 'm');
    const r = await runCli([clips.plain, '--masks', masks, '--ego-mask', small, '--frames', '1']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`--ego-mask ${small} is 16x8 but the source is ${clips.width}x${clips.height}`);
    expect(existsSync(masks)).toBe(false);
  });
});
