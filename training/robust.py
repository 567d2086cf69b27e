"""Camera-robustness augmentation: what other sensors, codecs and mounts do to a frame.

Applied by `data.Augmenter` when `--robust` is on, to CamVid and IDD samples alike, on float
0..255 RGB [3,h,w] tensors:

* geometry (in `Augmenter.sample`): aspect jitter - the width scaled by a further factor
  (log-uniform in `aspect`) so the net sees scenes stretched or squeezed as 16:9, 2:1 or 3.3:1
  frames are when stretched to the model input;
* `bonnet`: a synthetic ego-vehicle bonnet (or dashboard) across the bottom of the frame, before
  the crop: a curved top edge, car-paint colour with vertical shading, a blurred mirror image of
  the scene above (paint reflects the road and sky), a specular streak; labelled with the class
  the caller gives (Car for CamVid labels, vehicles for IDD), so the net learns that the road
  ends where the bonnet begins;
* `photometric`: colour temperature (red/blue gains), a green tint, gamma, haze (contrast lost to
  a grey veil), then, each with its own probability, blur (gaussian), low resolution (down- and
  up-sampling, as from a cheap sensor or a low-bitrate stream), sensor noise, and JPEG
  compression at low quality (blocking, ringing and 4:2:0 chroma: the artefacts H.264 leaves in
  dashcam video, too).

Every parameter range is a module constant; the module draws from Python's `random` (seeded by
train.py) so runs are reproducible.
"""
from __future__ import annotations

import io
import math
import random

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

ASPECT = (0.6, 1.35)          # extra width factor (log-uniform)
TEMPERATURE = 0.18            # red gain 1+t, blue gain 1-t, t in +-TEMPERATURE
TINT = 0.05                   # green gain 1+u
GAMMA = (0.6, 1.6)            # log-uniform
HAZE = (0.2, (0.0, 0.35))     # probability, veil strength
BLUR = (0.25, (0.4, 1.8))     # probability, sigma in pixels
LOW_RES = (0.2, (0.35, 0.8))  # probability, scale factor
NOISE = (0.3, (1.5, 9.0))     # probability, sigma in levels
JPEG = (0.35, (8, 55))        # probability, quality
BONNET = (0.06, 0.24)         # height as a fraction of the frame
PAINTS = [(20, 20, 22), (235, 235, 232), (165, 168, 172), (95, 98, 102), (150, 20, 25), (25, 45, 110),
          (215, 175, 30), (30, 70, 40), (60, 45, 35)]


def aspect_factor() -> float:
    return math.exp(random.uniform(math.log(ASPECT[0]), math.log(ASPECT[1])))


def _gauss_blur(img: torch.Tensor, sigma: float) -> torch.Tensor:
    r = max(1, int(math.ceil(2.5 * sigma)))
    k = torch.exp(-(torch.arange(-r, r + 1, dtype=img.dtype) ** 2) / (2 * sigma * sigma))
    k = k / k.sum()
    x = F.pad(img[None], (r, r, r, r), mode="replicate")
    x = F.conv2d(x, k.view(1, 1, 1, -1).repeat(3, 1, 1, 1), groups=3)
    x = F.conv2d(x, k.view(1, 1, -1, 1).repeat(3, 1, 1, 1), groups=3)
    return x[0]


def _jpeg(img: torch.Tensor, quality: int) -> torch.Tensor:
    arr = img.clamp(0, 255).round().to(torch.uint8).permute(1, 2, 0).contiguous().numpy()
    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, format="JPEG", quality=quality)  # 4:2:0 chroma by default
    buf.seek(0)
    out = np.asarray(Image.open(buf).convert("RGB"))
    return torch.from_numpy(out.copy()).permute(2, 0, 1).to(img.dtype)


def photometric(img: torch.Tensor) -> torch.Tensor:
    """Sensor and codec variation on a float 0..255 [3,h,w] image."""
    t = random.uniform(-TEMPERATURE, TEMPERATURE)
    gains = torch.tensor([1 + t, 1 + random.uniform(-TINT, TINT), 1 - t], dtype=img.dtype).view(3, 1, 1)
    img = (img * gains).clamp(0, 255)
    g = math.exp(random.uniform(math.log(GAMMA[0]), math.log(GAMMA[1])))
    img = 255.0 * (img / 255.0) ** g
    if random.random() < HAZE[0]:
        h = random.uniform(*HAZE[1])
        img = img * (1 - h) + h * random.uniform(150, 235)
    if random.random() < BLUR[0]:
        img = _gauss_blur(img, random.uniform(*BLUR[1]))
    if random.random() < LOW_RES[0]:
        s = random.uniform(*LOW_RES[1])
        h, w = img.shape[-2:]
        small = F.interpolate(img[None], size=(max(8, round(h * s)), max(8, round(w * s))), mode="bilinear",
                              align_corners=False, antialias=True)
        img = F.interpolate(small, size=(h, w), mode="bilinear", align_corners=False)[0]
    if random.random() < NOISE[0]:
        img = img + torch.randn_like(img) * random.uniform(*NOISE[1])
    img = img.clamp(0, 255)
    if random.random() < JPEG[0]:
        img = _jpeg(img, random.randint(*JPEG[1]))
    return img


def bonnet(img: torch.Tensor, lab: torch.Tensor, label_value: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Draws an ego-vehicle bonnet across the bottom of a float [3,h,w] frame and its [h,w] label."""
    _, h, w = img.shape
    height = random.uniform(*BONNET) * h
    cx = w * (0.5 + random.uniform(-0.15, 0.15))
    bend = random.uniform(0.0, 0.7)          # how much lower the edge is at the sides
    ys = torch.arange(h, dtype=img.dtype).view(h, 1)
    xs = torch.arange(w, dtype=img.dtype).view(1, w)
    top = h - height * (1 - bend * ((xs - cx) / (w / 2)).clamp(-1.5, 1.5) ** 2)
    mask = ys >= top                          # [h,w]
    if not bool(mask.any()):
        return img, lab
    paint = torch.tensor(random.choice(PAINTS), dtype=img.dtype).view(3, 1, 1)
    paint = (paint * random.uniform(0.7, 1.15)).clamp(0, 255)
    # depth below the edge, 0 at the edge .. 1 at the bottom row: shading darkens or lightens downwards
    depth = ((ys - top) / max(height, 1.0)).clamp(0, 1)
    surface = paint * (1 + random.uniform(-0.35, 0.2) * depth)[None]
    # reflection: the rows above the edge mirrored downwards, blurred, faded with depth
    band = max(2, int(height))
    src_rows = (top.round().long().clamp(0, h - 1) - 1 - (ys - top).round().long()).clamp(0, h - 1)  # [h,w]
    mirrored = torch.gather(img, 1, src_rows[None].expand(3, h, w))
    mirrored = _gauss_blur(mirrored, random.uniform(1.0, 3.0) * max(1.0, band / 40))
    alpha = random.uniform(0.05, 0.45) * (1 - depth)[None]
    surface = surface * (1 - alpha) + mirrored * alpha
    # specular streak just below the edge
    streak = torch.exp(-((ys - top - random.uniform(0.05, 0.3) * height) ** 2) / (2 * (0.04 * height + 1) ** 2))
    surface = surface + random.uniform(0, 60) * streak[None]
    img = torch.where(mask[None], surface.clamp(0, 255), img)
    lab = torch.where(mask, torch.full_like(lab, label_value), lab)
    return img, lab
