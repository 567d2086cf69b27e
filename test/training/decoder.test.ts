import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, describe, expect, it } from 'vitest';
import { PYTHON, recipeAvailable } from '../helpers/python.js';
import { createEngine } from '../../src/infer/engine.js';
import { loadModel } from '../../src/infer/model-card.js';
import { repoRoot, sharedDir, tempDir } from '../helpers/media.js';

const camvid = path.join(sharedDir, 'datasets', 'camvid');
const H = 144;
const W = 256;
const FRAMES = 3;

// A tiny net in the decoder's earlier form (each skip: 1x1 conv over concat(up2(a), b)) with random
// weights and BatchNorm statistics, saved as a checkpoint and as an ONNX-only model folder the way
// export.py wrote them before; its logits on real CamVid val frames are the reference.
const SETUP = `
import json, os, sys, torch
from training import checkpoint, export, nets
from training.data import load_split, preprocess
from training.graph import FoldedNet, GraphBuilder, GraphNet, fold
out = sys.argv[1]
GraphBuilder.skip_conv = lambda g, low, skip, c, act=True, bn=True: g.conv(g.concat([g.up2(low), skip]), c, 1, act=act, bn=bn)
spec = nets.tiny(${H}, ${W})
assert sum(n["op"] == "concat" for n in spec["nodes"]) == 3
torch.manual_seed(0)
net = GraphNet(spec)
for m in net.modules():
    if isinstance(m, torch.nn.BatchNorm2d):
        m.running_mean.uniform_(-0.2, 0.2); m.running_var.uniform_(0.5, 2.0)
        m.weight.data.uniform_(0.5, 1.5); m.bias.data.uniform_(-0.2, 0.2)
net.eval()
ck = {"args": {"arch": "tiny", "input": [${H}, ${W}]}}
checkpoint.save(os.path.join(out, "old.pt"), net, spec, **ck)
folder = os.path.join(out, "old-folder")
os.makedirs(folder)
export.export_onnx(FoldedNet(spec, fold(net)).eval(), torch.zeros(1, 3, ${H}, ${W}), os.path.join(folder, "model.onnx"))
with open(os.path.join(folder, "model.json"), "w") as f:
    json.dump(export.card("old-tiny", spec, ck), f)
imgs, _ = load_split(sys.argv[2], "val", ${FRAMES})
x = preprocess(imgs, ${H}, ${W})
with torch.no_grad():
    y = net(x)
x.numpy().astype("<f4").tofile(os.path.join(out, "frames.f32"))
y.numpy().astype("<f4").tofile(os.path.join(out, "logits.f32"))
print(float(y.abs().max()))
`;

function run(args: string[], timeout = 180_000) {
  const r = spawnSync(PYTHON, args, { cwd: repoRoot, encoding: 'utf8', timeout });
  expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(0);
  return r.stdout;
}

function f32(file: string): Float32Array {
  const b = readFileSync(file);
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
}

function argmaxNCHW(a: Float32Array, C: number, n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let p = 0; p < n; p++) {
    let best = 0;
    for (let c = 1; c < C; c++) if (a[c * n + p] > a[best * n + p]) best = c;
    out[p] = best;
  }
  return out;
}

function nhwc(x: Float32Array): Float32Array {
  const out = new Float32Array(x.length);
  for (let c = 0; c < 3; c++) for (let p = 0; p < H * W; p++) out[p * 3 + c] = x[c * H * W + p]!;
  return out;
}

/** The folder's ONNX logits and both engines' class maps against the reference, frame by frame. */
async function compare(dir: string, frames: Float32Array, reference: Float32Array) {
  const session = await ort.InferenceSession.create(path.join(dir, 'model.onnx'));
  const model = await loadModel(dir);
  const engines = [await createEngine(model, { engine: 'onnx' }), await createEngine(model, { engine: 'tfjs' })];
  const plane = 3 * H * W;
  const outPlane = reference.length / FRAMES;
  let maxDiff = 0;
  let same = 0;
  let total = 0;
  try {
    for (let f = 0; f < FRAMES; f++) {
      const x = frames.slice(f * plane, (f + 1) * plane);
      const ref = reference.subarray(f * outPlane, (f + 1) * outPlane);
      const res = await session.run({ input: new ort.Tensor('float32', x, [1, 3, H, W]) });
      const y = res.logits.data as Float32Array;
      for (let i = 0; i < y.length; i++) maxDiff = Math.max(maxDiff, Math.abs(y[i] - ref[i]));
      const want = argmaxNCHW(ref, 11, outPlane / 11);
      for (const engine of engines) {
        const [seg] = await engine.run([engine.inputLayout === 'NHWC' ? nhwc(x) : x]);
        for (let p = 0; p < want.length; p++) if (seg.classMap[p] === want[p]) same++;
        total += want.length;
      }
    }
  } finally {
    await session.release();
    for (const e of engines) await e.dispose();
  }
  return { maxDiff, agreement: same / total };
}

function opsOf(dir: string) {
  const onnxOps = run([
    '-c',
    'import collections, onnx, sys; print(sorted(set(n.op_type for n in onnx.load(sys.argv[1]).graph.node)))',
    path.join(dir, 'model.onnx'),
  ]);
  const layers = (
    JSON.parse(readFileSync(path.join(dir, 'tfjs', 'model.json'), 'utf8')) as {
      modelTopology: { config: { layers: { class_name: string }[] } };
    }
  ).modelTopology.config.layers.map((l) => l.class_name);
  return { onnxOps, layers };
}

describe('the decoder in the conv-before-upsample form (training/graph.py skipconv)', () => {
  const tmp = tempDir('segstream-decoder-');
  afterAll(() => tmp.cleanup());

  it.runIf(recipeAvailable('the decoder export test', [path.join(camvid, 'val')]))(
    'exports an earlier-form checkpoint and re-exports an earlier-form folder without Concat, with the same logits and class maps',
    async () => {
      run(['-c', SETUP, tmp.dir, camvid]);
      const frames = f32(path.join(tmp.dir, 'frames.f32'));
      const reference = f32(path.join(tmp.dir, 'logits.f32'));

      const exported = path.join(tmp.dir, 'new');
      run(['-m', 'training.export', path.join(tmp.dir, 'old.pt'), exported, '--name', 'new-tiny']);
      const folder = path.join(tmp.dir, 'old-folder');
      run([
        '-m',
        'training.export',
        folder,
        folder,
        '--name',
        'old-tiny',
        '--version',
        '1.0.1',
        '--note',
        'decoder test',
      ]);

      for (const dir of [exported, folder]) {
        const { onnxOps, layers } = opsOf(dir);
        expect(onnxOps).not.toContain('Concat');
        expect(onnxOps).toContain('Resize');
        expect(layers).not.toContain('Concatenate');
        expect(layers).toContain('UpSampling2D');
        const card = JSON.parse(readFileSync(path.join(dir, 'model.json'), 'utf8'));
        expect(card.training.decoder).toMatch(/^conv before upsample/);
        const { maxDiff, agreement } = await compare(dir, frames, reference);
        expect(maxDiff).toBeLessThan(1e-4);
        expect(agreement).toBeGreaterThanOrEqual(0.999);
      }
      const card = JSON.parse(readFileSync(path.join(folder, 'model.json'), 'utf8'));
      expect(card.version).toBe('1.0.1');
      expect(card.training.reexports).toEqual([
        expect.objectContaining({ version: '1.0.1', from: '1.0.0', note: 'decoder test' }),
      ]);
    },
    300_000,
  );
});
