"""Prior correction of a class-weighted network, baked into its classifier bias.

Cross-entropy with class weights w_c trains logits that favour rare classes by about log(w_c)
(the weights act like a shifted class prior). That is what makes rare classes visible, but it also
over-paints them (e.g. Car on large pale surfaces). Subtracting alpha * log(w_c) from the logits
takes back a fraction alpha of that shift. alpha is chosen on the val split (the split meant for
choosing), from a fixed grid, by mIoU; the shift goes into the bias of the final 1x1 conv, so the
exported ONNX and TF.js models, the Python evaluation and the TypeScript runtime all carry it and
nothing changes at run time.

`--per-class` then tunes one extra offset per class on top of that shift, by coordinate ascent on val
mIoU over a fixed grid (a move is kept only if it gains at least --min-gain points). Since the offsets
are fitted on val, a two-fold check is printed and recorded: the offsets are tuned on one half of val
(frames in name order) and scored on the other half, both ways; held-out gains in both folds say the
offsets carry over to frames they were not fitted on.

Usage: /usr/bin/python3 -m training.calibrate IN.pt OUT.pt [--alphas 0 0.25 0.5 0.75 1] [--per-class]
"""
from __future__ import annotations

import argparse
import json

import torch

from .checkpoint import load_net, save
from .data import DEFAULT_ROOT, IGNORE, load_split, preprocess, resize_labels
from .evaluate import N, confusion, metrics


@torch.no_grad()
def val_logits(net, imgs, input_hw, batch: int = 4) -> torch.Tensor:
    H, W = input_hw
    return torch.cat([net(preprocess(imgs[i:i + batch], H, W)) for i in range(0, len(imgs), batch)])


def conf_of(logits: torch.Tensor, shift: torch.Tensor, labs: torch.Tensor) -> torch.Tensor:
    cls = (logits + shift.view(1, -1, 1, 1)).argmax(1).to(torch.uint8)
    pred = torch.cat([resize_labels(cls[i:i + 16], labs.shape[-2], labs.shape[-1]) for i in range(0, len(cls), 16)])
    return confusion(pred, labs)


class Scorer:
    """`conf_of`'s confusion matrices, fast enough for the offset search.

    The class map is the argmax at the net's output resolution, resized nearest to the labels'
    size, so every label pixel takes its class from one fixed logit pixel. That mapping and the
    labels are compressed once into (logit pixel, label, count) triples; a confusion matrix is then a
    gather and a weighted bincount over the triples instead of a resize and a bincount over every
    label pixel. Coordinate ascent moves one class's offset at a time: `sweep` takes the best other
    class per pixel once and scores each grid value with a comparison instead of a fresh argmax
    (ties go to the lower class index, as argmax's). `main` checks the chosen shift against
    `conf_of`."""

    def __init__(self, logits: torch.Tensor, labs: torch.Tensor):
        n, _, h, w = logits.shape
        src = resize_labels(torch.arange(h * w, dtype=torch.int32).view(1, h, w), *labs.shape[-2:])[0].long()
        keep = labs != IGNORE
        pix = (torch.arange(n).view(n, 1, 1) * (h * w) + src)[keep]
        key, cnt = torch.unique(pix * N + labs[keep].long(), return_counts=True)
        self.pix, self.lab, self.cnt = key // N, key % N, cnt.double()
        self.logits = logits

    def conf(self, cls_at_pix: torch.Tensor) -> torch.Tensor:
        """Confusion [truth, prediction] from the predicted class at each triple's logit pixel."""
        idx = self.lab * N + cls_at_pix
        return torch.bincount(idx, weights=self.cnt, minlength=N * N).view(N, N).round().long()

    def conf_at(self, shift: torch.Tensor) -> torch.Tensor:
        cls = (self.logits + shift.view(1, -1, 1, 1)).argmax(1).flatten()
        return self.conf(cls[self.pix])

    def score(self, shift: torch.Tensor) -> dict:
        return metrics(self.conf_at(shift))

    def sweep(self, shift: torch.Tensor, c: int, values: list[float]) -> list[torch.Tensor]:
        """Confusion matrices with class c's entry of `shift` replaced by each of `values` (the rest as
        given)."""
        z = self.logits + shift.view(1, -1, 1, 1)
        zc = self.logits[:, c].flatten()[self.pix]
        z[:, c] = float("-inf")
        oi = z.argmax(1, keepdim=True)
        om = z.gather(1, oi).flatten()[self.pix]
        oi = oi.flatten()[self.pix]
        out = []
        for v in values:
            zv = zc + torch.tensor(v, dtype=self.logits.dtype)
            win = (zv > om) | ((zv == om) & (oi > c))
            out.append(self.conf(torch.where(win, torch.full_like(oi, c), oi)))
        return out


OFFSETS = [-3.0, -2.5, -2.0, -1.5, -1.25, -1.0, -0.75, -0.5, -0.25, 0.0, 0.25, 0.5, 0.75, 1.0, 1.5]


