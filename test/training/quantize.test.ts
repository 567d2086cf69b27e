import { spawnSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, describe, expect, it } from 'vitest';
import { classMapAgreement } from '../helpers/agreement.js';
import { PYTHON, recipeAvailable } from '../helpers/python.js';
import { createEngine } from '../../src/infer/engine.js';
import { loadModel } from '../../src/infer/model-card.js';
import { runCli } from '../helpers/cli.js';
import { repoRoot, sharedDir, tempDir } from '../helpers/media.js';

const camvid = path.join(sharedDir, 'datasets', 'camvid');
const floatModel = path.join(repoRoot, 'models', 'camvid-default');

describe('training/quantize.py: the INT8 variant of a model folder', () => {
  const tmp = tempDir('segstream-int8-');
  afterAll(() => tmp.cleanup());

  it.runIf(recipeAvailable('the INT8 recipe test', [path.join(camvid, 'train')]))(
    'calibrates on CamVid train, runs on integer kernels, agrees with the float model and refuses TF.js',
    async () => {
      const out = path.join(tmp.dir, 'int8');
      const r = spawnSync(
        PYTHON,
        [
          '-m',
          'training.quantize',
          floatModel,
          out,
          '--name',
          'int8-smoke',
          '--frames',
          '4',
          '--root',
          camvid,
          '--no-eval',
        ],
        { cwd: repoRoot, encoding: 'utf8', timeout: 180_000 },
      );
      expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(0);

      const model = await loadModel(out);
      expect(model.card.name).toBe('int8-smoke');
      expect(model.card.engines.tfjs).toBeUndefined();
      expect(
        (model.card.training as { quantization: { calibration: { frames: number } } }).quantization.calibration.frames,
      ).toBe(4);
      // int8 weights: well under half the float file.
      expect(statSync(model.files.onnx!).size).toBeLessThan(0.5 * statSync(path.join(floatModel, 'model.onnx')).size);

      // ONNX Runtime's optimised graph (the level the engine uses) runs the convs as integer kernels.
      const optimised = path.join(tmp.dir, 'optimised.onnx');
      const session = await ort.InferenceSession.create(model.files.onnx!, {
        graphOptimizationLevel: 'all',
        intraOpNumThreads: 1,
        optimizedModelFilePath: optimised,
      });
      await session.release();
      const ops = spawnSync(
        PYTHON,
        [
          '-c',
          'import collections, onnx, sys; print(dict(collections.Counter(n.op_type for n in onnx.load(sys.argv[1]).graph.node)))',
          optimised,
        ],
        { encoding: 'utf8' },
      );
      expect(ops.status, ops.stderr).toBe(0);
      expect(ops.stdout).toMatch(/'QLinearConv': (4\d|5\d)/);

      // Real CamVid val frames through the runtime's preprocessing: the class maps of the INT8 and the
      // float model agree on almost every pixel.
      const float = await loadModel(floatModel);
      const a = await createEngine(model, { engine: 'onnx', threads: 1 });
      const b = await createEngine(float, { engine: 'onnx', threads: 1 });
      try {
        const agreement = await classMapAgreement(a, b, path.join(camvid, 'val'), 25);
        expect(agreement).toBeGreaterThanOrEqual(AGREEMENT);
      } finally {
        await a.dispose();
        await b.dispose();
      }

      const cli = await runCli([
        path.join(sharedDir, 'samples', 'solidWhiteRight.mp4'),
        '-o',
        path.join(tmp.dir, 'x.mp4'),
        '--model',
        out,
        '--engine',
        'tfjs',
      ]);
      expect(cli.code).toBe(1);
      expect(cli.stderr).toMatch(/SEGSTREAM_ERR_ENGINE_UNAVAILABLE: .*no tfjs files.*use --engine onnx/);
      expect(readFileSync(path.join(out, 'model.json'), 'utf8')).toMatch(/TF\.js cannot run it/);
    },
    240_000,
  );
});

/** Share of pixels on which the INT8 and float class maps must agree: measured 99.5 % (4 or 100 calibration frames). */
const AGREEMENT = 0.98;
