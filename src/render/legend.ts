/**
 * The overlay's key (option `legend`): a colour swatch and a name for each colour the overlay
 * paints, in the top-left corner of the frame, sized by the frame's height.
 *
 * The key is drawn once per run into an RGBA stamp ({@link makeLegendStamp}: the names are SVG
 * text rendered by sharp) and, from it, the same stamp in I420 planes; per frame it is only
 * composited ({@link stampLegend}), a few ten thousand pixels. The stamp's buffers are shared
 * memory, so sending it to the worker threads with every frame copies nothing.
 */
import type { LoadedModel } from '../infer/types.js';
import { rgbToYuv } from '../pixels/colour.js';
import type { PixelFormat } from '../types.js';
import { LUT_CLASSES } from './palette.js';
import type { Rgb } from './palettes.js';

/** One line of the key: a colour and what it means. */
export interface LegendEntry {
  label: string;
  color: Rgb;
}

/** The key, drawn once: RGBA, and the same in I420 (`y`, `ya`: per pixel; `u`, `v`, `uva`: per 2x2 block). */
export interface LegendStamp {
  width: number;
  height: number;
  /** Distance from the frame's top and left edges (even, so the chroma blocks line up). */
  margin: number;
  rgba: Uint8Array;
  y: Uint8Array;
  ya: Uint8Array;
  u: Uint8Array;
  v: Uint8Array;
  uva: Uint8Array;
}

const ROLE_LABELS = [
  ['vehicle', 'vehicleIds'],
  ['road', 'roadIds'],
  ['free space', 'freeSpaceIds'],
] as const;

/**
 * The lines of the key for an overlay LUT (`overlayLut`: the run's palette and classes): one per
 * colour painted, in class-id order. A colour that stands for every painted class of a role and
 * nothing else is named by the role (`road`, `vehicle`, `free space`), else by its classes' names.
 *
 * @example
 * ```ts
 * legendEntries(model, overlayLut(model, 'road,vehicle', 'roles')); // [{ label: 'road', … }, { label: 'vehicle', … }]
 * ```
 */
export function legendEntries(model: LoadedModel, lut: Uint8Array): LegendEntry[] {
  const groups = new Map<number, number[]>();
  const n = Math.min(model.card.classes.length, LUT_CLASSES);
  for (let id = 0; id < n; id++) {
    if (lut[4 * id + 3] === 0) continue;
    const key = (lut[4 * id] << 16) | (lut[4 * id + 1] << 8) | lut[4 * id + 2];
    groups.set(key, [...(groups.get(key) ?? []), id]);
  }
  const painted = (ids: number[]) => ids.filter((id) => id < n && lut[4 * id + 3] > 0);
  return [...groups].map(([key, ids]) => {
    const role = ROLE_LABELS.find(([, field]) => {
      const of = painted(model[field]);
      return of.length === ids.length && ids.every((id) => of.includes(id));
    });
    const label = role ? role[0] : ids.map((id) => model.card.classes[id].name).join(', ');
    return { label, color: [key >> 16, (key >> 8) & 255, key & 255] };
  });
}

/** Sizes of the key for a frame `frameHeight` pixels high: readable at 540 rows, in proportion above. */
function layout(frameHeight: number) {
  const font = Math.max(10, Math.round(frameHeight * 0.026));
  const pad = Math.round(font * 0.5);
  return {
    font,
    pad,
    row: Math.round(font * 1.5),
    gap: Math.round(font * 0.5),
    margin: 2 * Math.round(frameHeight * 0.01),
  };
}

const escapeXml = (s: string) =>
  s.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!);

/**
 * Draws the key for frames `frameHeight` pixels high: white names on a translucent dark box, each
 * after an opaque swatch of its colour. Loads sharp (once per run).
 *
 * @example
 * ```ts
 * const stamp = await makeLegendStamp(legendEntries(model, lut), 720);
 * ```
 */
