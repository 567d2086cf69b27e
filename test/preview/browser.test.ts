/**
 * The preview page in a real headless Chromium during a run of the dashcam clip: the picture
 * changes, the numbers advance, the view toggle shows the free-space mask, and the page ends
 * with the run's final summary (the same as --json).
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import sharp from 'sharp';
import { haveChromium, launchChromium } from '../helpers/chromium.js';
import { bins, haveShared, sharedDir, tempDir } from '../helpers/media.js';
import { startPreviewRun } from '../helpers/preview.js';

/** Share of pixels whose channels differ by more than `tolerance` in a PNG screenshot. */
async function colourShare(png: Buffer, tolerance = 24): Promise<number> {
  const { data, info } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
  let coloured = 0;
  for (let i = 0; i < data.length; i += info.channels) {
    const r = data[i]!, g = data[i + 1]!, b = data[i + 2]!;
    if (Math.max(r, g, b) - Math.min(r, g, b) > tolerance) coloured++;
  }
  return coloured / (info.width * info.height);
}

describe.runIf(haveShared() && haveChromium())('preview page in Chromium', () => {
  const tmp = tempDir();
  // The clip three times over (stream copy, no re-encoding): a run long enough to watch.
  const clip = path.join(tmp.dir, 'drive.mp4');
  let browser: Awaited<ReturnType<typeof launchChromium>>;
  beforeAll(async () => {
    const r = spawnSync(bins.ffmpeg.path, ['-v', 'error', '-y', '-stream_loop', '2', '-i', path.join(sharedDir, 'samples', 'solidWhiteRight.mp4'), '-c', 'copy', '-an', clip]);
    expect(r.status, String(r.stderr)).toBe(0);
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    tmp.cleanup();
  });

  it('shows the run as it happens and its final summary', async () => {
    const run = startPreviewRun([clip, '--masks', path.join(tmp.dir, 'masks'), '--free-space', path.join(tmp.dir, 'free'), '--preview', '0', '--json', '-q']);
    const url = await run.url;
    const page = await browser.context.newPage();
    await page.goto(url.href);
    const picture = page.locator('#picture');
    const frameShown = () => picture.getAttribute('data-frame');
    const framesDone = async () => Number((await page.locator('#frames').textContent())!.split('/')[0]);

    await page.waitForFunction(() => document.getElementById('picture')!.dataset.frame !== undefined, null, { timeout: 120_000 });
    const first = { frame: await frameShown(), shot: await picture.screenshot(), done: await framesDone() };
    // Some frames on (neighbouring frames of a video can be identical).
    await page.waitForFunction((f) => Number(document.getElementById('picture')!.dataset.frame) >= Number(f) + 10, first.frame, { timeout: 120_000 });
    await page.waitForFunction((n) => Number(document.getElementById('frames')!.textContent!.split('/')[0]) > n, first.done, { timeout: 120_000 });
    const second = { frame: await frameShown(), shot: await picture.screenshot(), done: await framesDone() };
    expect(second.frame).not.toBe(first.frame);
    expect(second.done).toBeGreaterThan(first.done);
    expect(Buffer.compare(first.shot, second.shot)).not.toBe(0);
    expect(await colourShare(second.shot)).toBeGreaterThan(0.05);
    expect(await page.locator('#state').textContent()).toMatch(/running|finished/);
    expect(await page.locator('#classes').textContent()).toContain('Road');

    // A second window showing the free-space mask (the view can be given in the URL): black and
    // white but for the boundary drawn on it (yellow, a thin line). Each window is screenshotted
    // while in front (a window behind may not be repainted).
    const maskUrl = new URL(url);
    maskUrl.searchParams.set('view', 'free-space');
    const maskPage = await browser.context.newPage();
    await maskPage.goto(maskUrl.href);
    await maskPage.waitForFunction(() => document.getElementById('picture')!.dataset.frame !== undefined, null, { timeout: 120_000 });
    expect(await maskPage.locator('input[value="free-space"]').isChecked()).toBe(true);
    const mask = await colourShare(await maskPage.locator('#picture').screenshot());
    expect(mask).toBeGreaterThan(0);
    expect(mask).toBeLessThan(0.03);
    await maskPage.close();
    await page.bringToFront();

    const result = await run.done;
    expect(result.code, result.stderr).toBe(0);
    const summary = JSON.parse(result.stdout);

    await page.locator('#summary').filter({ hasText: '"frames"' }).waitFor({ timeout: 30_000 });
    expect(JSON.parse((await page.locator('#summary').textContent())!)).toEqual(summary);
    expect(await page.locator('#state').textContent()).toBe('finished');
    expect(await framesDone()).toBe(summary.frames);
    await page.close();
  });
});
