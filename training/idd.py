"""IDD-Lite: reader, validation folds by sequence folder, the CamVid-class -> IDD-group table, the
partial-label loss and the IDD-group evaluation.

Layout (the `idd20k_lite` release): `<root>/leftImg8bit/<split>/<seq>/<id>_image.jpg` 320x227 RGB
and `<root>/gtFine/<split>/<seq>/<id>_label.png` 8-bit IDD level-1 ids: 0 drivable, 1 non-drivable,
2 living things, 3 vehicles, 4 road-side objects, 5 far objects, 6 sky, 255 void (ignored).

The model keeps its 11 CamVid classes. Each class belongs to one IDD group (`CAMVID_TO_IDD`, the
same table as `src/datasets/label-maps.ts`):

* loss on an IDD pixel of group g: -log(sum of the softmax probabilities of the classes in g),
  i.e. cross-entropy over "group logits" logsumexp(logits[c in g]) (`group_logits`); the group
  probabilities of one pixel sum to 1 because every class is in exactly one group;
* evaluation: argmax class -> its group, confusion over the 7 groups, IoU per group, mIoU over the
  groups that occur, free space = drivable (the group of the model's free-space class Road).

Folds: a sequence folder's fold is the first 4 bytes of SHA-256(folder name) as a big-endian
integer, mod 5 (`sequence_fold`; `src/datasets/folds.ts` computes the same). Frames of one folder
are never on both sides.

Evaluate a shipped model folder or a checkpoint on a fold (the TypeScript runtime's
`seg-stream eval <root> --format idd --split train --fold K` gives the same figures):

    /usr/bin/python3 -m training.idd models/camvid-default --fold 0
    /usr/bin/python3 -m training.idd models/camvid-default --all-folds      # each fold + pooled
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import subprocess

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

from .data import CLASSES

GROUPS = ["drivable", "non-drivable", "living things", "vehicles", "road-side objects", "far objects", "sky"]
VOID = 255
# CamVid class -> IDD level-1 group; the reasons are in src/datasets/label-maps.ts (CAMVID_TO_IDD).
CAMVID_TO_IDD = {
    "Sky": "sky", "Building": "far objects", "Pole": "road-side objects", "Road": "drivable",
    "Pavement": "non-drivable", "Tree": "far objects", "SignSymbol": "road-side objects",
    "Fence": "road-side objects", "Car": "vehicles", "Pedestrian": "living things", "Bicyclist": "vehicles",
}
GROUP_OF_CLASS = [GROUPS.index(CAMVID_TO_IDD[name]) for name, _ in CLASSES]
N_FOLDS = 5
FREE_SPACE_GROUP = GROUPS.index("drivable")

DEFAULT_ROOT = os.environ.get(
    "IDD_ROOT",
    os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "..", "shared", "datasets", "idd_lite"),
)


def sequence_fold(folder: str) -> int:
    """Fold 0..4 of a sequence folder name (same rule as src/datasets/folds.ts)."""
    return int.from_bytes(hashlib.sha256(folder.encode("utf-8")).digest()[:4], "big") % N_FOLDS


def _natural(s: str):
    return [int(t) if t.isdigit() else t.lower() for t in re.split(r"(\d+)", s)]


def list_idd(root: str, split: str = "train", folds=None, exclude_folds=None, sequences=None) -> list[tuple[str, str, str]]:
    """(sequence folder, image, label) triples, folders and files in natural order.

    `folds` keeps only those folds, `exclude_folds` drops them, `sequences` keeps only the named folders.
    """
    img_dir = os.path.join(root, "leftImg8bit", split)
    out = []
    for seq in sorted(os.listdir(img_dir), key=_natural):
        f = sequence_fold(seq)
        if folds is not None and f not in folds:
            continue
        if exclude_folds is not None and f in exclude_folds:
            continue
        if sequences is not None and seq not in sequences:
            continue
        for name in sorted(os.listdir(os.path.join(img_dir, seq)), key=_natural):
            m = re.match(r"(.*)_image\.(jpe?g|png)$", name, re.I)
            if m:
                out.append((seq, os.path.join(img_dir, seq, name),
                            os.path.join(root, "gtFine", split, seq, f"{m.group(1)}_label.png")))
    return out


def ffmpeg_binary() -> str:
    """The ffmpeg the runtime uses here: FFMPEG_PATH, else the one on PATH (newer than the bundled build)."""
    return os.environ.get("FFMPEG_PATH") or shutil.which("ffmpeg") or "ffmpeg"


def decode_rgb(path: str, decoder: str = "pil") -> np.ndarray:
    """HxWx3 uint8. `pil` (libjpeg-turbo) decodes a JPEG exactly as the runtime does (sharp, same pixels);
    `ffmpeg` is the runtime's earlier decoder (its chroma upsampling differs by ~0.9 level on average)."""
    if decoder == "pil" or not re.search(r"\.jpe?g$", path, re.I):
        return np.asarray(Image.open(path).convert("RGB"))
    w, h = Image.open(path).size
    raw = subprocess.run([ffmpeg_binary(), "-v", "error", "-nostdin", "-noautorotate", "-i", f"file:{path}",
                          "-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "rgb24", "pipe:1"],
                         check=True, capture_output=True).stdout
    return np.frombuffer(raw, np.uint8).reshape(h, w, 3)


def load_idd(triples, decoder: str = "pil") -> tuple[torch.Tensor, torch.Tensor]:
    """Frames in memory: images uint8 [N,3,h,w], labels uint8 [N,h,w] (all IDD-Lite frames are 320x227)."""
    imgs = [decode_rgb(i, decoder) for _, i, _ in triples]
    labs = [np.asarray(Image.open(lab)) for _, _, lab in triples]
    sizes = {a.shape[:2] for a in imgs} | {a.shape for a in labs}
    if len(sizes) != 1:
        raise SystemExit(f"IDD frames and labels must share one size to be batched; found {sorted(sizes)}")
    return (torch.from_numpy(np.stack(imgs)).permute(0, 3, 1, 2).contiguous(),
            torch.from_numpy(np.stack(labs)).contiguous())


def membership(n_classes: int = len(CLASSES)) -> torch.Tensor:
    """[groups, classes] 0/1: which model classes make up each IDD group."""
    m = torch.zeros(len(GROUPS), n_classes)
    for c, g in enumerate(GROUP_OF_CLASS[:n_classes]):
        m[g, c] = 1.0
    return m


def group_logits(logits: torch.Tensor) -> torch.Tensor:
    """[N,C,h,w] class logits -> [N,G,h,w] group logits logsumexp over each group's classes, so
    softmax over groups = summed class probabilities (every class is in exactly one group)."""
    log_m = torch.log(membership(logits.shape[1])).to(logits.device, logits.dtype)  # 0 inside a group, -inf outside
    return torch.logsumexp(logits[:, None] + log_m[None, :, :, None, None], dim=2)


def partial_label_loss(logits: torch.Tensor, groups: torch.Tensor, weight: torch.Tensor | None = None) -> torch.Tensor:
    """Cross-entropy of IDD group labels against the summed probability of each group's classes
    (0, not NaN, when every pixel is void)."""
    if not bool((groups != VOID).any()):
        return logits.sum() * 0
    return F.cross_entropy(group_logits(logits), groups.long(), weight=weight, ignore_index=VOID)


def group_weights(labs: torch.Tensor) -> torch.Tensor:
    """ENet weighting 1 / ln(1.02 + p_group) over the IDD groups (void left out), normalised to mean 1."""
    counts = torch.bincount(labs.flatten().long(), minlength=256)[:len(GROUPS)].double()
    w = 1.0 / torch.log(1.02 + counts / counts.sum())
    return (w / w.mean()).float()


def group_confusion(pred_cls: torch.Tensor, labs: torch.Tensor) -> torch.Tensor:
    """[G,G] counts (rows = label group) of class maps mapped to groups, void ignored."""
    lut = torch.tensor(GROUP_OF_CLASS, dtype=torch.long)
    keep = labs != VOID
    g = len(GROUPS)
    idx = labs[keep].long() * g + lut[pred_cls[keep].long()]
    return torch.bincount(idx, minlength=g * g).view(g, g)


def group_metrics(conf: torch.Tensor) -> dict:
    """IoU per group, mIoU over groups with any labelled or predicted pixel, pixel accuracy, free
    space (drivable) IoU/precision/recall; rounded as the runtime rounds (after averaging)."""
    conf = conf.double()
    tp = conf.diag()
    union = conf.sum(0) + conf.sum(1) - tp
    present = union > 0
    iou = tp / union.clamp(min=1)
    r = lambda v: round(float(v) * 100, 2)  # noqa: E731
    d = FREE_SPACE_GROUP
    return {
        "mIoU": r(iou[present].mean()) if present.any() else None,
        "pixelAccuracy": r(tp.sum() / conf.sum().clamp(min=1)),
        "groupIoU": {name: (r(iou[i]) if present[i] else None) for i, name in enumerate(GROUPS)},
        "freeSpace": {"iou": r(iou[d]), "precision": r(tp[d] / conf[:, d].sum().clamp(min=1)),
                      "recall": r(tp[d] / conf[d].sum().clamp(min=1))},
        "pixels": int(conf.sum()),
    }


def evaluate_idd(net, imgs_u8: torch.Tensor, labs: torch.Tensor, input_hw, multiple: int | None = None) -> dict:
    """Group metrics of a net on IDD frames, predicted exactly as the runtime predicts: with
    `multiple` (a card with input.resize "aspect"), at the frames' aspect at about the pixels of
    `input_hw`, as a runtime run over these frames picks it (training/aspect.py)."""
    from .evaluate import predict
    if multiple:
        from .aspect import input_size_for
        H, W = input_hw
        w, h = input_size_for(imgs_u8.shape[-1], imgs_u8.shape[-2], H * W, multiple)
        input_hw = (h, w)
    was = getattr(net, "training", False)
    net.eval()
    conf = group_confusion(predict(net, imgs_u8, input_hw), labs)
    net.train(was)
    return {**group_metrics(conf), "frames": len(imgs_u8), "confusion": conf.tolist()}


def main():
    from .model_folder import load_any
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model", help="model folder (model.json + model.onnx) or training checkpoint (.pt)")
    ap.add_argument("--root", default=DEFAULT_ROOT)
    ap.add_argument("--split", default="train")
    ap.add_argument("--fold", type=int, default=None, help=f"only this fold (0..{N_FOLDS - 1})")
    ap.add_argument("--all-folds", action="store_true", help="every fold on its own, then all pooled")
    ap.add_argument("--sequences", default=None, help="file with one sequence folder per line")
    ap.add_argument("--decoder", choices=["ffmpeg", "pil"], default="pil",
                    help="JPEG decoder (pil = libjpeg-turbo, what the runtime uses through sharp)")
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    net, spec, _ = load_any(a.model)
    hw = spec["input_size"]
    # the runtime's input size policy: a folder's card says it; checkpoints export as "aspect"
    multiple = None
    if os.path.isdir(a.model):
        with open(os.path.join(a.model, "model.json")) as f:
            inp = json.load(f)["input"]
        multiple = inp.get("multiple") if inp.get("resize") == "aspect" else None
    else:
        from .export import total_stride
        multiple = total_stride(spec)
    seqs = None
    if a.sequences:
        with open(a.sequences) as f:
            seqs = {ln.split("#")[0].strip() for ln in f} - {""}
    runs = [[k] for k in range(N_FOLDS)] if a.all_folds else [[a.fold] if a.fold is not None else None]
    total = torch.zeros(len(GROUPS), len(GROUPS), dtype=torch.long)
    for folds in runs:
        triples = list_idd(a.root, a.split, folds=folds, sequences=seqs)
        imgs, labs = load_idd(triples, a.decoder)
        m = evaluate_idd(net, imgs, labs, hw, multiple)
        total += torch.tensor(m["confusion"])
        m.update(fold=folds[0] if folds else None, sequences=len({s for s, _, _ in triples}))
        print(json.dumps({k: v for k, v in m.items() if k != "confusion"}))
    if a.all_folds:
        print(json.dumps({"fold": "all", **group_metrics(total)}))


if __name__ == "__main__":
    main()
