import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PYTHON, recipeAvailable } from '../helpers/python.js';
import { createEngine } from '../../src/infer/engine.js';
import { loadModel } from '../../src/infer/model-card.js';
import { resizeToTensor } from '../../src/pixels/tensor.js';
import { repoRoot, sharedDir, tempDir } from '../helpers/media.js';

const camvid = path.join(sharedDir, 'datasets', 'camvid');

describe('training recipe smoke run', () => {
  const tmp = tempDir('segstream-smoke-');
  afterAll(() => tmp.cleanup());

  it.runIf(recipeAvailable('the training smoke test', [camvid]))(
    'trains a few steps, exports ONNX + TF.js, and both engines load and agree',
    async () => {
      const out = path.join(tmp.dir, 'run');
      const r = spawnSync(PYTHON, ['-m', 'training.train', '--smoke', '--root', camvid, '--out', out], {
        cwd: repoRoot,
        encoding: 'utf8',
        timeout: 300_000,
      });
      expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(0);
      const model = await loadModel(path.join(out, 'model'));
      expect(model.files.onnx).toBeDefined();
      expect(model.files.tfjs).toBeDefined();

      const { width, height } = model.card.input;
      const rgb = new Uint8Array(width * height * 3);
      for (let y = 0; y < height; y++) {
        for (let x = 0; x < width; x++) {
          const o = (y * width + x) * 3;
          const road = y > height / 2;
          rgb[o] = road ? 100 : 110 + (x % 40);
          rgb[o + 1] = road ? 100 : 150;
          rgb[o + 2] = road ? 110 : 220 - (y % 30);
        }
      }
      const maps: Uint8Array[] = [];
      for (const name of ['onnx', 'tfjs'] as const) {
        const engine = await createEngine(model, { engine: name });
        try {
          const input = resizeToTensor(rgb, width, height, model.card.input, engine.inputLayout);
          const [seg] = await engine.run([input]);
          maps.push(seg.classMap);
        } finally {
          await engine.dispose();
        }
      }
      let same = 0;
      for (let i = 0; i < maps[0].length; i++) if (maps[0][i] === maps[1][i]) same++;
      expect(maps[0].length).toBeGreaterThan(0);
      expect(same / maps[0].length).toBeGreaterThanOrEqual(0.99);

      // Widening and deepening the trained net must keep its logits (grow.py checks and fails otherwise).
      for (const [file, args] of [
        ['wide.pt', ['--width-mult', '1.5']],
        ['deep.pt', ['--deep', '2']],
      ] as const) {
        const grown = spawnSync(
          PYTHON,
          ['-m', 'training.grow', path.join(out, 'best.pt'), path.join(out, file), ...args],
          { cwd: repoRoot, encoding: 'utf8', timeout: 120_000 },
        );
        expect(grown.status, `${grown.stdout}\n${grown.stderr}`).toBe(0);
        const diff = /max \|logit diff\| (\S+)/.exec(grown.stdout);
        expect(diff, grown.stdout).not.toBeNull();
        expect(Number(diff![1])).toBeLessThan(1e-4);
        const params = /\((\d+) params\) -> .* \((\d+) params\)/.exec(grown.stdout);
        expect(params, grown.stdout).not.toBeNull();
        expect(Number(params![2])).toBeGreaterThan(Number(params![1]));
      }

      // The prior correction with per-class offsets bakes its shift into the classifier bias; calibrate.py
      // re-runs the net and fails if the baked bias does not give the shifted logits it chose on.
      const cal = spawnSync(
        PYTHON,
        [
          '-m',
          'training.calibrate',
          path.join(out, 'best.pt'),
          path.join(out, 'cal.pt'),
          '--per-class',
          '--limit',
          '6',
          '--root',
          camvid,
        ],
        { cwd: repoRoot, encoding: 'utf8', timeout: 180_000 },
      );
      expect(cal.status, `${cal.stdout}\n${cal.stderr}`).toBe(0);
      const drift = /bias check: max \|logit diff\| (\S+)/.exec(cal.stdout);
      expect(drift, cal.stdout).not.toBeNull();
      expect(Number(drift![1])).toBeLessThan(1e-4);
      const folds = cal.stdout
        .split('\n')
        .filter((l) => l.startsWith('{"fold"'))
        .map((l) => JSON.parse(l).fold);
      expect(folds).toHaveLength(2);
      for (const f of folds) expect(typeof f.held_out_mIoU_after).toBe('number');
      const pooled = cal.stdout.split('\n').find((l) => l.startsWith('{"two_fold_pooled"'));
      expect(pooled, cal.stdout).toBeDefined();
      expect(Object.keys(JSON.parse(pooled!).two_fold_pooled.classIoU)).toHaveLength(11);
      // What calibrate.py baked into the bias is what calibration_shift reads back from its record (the
      // distillation teacher's logits are un-calibrated with it).
      const undo = spawnSync(
        PYTHON,
        [
          '-c',
          `
import torch
from training.checkpoint import load_net
from training.data import CLASSES
from training.model_folder import calibration_shift
net0, ck0 = load_net(${JSON.stringify(path.join(out, 'best.pt'))})
net1, ck1 = load_net(${JSON.stringify(path.join(out, 'cal.pt'))})
out = ck0["spec"]["output"]
baked = net1.convs[out].bias.detach() - net0.convs[out].bias.detach()
read = calibration_shift(ck1["calibration"], torch.tensor(ck1["class_weights"]), [n for n, _ in CLASSES])
print(float((baked - read).abs().max()))
`,
        ],
        { cwd: repoRoot, encoding: 'utf8', timeout: 120_000 },
      );
      expect(undo.status, undo.stderr).toBe(0);
      expect(Number(undo.stdout.trim())).toBeLessThan(1e-5);
      // The exported card states the offsets and the cross-validated figure next to the fitted one.
      const calModel = path.join(out, 'cal-model');
      const exp = spawnSync(
        PYTHON,
        ['-m', 'training.export', path.join(out, 'cal.pt'), calModel, '--name', 'smoke-cal'],
        { cwd: repoRoot, encoding: 'utf8', timeout: 180_000 },
      );
      expect(exp.status, `${exp.stdout}\n${exp.stderr}`).toBe(0);
      const card = JSON.parse(readFileSync(path.join(calModel, 'model.json'), 'utf8'));
      const calibration = card.training.calibration;
      expect(calibration.twoFoldCheck).toHaveLength(2);
      expect(calibration.twoFoldPooled.mIoU).toBe(JSON.parse(pooled!).two_fold_pooled.mIoU);
      expect(typeof calibration.beforeOffsets.mIoU).toBe('number');
      expect(calibration.perClassOffsets).toBeTypeOf('object');
    },
    420_000,
  );
});
