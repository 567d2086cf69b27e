"""Prior correction of a class-weighted network, baked into its classifier bias.

Cross-entropy with class weights w_c trains logits that favour rare classes by about log(w_c)
(the weights act like a shifted class prior). That is what makes rare classes visible, but it also
over-paints them (e.g. Car on large pale surfaces). Subtracting alpha * log(w_c) from the logits
takes back a fraction alpha of that shift. alpha is chosen on the val split (the split meant for
choosing), from a fixed grid, by mIoU; the shift goes into the bias of the final 1x1 conv, so the
exported ONNX and TF.js models, the Python evaluation and the TypeScript runtime all carry it and
nothing changes at run time.

Usage: /usr/bin/python3 -m training.calibrate IN.pt OUT.pt [--alphas 0 0.25 0.5 0.75 1]
"""
from __future__ import annotations

import argparse
import json

import torch

from .checkpoint import load_net, save
from .data import DEFAULT_ROOT, load_split, preprocess, resize_labels
from .evaluate import confusion, metrics


@torch.no_grad()
def val_logits(net, imgs, input_hw, batch: int = 4) -> torch.Tensor:
    H, W = input_hw
    return torch.cat([net(preprocess(imgs[i:i + batch], H, W)) for i in range(0, len(imgs), batch)])


def score(logits: torch.Tensor, shift: torch.Tensor, labs: torch.Tensor) -> dict:
    cls = (logits + shift.view(1, -1, 1, 1)).argmax(1).to(torch.uint8)
    pred = torch.cat([resize_labels(cls[i:i + 16], labs.shape[-2], labs.shape[-1]) for i in range(0, len(cls), 16)])
    return metrics(confusion(pred, labs))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("checkpoint")
    ap.add_argument("out")
    ap.add_argument("--alphas", type=float, nargs="+", default=[0.0, 0.25, 0.5, 0.75, 1.0])
    ap.add_argument("--root", default=DEFAULT_ROOT)
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    net, ck = load_net(a.checkpoint)
    cw = ck.get("class_weights")
    if cw is None:
        raise SystemExit(f"{a.checkpoint} records no class weights: nothing to correct")
    log_w = torch.tensor(cw, dtype=torch.float32).log()
    imgs, labs = load_split(a.root, "val")
    logits = val_logits(net, imgs, ck["spec"]["input_size"])
    results = [(alpha, score(logits, -alpha * log_w, labs)) for alpha in a.alphas]
    for alpha, m in results:
        print(json.dumps({"alpha": alpha, "mIoU": m["mIoU"], "classIoU": m["classIoU"]}))
    alpha, best = max(results, key=lambda r: r[1]["mIoU"])
    conv = net.convs[ck["spec"]["output"]]
    conv.bias.data -= alpha * log_w
    extra = {k: v for k, v in ck.items() if k not in ("spec", "state_dict")}
    extra["metrics"] = {**(ck.get("metrics") or {}), **best}
    extra["calibration"] = {"alpha": alpha, "rule": "logits - alpha * log(class_weights)", "chosen_on": "val mIoU",
                            "grid": a.alphas, "source": a.checkpoint}
    save(a.out, net, ck["spec"], **extra)
    print(f"alpha {alpha}: val mIoU {best['mIoU']} -> {a.out}")


if __name__ == "__main__":
    main()
