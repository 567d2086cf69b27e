"""Validation metrics, computed the way the runtime produces class maps.

For each val frame: preprocess (contract resize to the model input + normalise) -> network ->
argmax over classes at the network's output resolution -> class map resized to the label
resolution (480x360) with nearest, half-pixel centres -> confusion matrix against the label,
Unlabelled (11) ignored. Reported: per-class IoU, mIoU (mean over the 11 classes), pixel accuracy.

Run standalone: /usr/bin/python3 -m training.evaluate CHECKPOINT.pt
"""
from __future__ import annotations

import argparse
import json

import torch

from .data import CLASSES, DEFAULT_ROOT, IGNORE, load_split, preprocess, resize_labels

N = len(CLASSES)


@torch.no_grad()
def predict(net, imgs_u8: torch.Tensor, input_hw, batch: int = 4) -> torch.Tensor:
    """Class maps at the label resolution for uint8 frames [N,3,h,w]."""
    H, W = input_hw
    dev = next(net.parameters()).device
    out = []
    for i in range(0, len(imgs_u8), batch):
        x = preprocess(imgs_u8[i:i + batch], H, W).to(dev)
        cls = net(x).argmax(1).to("cpu", torch.uint8)
        out.append(resize_labels(cls, imgs_u8.shape[-2], imgs_u8.shape[-1]))
    return torch.cat(out)


def confusion(pred: torch.Tensor, lab: torch.Tensor) -> torch.Tensor:
    keep = lab != IGNORE
    idx = lab[keep].long() * N + pred[keep].long()
    return torch.bincount(idx, minlength=N * N).view(N, N)


def metrics(conf: torch.Tensor) -> dict:
    conf = conf.double()
    tp = conf.diag()
    iou = tp / (conf.sum(0) + conf.sum(1) - tp).clamp(min=1)
    return {
        "mIoU": round(float(iou.mean()) * 100, 2),
        "pixelAccuracy": round(float(tp.sum() / conf.sum().clamp(min=1)) * 100, 2),
        "classIoU": {name: round(float(v) * 100, 2) for (name, _), v in zip(CLASSES, iou)},
    }


def evaluate(net, imgs_u8, labs, input_hw) -> dict:
    was = net.training
    net.eval()
    pred = predict(net, imgs_u8, input_hw)
    net.train(was)
    return metrics(confusion(pred, labs))


def main():
    from .checkpoint import load_net
    ap = argparse.ArgumentParser()
    ap.add_argument("checkpoint")
    ap.add_argument("--root", default=DEFAULT_ROOT)
    ap.add_argument("--split", default="val")
    a = ap.parse_args()
    net, ck = load_net(a.checkpoint)
    imgs, labs = load_split(a.root, a.split)
    print(json.dumps(evaluate(net, imgs, labs, ck["spec"]["input_size"]), indent=1))


if __name__ == "__main__":
    main()
