"""A shipped model folder back in PyTorch: its ONNX weights in the net its card names, for the Python
evaluation (`load_any`; `calibration_shift` undoes a card's calibration, for distillation) and as a
trainable start for fine-tuning (`unfold`).

The card's `training.arch` and `training.settings` (`width_mult`, `deep`) rebuild the layer graph
(nets.py); the ONNX initialisers `convs.<node>.weight/bias` are the BatchNorm-folded weights
(export.py), checked shape by shape; a decoder skip's kernel is read from either export form (graph.py
`skipconv`: split over its two inputs now, whole over the concat before). `unfold` turns them into a
trainable `GraphNet` whose logits in eval mode equal the folded net's: each conv keeps the folded
kernel, and its BatchNorm gets running
statistics measured on real frames with scale and shift chosen so it passes the conv output through
plus the folded bias (so in train mode, with batch statistics, the net starts close to the shipped
one). Rescaling the kernels to a fresh conv's spread first (fan-in or fan-out) made no difference
to how far 5 optimiser steps moved CamVid val (67.8 kept, 67.5 fan-in, 66.9 fan-out), so they are
kept as they are.

    /usr/bin/python3 -m training.model_folder models/camvid-default training/runs/joint/init.pt
"""
from __future__ import annotations

import argparse
import json
import os

import torch
import torch.nn as nn

from .graph import CONV_OPS, FoldedNet, GraphNet
from .nets import build


def load_folder(folder: str) -> tuple[FoldedNet, dict, dict]:
    """(folded net in eval mode, spec, card) of a model folder written by export.py."""
    import onnx
    from onnx import numpy_helper
    with open(os.path.join(folder, "model.json")) as f:
        card = json.load(f)
    t = card.get("training") or {}
    if "arch" not in t:
        raise SystemExit(f"{folder}/model.json has no training.arch: only models made by training/ can be rebuilt")
    s = t.get("settings") or {}
    spec = build(t["arch"], card["input"]["height"], card["input"]["width"], width_mult=s.get("width_mult"),
                 deep=s.get("deep", 0))
    inits = {i.name: torch.from_numpy(numpy_helper.to_array(i).copy())
             for i in onnx.load(os.path.join(folder, card["engines"]["onnx"]["file"])).graph.initializer}
    weights = {}
    for n in spec["nodes"]:
        if n["op"] not in CONV_OPS:
            continue
        w, b = _folder_weights(inits, n)
        want = (n["cout"], 1 if n["op"] == "dwconv" else n["cin"], *n["k"])
        if tuple(w.shape) != want:
            raise SystemExit(f"{folder}: {n['name']} weight is {tuple(w.shape)}, the card's net needs {want}")
        weights[n["name"]] = (w.float(), b.float())
    return FoldedNet(spec, weights).eval(), spec, card


def _folder_weights(inits: dict, n: dict) -> tuple[torch.Tensor, torch.Tensor]:
    """A node's folded (weight, bias) from ONNX initialisers. A skipconv exported in the
    conv-before-upsample form holds its kernel as `low` (no bias) and `skip` halves, concatenated
    back over the input channels; one exported before it holds the whole kernel of the conv that
    read the concat, under the same node name."""
    key = f"convs.{n['name']}"
    if n["op"] == "skipconv" and f"{key}.low.weight" in inits:
        return torch.cat([inits[f"{key}.low.weight"], inits[f"{key}.skip.weight"]], 1), inits[f"{key}.skip.bias"]
    return inits[f"{key}.weight"], inits[f"{key}.bias"]


def load_any(path: str):
    """(net in eval mode, spec, calibration record or None) from a model folder or a training checkpoint."""
    if os.path.isdir(path):
        net, spec, card = load_folder(path)
        return net, spec, (card.get("training") or {}).get("calibration")
    from .checkpoint import load_net
    net, ck = load_net(path)
    return net, ck["spec"], ck.get("calibration")


def calibration_shift(calibration: dict | None, class_weights: torch.Tensor, names: list[str]) -> torch.Tensor:
    """The logit shift `training/calibrate.py` baked into a classifier bias (-alpha * log(w) plus the
    per-class offsets), from a card's `training.calibration` or a checkpoint's `calibration`; zero
    when there is none. Subtracting it gives the net's uncalibrated logits back."""
    shift = torch.zeros(len(names))
    if not calibration:
        return shift
    shift -= float(calibration.get("alpha", 0.0)) * class_weights.float().log()
    offsets = calibration.get("perClassOffsets", calibration.get("per_class_offsets")) or {}
    for name, v in offsets.items():
        shift[names.index(name)] += float(v)
    return shift


@torch.no_grad()
def unfold(folded: FoldedNet, spec: dict, frames: torch.Tensor) -> GraphNet:
    """A trainable GraphNet equal to `folded` in eval mode; BatchNorm statistics from `frames`
    (normalised network inputs [N,3,H,W])."""
    outs: dict[str, list[torch.Tensor]] = {}
    hooks = [conv.register_forward_hook(lambda m, i, o, name=name: outs.setdefault(name, []).append(o))
             for name, conv in folded.convs.items()]
    for i in range(0, len(frames), 4):
        folded(frames[i:i + 4])
    for h in hooks:
        h.remove()
    net = GraphNet(spec)
    for name, m in net.convs.items():
        w, b = folded.convs[name].weight, folded.convs[name].bias
        if isinstance(m, nn.Sequential):
            conv, bn = m[0], m[1]
            y = torch.cat(outs[name]).transpose(0, 1).reshape(w.shape[0], -1)  # folded conv output per channel
            mean, var = y.mean(1) - b, y.var(1, unbiased=False)
            # eval: gamma (wx - mean) / sqrt(var + eps) + beta = wx + b
            conv.weight.copy_(w)
            bn.running_mean.copy_(mean)
            bn.running_var.copy_(var)
            bn.weight.copy_(torch.sqrt(var + bn.eps))
            bn.bias.copy_(b + mean)
        else:
            m.weight.copy_(w)
            m.bias.copy_(b)
    return net.eval()


def main():
    from . import checkpoint
    from .data import DEFAULT_ROOT, load_split, preprocess
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("folder")
    ap.add_argument("out", help="checkpoint to write (usable as train.py --init)")
    ap.add_argument("--root", default=DEFAULT_ROOT, help="CamVid root (train frames for the BatchNorm statistics)")
    ap.add_argument("--frames", type=int, default=32)
    a = ap.parse_args()
    folded, spec, card = load_folder(a.folder)
    H, W = spec["input_size"]
    imgs, _ = load_split(a.root, "train", a.frames)
    x = preprocess(imgs, H, W)
    net = unfold(folded, spec, x)
    diff = (net(x[:2]) - folded(x[:2])).abs().max().item()
    print(f"unfolded {card['name']}: max |logit diff| {diff:.2e} (eval mode)")
    if diff > 1e-3:
        raise SystemExit("unfolding changed the logits")
    os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
    checkpoint.save(a.out, net, spec, unfolded_from=os.path.abspath(a.folder), metrics=card.get("metrics"))


if __name__ == "__main__":
    main()
