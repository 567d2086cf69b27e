import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PYTHON, recipeAvailable } from '../helpers/python.js';
import { CAMVID_TO_IDD, IDD_GROUPS } from '../../src/datasets/label-maps.js';
import { sequenceFold } from '../../src/datasets/folds.js';
import { loadModel } from '../../src/infer/model-card.js';
import { repoRoot, sharedDir, tempDir } from '../helpers/media.js';

const camvid = path.join(sharedDir, 'datasets', 'camvid');
const idd = path.join(sharedDir, 'datasets', 'idd_lite');

const python = (code: string) => {
  const r = spawnSync(PYTHON, ['-c', code], { cwd: repoRoot, encoding: 'utf8', timeout: 120_000 });
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout);
};

describe.runIf(recipeAvailable('the joint recipe tests'))(
  'joint CamVid + IDD recipe: shared tables and the partial-label loss',
  () => {
    it('Python and TypeScript share the group table and the fold rule', () => {
      const py = python(
        'import json; from training import idd; print(json.dumps({"groups": idd.GROUPS, "table": idd.CAMVID_TO_IDD, "folds": {s: idd.sequence_fold(s) for s in ["0", "1", "2", "10", "11", "20", "309", "seq-ä"]}}))',
      );
      expect(py.groups).toEqual([...IDD_GROUPS]);
      expect(py.table).toEqual({ ...CAMVID_TO_IDD });
      for (const [s, f] of Object.entries(py.folds)) expect([s, sequenceFold(s)]).toEqual([s, f]);
    });

    it("an IDD pixel's group rewards the summed probability of the classes mapped to it", () => {
      // Logits over the 11 classes for 3 pixels labelled vehicles: all mass on Car, split between Car and
      // Bicyclist, all mass on Pedestrian. The loss is -log(p_Car + p_Bicyclist) in each case.
      const py = python(`
import json, torch
from training import idd
from training.data import CLASSES
names = [n for n, _ in CLASSES]
def px(**hot):
    v = torch.full((11,), -8.0)
    for n, x in hot.items(): v[names.index(n)] = x
    return v
logits = torch.stack([px(Car=8.0), px(Car=8.0, Bicyclist=8.0), px(Pedestrian=8.0)]).T.reshape(1, 11, 1, 3)
y = torch.full((1, 1, 3), idd.GROUPS.index("vehicles"))
p = logits.softmax(1)[0, :, 0]
per = [float(idd.partial_label_loss(logits[..., i:i + 1], y[..., i:i + 1])) for i in range(3)]
want = [float(-torch.log(p[names.index("Car"), i] + p[names.index("Bicyclist"), i])) for i in range(3)]
void = float(idd.partial_label_loss(logits, torch.full((1, 1, 3), idd.VOID)))
print(json.dumps({"per": per, "want": want, "groupSum": float(idd.group_logits(logits).softmax(1).sum(1).sub(1).abs().max()), "void": void}))
`);
      for (let i = 0; i < 3; i++) expect(py.per[i]).toBeCloseTo(py.want[i], 5);
      expect(py.per[0]).toBeLessThan(0.01);
      expect(py.per[1]).toBeLessThan(0.01);
      expect(py.per[2]).toBeGreaterThan(10);
      expect(py.groupSum).toBeLessThan(1e-5);
      expect(Math.abs(py.void)).toBe(0); // every pixel void: nothing to learn, and no NaN to spoil the weights
    });

    it('distillation pulls towards the teacher only where the teacher is right by the labels (or they are void)', () => {
      // 4 pixels, labels Road, Road, Car, void; the teacher says Road, Road, Road, Sky. The student agrees
      // with the teacher on pixel 0 and disagrees on 1, 2 and 3. Pixel 2 (teacher wrong: a bonnet it
      // would paint as road) must not count; pixels 1 and 3 must.
      const py = python(`
import json, torch
from training.data import CLASSES, IGNORE
from training.losses import distill_loss
names = [n for n, _ in CLASSES]
def px(name):
    v = torch.zeros(11); v[names.index(name)] = 6.0; return v
cols = lambda *ns: torch.stack([px(n) for n in ns]).T.reshape(1, 11, 1, len(ns))
teacher = cols("Road", "Road", "Road", "Sky")
student = cols("Road", "Car", "Car", "Car")
labels = torch.tensor([[[names.index("Road"), names.index("Road"), names.index("Car"), IGNORE]]])
same = float(distill_loss(teacher, teacher, labels, IGNORE))
full = float(distill_loss(student, teacher, labels, IGNORE))
one = float(distill_loss(student[..., 1:2], teacher[..., 1:2], labels[..., 1:2], IGNORE))
wrong_only = float(distill_loss(student[..., 2:3], teacher[..., 2:3], labels[..., 2:3], IGNORE))
print(json.dumps({"same": same, "full": full, "one": one, "wrongOnly": wrong_only}))
`);
      expect(Math.abs(py.same)).toBeLessThan(1e-6);
      expect(py.one).toBeGreaterThan(1);
      expect(py.wrongOnly).toBe(0);
      // mean over the 3 counted pixels: 0 (agrees), one, and pixel 3 (same logits as pixel 1 up to the class)
      expect(py.full).toBeCloseTo((2 * py.one) / 3, 4);
    });
  },
);

