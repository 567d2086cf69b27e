/**
 * The preview page in real headless Chromium and Firefox during a run of the dashcam clip: the
 * picture changes, the numbers advance, the view toggle switches between the overlay, the class
 * colours and the free-space mask, and the page ends with the run's final summary (the same as
 * --json).
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import sharp from 'sharp';
import { CHROMIUM, FIREFOX, haveBrowser, type LaunchedBrowser } from '../helpers/browsers.js';
import { bins, haveShared, sharedDir, tempDir } from '../helpers/media.js';
import type { RunSummary } from '../../src/index.js';
import { startPreviewRun } from '../helpers/preview.js';

/** Share of pixels of a PNG screenshot for which `test(r, g, b)` holds. */
async function pixelShare(png: Buffer, test: (r: number, g: number, b: number) => boolean): Promise<number> {
  const { data, info } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
  let n = 0;
  for (let i = 0; i < data.length; i += info.channels) if (test(data[i], data[i + 1], data[i + 2])) n++;
  return n / (info.width * info.height);
}

/** Share of pixels whose channels differ by more than `tolerance` in a PNG screenshot. */
const colourShare = (png: Buffer, tolerance = 24) =>
  pixelShare(png, (r, g, b) => Math.max(r, g, b) - Math.min(r, g, b) > tolerance);

/** Share of pixels within `tolerance` of one of `colours` (each channel) in a PNG screenshot. */
const paletteShare = (png: Buffer, colours: number[][], tolerance = 24) =>
  pixelShare(png, (r, g, b) =>
    colours.some(
      ([cr, cg, cb]) => Math.abs(r - cr) <= tolerance && Math.abs(g - cg) <= tolerance && Math.abs(b - cb) <= tolerance,
    ),
  );

/**
 * Which view a PNG screenshot of the picture shows: `classes` when nearly every pixel has one of
 * the legend's colours, `free-space` when nearly all are grey (the mask is black and white but
 * for the boundary line), `overlay` otherwise (the camera picture with some classes painted).
 */
async function viewShown(png: Buffer, legend: number[][]): Promise<string> {
  if ((await paletteShare(png, legend)) > 0.9) return 'classes';
  if ((await colourShare(png)) < 0.03) return 'free-space';
  return 'overlay';
}

// A screenshot is taken a moment after it is asked for and can show an earlier picture than the
// one the page reported drawing (seen in Firefox): checks on pixels wait for a screenshot that
// passes, and fail when none does in this time.
const eventually = { timeout: 60_000, interval: 250 };

const shared = haveShared();
for (const testBrowser of [CHROMIUM, FIREFOX])
  describe.runIf(shared && haveBrowser(testBrowser))(`preview page in ${testBrowser.name}`, () => {
    const tmp = tempDir();
    // The clip three times over (stream copy, no re-encoding): a run long enough to watch.
    const clip = path.join(tmp.dir, 'drive.mp4');
    let browser: LaunchedBrowser;
    beforeAll(async () => {
      const r = spawnSync(bins.ffmpeg.path, [
        '-v',
        'error',
        '-y',
        '-stream_loop',
        '2',
        '-i',
        path.join(sharedDir, 'samples', 'solidWhiteRight.mp4'),
        '-c',
        'copy',
        '-an',
        clip,
      ]);
      expect(r.status, String(r.stderr)).toBe(0);
      browser = await testBrowser.launch();
    });
    afterAll(async () => {
      await browser?.close();
      tmp.cleanup();
    });

    it('shows the run as it happens and its final summary', async () => {
      const run = startPreviewRun([
        clip,
        '--masks',
        path.join(tmp.dir, 'masks'),
        '--free-space',
        path.join(tmp.dir, 'free'),
        '--preview',
        '0',
        '--json',
        '-q',
      ]);
      const url = await run.url;
      const page = await browser.context.newPage();
      await page.goto(url.href);
      const picture = page.locator('#picture');
      const frameShown = () => picture.getAttribute('data-frame');
      const framesDone = async () => Number((await page.locator('#frames').textContent())!.split('/')[0]);

      await page.waitForFunction(() => document.getElementById('picture')!.dataset.frame !== undefined, null, {
        timeout: 120_000,
      });
      const first = { frame: await frameShown(), shot: await picture.screenshot(), done: await framesDone() };
      // Some frames on (neighbouring frames of a video can be identical).
      await page.waitForFunction(
        (f) => Number(document.getElementById('picture')!.dataset.frame) >= Number(f) + 10,
        first.frame,
        { timeout: 120_000 },
      );
      await page.waitForFunction(
        (n) => Number(document.getElementById('frames')!.textContent.split('/')[0]) > n,
        first.done,
        { timeout: 120_000 },
      );
      const second = { frame: await frameShown(), done: await framesDone() };
      expect(second.frame).not.toBe(first.frame);
      expect(second.done).toBeGreaterThan(first.done);
      let shot = first.shot;
      await expect
        .poll(async () => Buffer.compare(first.shot, (shot = await picture.screenshot())), eventually)
        .not.toBe(0);
      expect(await colourShare(shot)).toBeGreaterThan(0.05);
      expect(await page.locator('#state').textContent()).toMatch(/running|finished/);
      expect(await page.locator('#classes').textContent()).toContain('Road');

      // The view toggle switches the picture: class colours, the free-space mask, the overlay.
      const legend = (
        await page
          .locator('#classes .sw')
          .evaluateAll((swatches) => swatches.map((s) => getComputedStyle(s).backgroundColor))
      ).map((c) => c.match(/\d+/g)!.map(Number));
      expect(legend.length).toBeGreaterThan(2);
      expect(await viewShown(shot, legend)).toBe('overlay');
      for (const view of ['classes', 'free-space', 'overlay']) {
        await page.locator(`input[value="${view}"]`).check();
        await expect.poll(async () => viewShown(await picture.screenshot(), legend), eventually).toBe(view);
      }

      // A second window showing the free-space mask (the view can be given in the URL): black and
      // white but for the boundary drawn on it (yellow, a thin line). Each window is screenshotted
      // while in front (a window behind may not be repainted).
      const maskUrl = new URL(url);
      maskUrl.searchParams.set('view', 'free-space');
      const maskPage = await browser.context.newPage();
      await maskPage.goto(maskUrl.href);
      await maskPage.waitForFunction(() => document.getElementById('picture')!.dataset.frame !== undefined, null, {
        timeout: 120_000,
      });
      expect(await maskPage.locator('input[value="free-space"]').isChecked()).toBe(true);
      const mask = await colourShare(await maskPage.locator('#picture').screenshot());
      expect(mask).toBeGreaterThan(0);
      expect(mask).toBeLessThan(0.03);
      await maskPage.close();
      await page.bringToFront();

      const result = await run.done;
      expect(result.code, result.stderr).toBe(0);
      const summary = JSON.parse(result.stdout) as RunSummary;

      await page.locator('#summary').filter({ hasText: '"frames"' }).waitFor({ timeout: 30_000 });
      expect(JSON.parse((await page.locator('#summary').textContent())!)).toEqual(summary);
      expect(await page.locator('#state').textContent()).toBe('finished');
      expect(await framesDone()).toBe(summary.frames);
      await page.close();
    });
  });