export async function makeLegendStamp(entries: readonly LegendEntry[], frameHeight: number): Promise<LegendStamp> {
  const { font, pad, row, gap, margin } = layout(frameHeight);
  const textX = pad + font + gap;
  const longest = Math.max(1, ...entries.map((e) => e.label.length));
  const guessW = textX + Math.ceil(longest * font * 0.8) + pad;
  const height = 2 * Math.ceil((2 * pad + entries.length * row) / 2);
  const texts = entries.map(
    (e, i) =>
      `<text x="${textX}" y="${pad + i * row + Math.round(row * 0.72)}" font-family="DejaVu Sans, Arial, sans-serif" font-size="${font}" fill="#fff">${escapeXml(e.label)}</text>`,
  );
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${guessW}" height="${height}">${texts.join('')}</svg>`;
  const { default: sharp } = await import('sharp');
  const text = await sharp(Buffer.from(svg)).ensureAlpha().raw().toBuffer();
  let right = textX;
  for (let p = 3; p < text.length; p += 4) if (text[p] > 0) right = Math.max(right, ((p >> 2) % guessW) + 1);
  const width = 2 * Math.ceil((right + pad) / 2);
  const rgba = new Uint8Array(new SharedArrayBuffer(width * height * 4));
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      // Text over a black box at 60 %: colour = 255·αt / α, α = αt + αb(1 − αt).
      const at = x < guessW ? text[(y * guessW + x) * 4 + 3] / 255 : 0;
      const a = at + 0.6 * (1 - at);
      rgba.set(
        [Math.round((255 * at) / a), Math.round((255 * at) / a), Math.round((255 * at) / a), Math.round(a * 255)],
        (y * width + x) * 4,
      );
    }
  entries.forEach((e, i) => {
    const top = pad + i * row + Math.round((row - font) / 2);
    for (let y = top; y < top + font; y++)
      for (let x = pad; x < pad + font; x++) rgba.set([...e.color, 255], (y * width + x) * 4);
  });
  return { width, height, margin, rgba, ...i420Of(rgba, width, height) };
}

/** The stamp's I420 planes: luma and alpha per pixel; chroma and alpha per 2x2 block, alpha-weighted. */
function i420Of(rgba: Uint8Array, width: number, height: number) {
  const shared = (n: number) => new Uint8Array(new SharedArrayBuffer(n));
  const y = shared(width * height),
    ya = shared(width * height);
  const cw = width / 2,
    ch = height / 2;
  const u = shared(cw * ch),
    v = shared(cw * ch),
    uva = shared(cw * ch);
  for (let cy = 0; cy < ch; cy++)
    for (let cx = 0; cx < cw; cx++) {
      let su = 0,
        sv = 0,
        sa = 0;
      for (const [dx, dy] of [
        [0, 0],
        [1, 0],
        [0, 1],
        [1, 1],
      ]) {
        const p = (2 * cy + dy) * width + 2 * cx + dx;
        const [Y, U, V] = rgbToYuv(rgba[4 * p], rgba[4 * p + 1], rgba[4 * p + 2]);
        const a = rgba[4 * p + 3];
        y[p] = Y;
        ya[p] = a;
        su += U * a;
        sv += V * a;
        sa += a;
      }
      const c = cy * cw + cx;
      uva[c] = Math.round(sa / 4);
      u[c] = sa ? Math.round(su / sa) : 128;
      v[c] = sa ? Math.round(sv / sa) : 128;
    }
  return { y, ya, u, v, uva };
}

/**
 * Composites the key into a frame in place (RGB24 or I420), at its top-left corner; a frame too
 * small for it gets the part that fits.
 *
 * @example
 * ```ts
 * stampLegend(frame.pixels, 'yuv420p', 1280, 720, stamp);
 * ```
 */
export function stampLegend(pixels: Uint8Array, format: PixelFormat, w: number, h: number, stamp: LegendStamp): void {
  const m = stamp.margin;
  const sw = Math.min(stamp.width, w - m),
    sh = Math.min(stamp.height, h - m);
  if (sw <= 0 || sh <= 0) return;
  if (format === 'rgb24') {
    for (let y = 0; y < sh; y++)
      for (let x = 0; x < sw; x++) {
        const s = (y * stamp.width + x) * 4;
        const a = stamp.rgba[s + 3];
        const d = ((m + y) * w + m + x) * 3;
        for (let c = 0; c < 3; c++) pixels[d + c] = mix(pixels[d + c], stamp.rgba[s + c], a);
      }
    return;
  }
  for (let y = 0; y < sh; y++) blendPlane(pixels, (m + y) * w + m, stamp.y, stamp.ya, y * stamp.width, sw);
  const cw = (w + 1) >> 1,
    chh = (h + 1) >> 1;
  const uBase = w * h,
    vBase = uBase + cw * chh;
  const scw = Math.min(stamp.width / 2, cw - m / 2),
    sch = Math.min(stamp.height / 2, chh - m / 2);
  for (let cy = 0; cy < sch; cy++) {
    const d = (m / 2 + cy) * cw + m / 2,
      s = (cy * stamp.width) / 2;
    blendPlane(pixels, uBase + d, stamp.u, stamp.uva, s, scw);
    blendPlane(pixels, vBase + d, stamp.v, stamp.uva, s, scw);
  }
}

/** `under·(1 − a) + over·a`, `a` in 0..255, rounded. */
const mix = (under: number, over: number, a: number) => ((under * (255 - a) + over * a) * 257 + 32896) >> 16;

/** Blends `n` samples of a plane: `dst[d + i]` with `src[s + i]` at `alpha[s + i]`. */
function blendPlane(dst: Uint8Array, d: number, src: Uint8Array, alpha: Uint8Array, s: number, n: number): void {
  for (let i = 0; i < n; i++) if (alpha[s + i] !== 0) dst[d + i] = mix(dst[d + i], src[s + i], alpha[s + i]);
}