describe('joint recipe smoke run', () => {
  const tmp = tempDir('segstream-joint-');
  afterAll(() => tmp.cleanup());

  it.runIf(recipeAvailable('the joint recipe smoke run', [camvid, path.join(idd, 'leftImg8bit', 'train')]))(
    'fine-tunes a shipped model a few joint steps with the robustness augmentation in a worker process, evaluates the held-out IDD fold, exports',
    async () => {
      const out = path.join(tmp.dir, 'run');
      // Fine-tunes the shipped camvid-fast (unfolded from its ONNX weights) on small crops, as the GPU schedule does camvid-default.
      const args = ['--init', path.join(repoRoot, 'models', 'camvid-fast'), '--input', '352x480', '--crop', '128x128'];
      // ... distilling its CamVid crops towards the shipped model it started from (with its calibration taken out)
      args.push('--teacher', path.join(repoRoot, 'models', 'camvid-fast'), '--log-every', '1');
      const r = spawnSync(
        PYTHON,
        [
          '-m',
          'training.train',
          '--smoke',
          '--idd',
          '--robust',
          '--bonnet',
          '1',
          '--workers',
          '1',
          ...args,
          '--root',
          camvid,
          '--idd-root',
          idd,
          '--out',
          out,
        ],
        {
          cwd: repoRoot,
          encoding: 'utf8',
          timeout: 300_000,
        },
      );
      expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(0);
      expect(r.stdout).toMatch(/idd: 8 train frames, holdout folds \[0\] = 4 frames/);
      expect(r.stdout).toMatch(/idd holdout mIoU [\d.]+ drivable [\d.]+ vehicles [\d.]+/);
      expect(r.stdout).toMatch(/teacher .*camvid-fast: distill weight 1(\.0)? at T=2(\.0)? on CamVid crops/);
      expect(r.stdout).toMatch(/\(distill part [\d.]+\)/);
      const metrics = JSON.parse(readFileSync(path.join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').at(-1)!);
      expect(Object.keys(metrics.idd.groupIoU)).toEqual([...IDD_GROUPS]);
      expect(metrics.idd.frames).toBe(4);
      const model = await loadModel(path.join(out, 'model'));
      expect(model.card.classes).toHaveLength(11);
      const training = model.card.training as { data: string; settings: Record<string, unknown> };
      expect(training.data).toContain('IDD-Lite');
      expect(training.settings).toMatchObject({ idd: true, robust: true, bonnet: 1, idd_holdout: '0' });
      const earlier = (model.card.training as { earlierStages: { startedFrom?: string }[] }).earlierStages;
      expect(earlier[0].startedFrom).toContain('camvid-fast');
    },
  );
});