def tune_offsets(scorer: Scorer, shift: torch.Tensor, grid=OFFSETS, rounds: int = 2,
                 min_gain: float = 0.05) -> torch.Tensor:
    """Per-class offsets added to `shift`, by coordinate ascent on mIoU (ties go to the smaller offset)."""
    off = torch.zeros_like(shift)
    cur = scorer.score(shift)["mIoU"]
    for _ in range(rounds):
        moved = False
        for c in range(len(shift)):
            best_m, best_d = cur, float(off[c])
            cand = [d for d in grid if d != float(off[c])]
            confs = scorer.sweep(shift + off, c, [float(shift[c] + d) for d in cand])
            for d, m in zip(cand, (metrics(k)["mIoU"] for k in confs)):
                if m > best_m + 1e-9 or (m == best_m and abs(d) < abs(best_d)):
                    best_m, best_d = m, d
            if best_d != float(off[c]) and best_m >= cur + min_gain:
                off[c], cur, moved = best_d, best_m, True
        if not moved:
            break
    return off


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("checkpoint")
    ap.add_argument("out")
    ap.add_argument("--alphas", type=float, nargs="+", default=[0.0, 0.25, 0.5, 0.75, 1.0])
    ap.add_argument("--per-class", action="store_true", help="also tune one offset per class on val (see above)")
    ap.add_argument("--min-gain", type=float, default=0.05, help="mIoU points a per-class move must gain")
    ap.add_argument("--limit", type=int, default=None, help="use only the first N val frames (smoke tests)")
    ap.add_argument("--root", default=DEFAULT_ROOT)
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    net, ck = load_net(a.checkpoint)
    cw = ck.get("class_weights")
    if cw is None:
        raise SystemExit(f"{a.checkpoint} records no class weights: nothing to correct")
    log_w = torch.tensor(cw, dtype=torch.float32).log()
    imgs, labs = load_split(a.root, "val", a.limit)
    logits = val_logits(net, imgs, ck["spec"]["input_size"])
    full = Scorer(logits, labs)
    results = [(alpha, full.score(-alpha * log_w)) for alpha in a.alphas]
    for alpha, m in results:
        print(json.dumps({"alpha": alpha, "mIoU": m["mIoU"], "classIoU": m["classIoU"]}))
    alpha, best = max(results, key=lambda r: r[1]["mIoU"])
    shift = -alpha * log_w
    calibration = {"alpha": alpha, "rule": "logits - alpha * log(class_weights)", "chosen_on": "val mIoU",
                   "grid": a.alphas, "source": a.checkpoint}
    if a.per_class:
        best_alpha = best
        names = list(best["classIoU"])
        half = len(logits) // 2
        folds = [(slice(0, half), slice(half, None), f"frames 1-{half}"),
                 (slice(half, None), slice(0, half), f"frames {half + 1}-{len(logits)}")]
        check, pooled = [], 0
        for fit, held, label in folds:
            off = tune_offsets(Scorer(logits[fit], labs[fit]), shift, min_gain=a.min_gain)
            held_scorer = Scorer(logits[held], labs[held])
            after = held_scorer.conf_at(shift + off)
            pooled = pooled + after
            check.append({"tuned_on": label, "held_out_mIoU_before": held_scorer.score(shift)["mIoU"],
                          "held_out_mIoU_after": metrics(after)["mIoU"],
                          "offsets": {n: float(v) for n, v in zip(names, off) if v}})
            print(json.dumps({"fold": check[-1]}), flush=True)
        # Every val frame scored with offsets fitted on the other half: a cross-validated estimate.
        held_out = metrics(pooled)
        print(json.dumps({"two_fold_pooled": held_out}))
        off = tune_offsets(full, shift, min_gain=a.min_gain)
        shift = shift + off
        best = full.score(shift)
        calibration.update(per_class_offsets={n: float(v) for n, v in zip(names, off) if v},
                           per_class_rule="plus one offset per class, coordinate ascent on val mIoU over "
                                          f"{OFFSETS}, min gain {a.min_gain}",
                           two_fold_check=check, two_fold_pooled={k: held_out[k] for k in ("mIoU", "classIoU")},
                           before_offsets={k: best_alpha[k] for k in ("mIoU", "classIoU")})
        print(json.dumps({"per_class_offsets": calibration["per_class_offsets"], "mIoU": best["mIoU"],
                          "classIoU": best["classIoU"]}))
    # The search's fast confusion matrices must be the plain ones (resize, then count every pixel).
    assert torch.equal(full.conf_at(shift), conf_of(logits, shift, labs)), "Scorer disagrees with conf_of"
    conv = net.convs[ck["spec"]["output"]]
    conv.bias.data += shift
    # The baked bias must reproduce exactly the shifted logits the choice was made on.
    drift = float((val_logits(net, imgs[:4], ck["spec"]["input_size"]) - (logits[:4] + shift.view(1, -1, 1, 1)))
                  .abs().max())
    assert drift < 1e-4, f"baked bias does not reproduce the chosen shift (max |diff| {drift:.2e})"
    print(f"bias check: max |logit diff| {drift:.2e}")
    extra = {k: v for k, v in ck.items() if k not in ("spec", "state_dict")}
    # IDD figures of the uncalibrated net no longer hold: re-measure with training.idd
    extra["metrics"] = {**{k: v for k, v in (ck.get("metrics") or {}).items() if k != "idd"}, **best}
    extra["calibration"] = calibration
    save(a.out, net, ck["spec"], **extra)
    print(f"alpha {alpha}{' + per-class offsets' if a.per_class else ''}: val mIoU {best['mIoU']} -> {a.out}")


if __name__ == "__main__":
    main()
