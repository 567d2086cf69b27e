"""Write N CamVid frames preprocessed for a model card (the contract) as raw float32 NCHW.

    /usr/bin/python3 -m training.dump_frames MODEL_DIR OUT.f32 [--n 8] [--split val]

Used by check-parity.mjs (Node has no PNG decoder in this project's dependencies).
"""
from __future__ import annotations

import argparse
import json
import os

import numpy as np
import torch

from .data import DEFAULT_ROOT, MEAN, SCALE, STD, list_split, load_split, preprocess


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("model_dir")
    ap.add_argument("out")
    ap.add_argument("--n", type=int, default=8)
    ap.add_argument("--split", default="val")
    ap.add_argument("--root", default=DEFAULT_ROOT)
    a = ap.parse_args()
    card = json.load(open(os.path.join(a.model_dir, "model.json")))
    inp = card["input"]
    assert inp["channelOrder"] == "RGB" and abs(inp["scale"] - SCALE) < 1e-12
    assert tuple(inp["mean"]) == MEAN and tuple(inp["std"]) == STD, "card normalisation differs from training/data.py"
    n_all = len(list_split(a.root, a.split))
    idx = np.linspace(0, n_all - 1, a.n).round().astype(int)
    imgs, _ = load_split(a.root, a.split)
    x = preprocess(imgs[torch.from_numpy(idx)], inp["height"], inp["width"])
    x.numpy().astype("<f4").tofile(a.out)
    print(json.dumps({"n": a.n, "shape": list(x.shape), "frames": idx.tolist()}))


if __name__ == "__main__":
    main()
