// The render task's cost on the frame path with and without an ego mask (what a worker does per frame
// of a video run with -o and --masks): renderFrame on a 960x540 I420 frame with the default (roles)
// palette, a 576x320 class map of road below the horizon and cars, and a class-id mask PNG; the ego
// mask is a bonnet over the bottom 80 rows (15 %). CPU time per frame (process.cpuUsage), the median of
// interleaved rounds: robust on a shared machine, unlike wall time.
//
//   node bench/overlay-ego.mjs [--reps 60] [--rounds 5]
import { parseArgs } from 'node:util';
import { renderFrame } from '../dist/runs/video/frame-tasks.js';
import { loadModel } from '../dist/infer/model-card.js';
import { overlayLut } from '../dist/render/palettes.js';
import { egoMaskFromBytes } from '../dist/pixels/ego-mask.js';

const { values } = parseArgs({
  options: { reps: { type: 'string', default: '60' }, rounds: { type: 'string', default: '5' } },
});
const REPS = Number(values.reps);
const ROUNDS = Number(values.rounds);
const W = 960,
  H = 540,
  MW = 576,
  MH = 320;
const model = await loadModel('camvid-default');
const lut = overlayLut(model, undefined);
const map = new Uint8Array(MW * MH);
for (let y = 0; y < MH; y++)
  for (let x = 0; x < MW; x++)
    map[y * MW + x] = y < MH / 2 ? 0 : (x >> 5) % 4 === 0 ? model.vehicleIds[0] : model.roadIds[0];
const bonnet = new Uint8Array(W * H).fill(1, 460 * W);
const ego = egoMaskFromBytes(bonnet, W, H);
const pixels = new Uint8Array(W * H * 1.5).map((_, i) => (i * 7) & 255);

function run(withEgo, masks) {
  const t = process.cpuUsage();
  for (let i = 0; i < REPS; i++)
    renderFrame({
      pixels,
      format: 'yuv420p',
      width: W,
      height: H,
      classMap: map,
      mapWidth: MW,
      mapHeight: MH,
      lut,
      alpha: 0.5,
      masks,
      freeSpaceIds: null,
      ego: withEgo ? ego : null,
    });
  const d = process.cpuUsage(t);
  return (d.user + d.system) / 1000 / REPS;
}

const median = (a) => a.slice().sort((x, y) => x - y)[a.length >> 1];
for (const masks of [false, true]) {
  const none = [],
    withEgo = [];
  run(false, masks);
  run(true, masks); // warm-up
  for (let r = 0; r < ROUNDS; r++) {
    if (r % 2) {
      withEgo.push(run(true, masks));
      none.push(run(false, masks));
    } else {
      none.push(run(false, masks));
      withEgo.push(run(true, masks));
    }
  }
  console.log(
    `${masks ? 'overlay + class-id mask PNG' : 'overlay only'}: no ego mask ${median(none).toFixed(2)} ms/frame CPU, with ego mask ${median(withEgo).toFixed(2)} ms/frame CPU (median of ${ROUNDS} rounds x ${REPS})`,
  );
}
