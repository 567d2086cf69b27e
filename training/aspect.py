"""How the shipped net meets wide frames: CamVid val cropped to wide views, scored per way of fitting.

    /usr/bin/python3 -m training.aspect models/camvid-default [--band centre|lower] [--out FILE.json]

Each val frame (480x360) and its label are cropped alike to full width and the height of a wide
aspect (16:9 -> 480x270, 2:1 -> 480x240, 3.31:1 as KITTI's 1242x375 -> 480x145), in the vertical
centre (`--band centre`) or at the bottom (`--band lower`). Each view is then fitted to the net:

  stretch    resized to the card's 480x352 whatever its aspect (what runs did before)
  aspect     resized to a per-run size of the view's aspect at about the same pixel count, both
             sides multiples of 32 (`input_size_for`, the rule the runtime uses)
  letterbox  resized to fit inside 480x352 keeping its aspect, padded with the mean colour
             (zeros after normalisation); only the picture's part of the output is scored
  native     resized to 480 wide, height rounded to a multiple of 32 (a control: the objects keep
             the scale CamVid training saw, at fewer pixels)

Scores: mIoU over the classes present in the view (labels or predictions; all 11 in the centred
views) and Road/Car IoU against the cropped labels (the runtime's
protocol: argmax at output resolution, class map resized nearest half-pixel to the view), and the
agreement with the net's own class map on the uncropped 4:3 frame cropped the same way (`agree`,
pixel %, label-free: how much the fit changes what the net says).
"""
from __future__ import annotations

import argparse
import json
import math
import time

import torch
import torch.nn.functional as F

from .data import CLASSES, DEFAULT_ROOT, load_split, normalise, resize_labels, resize_rgb
from .evaluate import confusion, metrics
from .model_folder import load_folder

ASPECTS = {"16:9": 16 / 9, "2:1": 2.0, "3.31:1": 1242 / 375}
ROAD, CAR = 3, 8


def input_size_for(src_w: int, src_h: int, budget: int, multiple: int) -> tuple[int, int]:
    """(width, height) of a source's aspect at about `budget` pixels: the shorter side is rounded to
    a multiple first, then the longer side from the aspect (the runtime's `inputSizeFor`)."""
    a = src_w / src_h
    snap = lambda v: max(multiple, math.floor(v / multiple + 0.5) * multiple)  # as JS Math.round
    if a >= 1:
        h = snap(math.sqrt(budget / a))
        return snap(h * a), h
    w = snap(math.sqrt(budget * a))
    return w, snap(w / a)


@torch.no_grad()
def classes_of(net, x: torch.Tensor) -> torch.Tensor:
    return torch.cat([net(x[i:i + 4]).argmax(1).to(torch.uint8) for i in range(0, len(x), 4)])


def fit(net, imgs: torch.Tensor, how: str, nominal: tuple[int, int]) -> tuple[torch.Tensor, tuple[int, int]]:
    """Class maps at the views' size for uint8 views [N,3,h,w], and the net's input size (w, h)."""
    NW, NH = nominal
    h, w = imgs.shape[-2:]
    f = imgs.float()
    if how == "stretch":
        size = (NW, NH)
    elif how == "aspect":
        size = input_size_for(w, h, NW * NH, 32)
    elif how == "native":
        size = (NW, max(32, round(h * NW / w / 32) * 32))
    elif how == "letterbox":
        s = min(NW / w, NH / h)
        cw, ch = round(w * s), round(h * s)
        x0, y0 = (NW - cw) // 2, (NH - ch) // 2
        x = torch.zeros(len(imgs), 3, NH, NW)
        x[:, :, y0:y0 + ch, x0:x0 + cw] = normalise(resize_rgb(f, ch, cw))
        cls = classes_of(net, x)
        # the output is at stride 2: take the picture's part of it
        os_ = NW // cls.shape[-1]
        part = cls[:, y0 // os_:(y0 + ch) // os_, x0 // os_:(x0 + cw) // os_]
        return resize_labels(part, h, w), (NW, NH)
    else:
        raise ValueError(how)
    cls = classes_of(net, normalise(resize_rgb(f, size[1], size[0])))
    return resize_labels(cls, h, w), size


def score(pred: torch.Tensor, lab: torch.Tensor, ref: torch.Tensor) -> dict:
    conf = confusion(pred, lab)
    m = metrics(conf)
    # mIoU over the classes present in the view's labels or predictions (as `seg-stream eval`): a
    # lower band has no sky, and an absent class would count as IoU 0
    c = conf.double()
    tp, union = c.diag(), c.sum(0) + c.sum(1) - c.diag()
    present = union > 0
    miou = round(float((tp[present] / union[present]).mean()) * 100, 2)
    return {"mIoU": miou, "Road": m["classIoU"]["Road"], "Car": m["classIoU"]["Car"],
            "agree": round(float((pred == ref).double().mean()) * 100, 2)}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("folder")
    ap.add_argument("--root", default=DEFAULT_ROOT)
    ap.add_argument("--band", choices=("centre", "lower"), default="centre")
    ap.add_argument("--ways", default="stretch,aspect,letterbox,native")
    ap.add_argument("--out", default=None)
    a = ap.parse_args()
    torch.set_num_threads(2)
    net, spec, card = load_folder(a.folder)
    nominal = (card["input"]["width"], card["input"]["height"])
    imgs, labs = load_split(a.root, "val")
    H, W = imgs.shape[-2:]
    full, _ = fit(net, imgs, "stretch", nominal)
    rows = []
    for name, aspect in ASPECTS.items():
        ch = round(W / aspect)
        y0 = (H - ch) // 2 if a.band == "centre" else H - ch
        v_img, v_lab, v_ref = imgs[:, :, y0:y0 + ch], labs[:, y0:y0 + ch], full[:, y0:y0 + ch]
        for how in a.ways.split(","):
            t0 = time.perf_counter()
            pred, size = fit(net, v_img, how, nominal)
            row = {"view": f"{name} ({W}x{ch}, {a.band})", "fit": how, "input": f"{size[0]}x{size[1]}",
                   **score(pred, v_lab, v_ref), "seconds": round(time.perf_counter() - t0, 1)}
            rows.append(row)
            print(json.dumps(row), flush=True)
    if a.out:
        with open(a.out, "w") as f:
            json.dump({"folder": a.folder, "band": a.band, "frames": len(imgs), "rows": rows}, f, indent=1)
            f.write("\n")


if __name__ == "__main__":
    main()
