import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { PYTHON, recipeAvailable } from '../helpers/python.js';
import { repoRoot } from '../helpers/media.js';

describe.runIf(recipeAvailable('the calibration search test'))('training/calibrate.py: the fast offset search', () => {
  it('gives every candidate shift the confusion matrix the plain resize-and-count gives, ties included', () => {
    // Logits at half the labels' size with a label-correlated bump, so the search has something to
    // find; some logits are made equal across classes to exercise argmax's tie rule (lower class wins).
    const code = `
import json, torch
from training.calibrate import Scorer, conf_of
from training.data import resize_labels
torch.manual_seed(3)
lab = torch.randint(0, 12, (5, 90, 120), dtype=torch.uint8)
small = resize_labels(lab.clamp(max=10), 44, 60).long()
L = torch.randn(5, 11, 44, 60) * 1.5 + 2.0 * torch.nn.functional.one_hot(small, 11).permute(0, 3, 1, 2).float()
L = (L * 4).round() / 4          # coarse values: many exact ties between classes
shift = (torch.randn(11) * 0.5 * 4).round() / 4
sc = Scorer(L, lab)
bad = []
if not torch.equal(sc.conf_at(shift), conf_of(L, shift, lab)):
    bad.append("conf_at")
for c in range(11):
    values = [float(shift[c] + d) for d in (-1.5, -0.25, 0.0, 0.5, 1.25)]
    for v, k in zip(values, sc.sweep(shift, c, values)):
        t = shift.clone(); t[c] = v
        if not torch.equal(k, conf_of(L, t, lab)):
            bad.append([c, v])
print(json.dumps({"bad": bad, "checked": 11 * 5}))
`;
    const r = spawnSync(PYTHON, ['-c', code], { cwd: repoRoot, encoding: 'utf8', timeout: 120_000 });
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.checked).toBe(55);
    expect(out.bad).toEqual([]);
  });
});
