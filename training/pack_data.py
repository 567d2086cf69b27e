"""Packs the training data small enough to travel to a GPU machine with the working tree.

CamVid train and val frames are written as JPEG (`--quality`, default 85: ~18 MB instead of 119 MB
of PNG), their labels copied as they are; IDD-Lite train is copied as it is (its frames already are
JPEG). The readers take the packed folders through `CAMVID_ROOT` and `IDD_ROOT`
(training/joint-gpu.sh). Figures measured on the packed CamVid val differ slightly from the PNG
originals: the shipped figures are re-measured here on the originals.

    /usr/bin/python3 -m training.pack_data .data        # .data/camvid, .data/idd_lite
"""
from __future__ import annotations

import argparse
import os
import shutil

from PIL import Image

from . import idd
from .data import DEFAULT_ROOT


def _size(folder: str) -> int:
    return sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(folder) for f in fs)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out")
    ap.add_argument("--camvid", default=DEFAULT_ROOT)
    ap.add_argument("--idd", default=idd.DEFAULT_ROOT)
    ap.add_argument("--quality", type=int, default=85)
    a = ap.parse_args()
    cam = os.path.join(a.out, "camvid")
    for split in ("train", "val"):
        os.makedirs(os.path.join(cam, split), exist_ok=True)
        shutil.copytree(os.path.join(a.camvid, split + "annot"), os.path.join(cam, split + "annot"), dirs_exist_ok=True)
        for name in sorted(os.listdir(os.path.join(a.camvid, split))):
            if name.endswith(".png"):
                Image.open(os.path.join(a.camvid, split, name)).convert("RGB").save(
                    os.path.join(cam, split, name[:-4] + ".jpg"), quality=a.quality)
    for sub in ("leftImg8bit", "gtFine"):
        shutil.copytree(os.path.join(a.idd, sub, "train"), os.path.join(a.out, "idd_lite", sub, "train"), dirs_exist_ok=True)
    print(f"{a.out}: camvid {_size(cam) / 1e6:.1f} MB, idd_lite {_size(os.path.join(a.out, 'idd_lite')) / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
