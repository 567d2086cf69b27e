"""Training batches: CamVid crops, plus IDD crops for the joint recipe, augmented in the main process
(`workers=0`, the CPU recipe) or in worker processes (a GPU machine's cores).

`JointBatches` draws the indices in the main process with Python's `random` (an epoch = one pass over
CamVid train in a fresh shuffle; IDD indices run through their own shuffles), so with `workers=0`
the CamVid-only recipe draws exactly what it drew before the joint recipe existed.
"""
from __future__ import annotations

import random

import torch
from torch.utils.data import DataLoader, Dataset

from .data import normalise


class JointBatches:
    """Endless batch sampler of (source, index) keys: source 0 = CamVid, 1 = IDD."""

    def __init__(self, n: int, batch: int, n_idd: int = 0, idd_batch: int = 0):
        if n < batch:
            raise SystemExit(f"batch {batch} is larger than the {n} training frames")
        self.n, self.batch, self.n_idd, self.idd_batch = n, batch, n_idd, idd_batch
        self.steps_per_epoch = n // batch

    def __iter__(self):
        idd_order, j = [], 0
        while True:
            order = list(range(self.n))
            random.shuffle(order)
            for i in range(0, self.n - self.batch + 1, self.batch):
                keys = [(0, k) for k in order[i:i + self.batch]]
                for _ in range(self.idd_batch if self.n_idd else 0):
                    if j >= len(idd_order):
                        idd_order, j = list(range(self.n_idd)), 0
                        random.shuffle(idd_order)
                    keys.append((1, idd_order[j]))
                    j += 1
                yield keys


class _Samples(Dataset):
    def __init__(self, sources):
        self.sources = sources  # [(images uint8 [N,3,h,w], labels [N,h,w], Augmenter)]

    def __len__(self):
        return sum(len(s[0]) for s in self.sources)

    def __getitem__(self, key):
        src, i = key
        imgs, labs, aug = self.sources[src]
        img, lab = aug.sample(imgs[i], labs[i])
        return img, lab, src


def _collate(items):
    def stack(src):
        part = [(img, lab) for img, lab, s in items if s == src]
        if not part:
            return None, None
        return normalise(torch.stack([p[0] for p in part])), torch.stack([p[1] for p in part]).long()
    return (*stack(0), *stack(1))


def joint_loader(camvid, idd, batches: JointBatches, workers: int = 0, pin: bool = False) -> DataLoader:
    """Batches of (CamVid x, y, IDD x or None, IDD y or None); x normalised, y class/group ids."""
    sources = [camvid] + ([idd] if idd is not None else [])
    extra = dict(num_workers=workers, pin_memory=pin, prefetch_factor=4) if workers else {}
    return DataLoader(_Samples(sources), batch_sampler=batches, collate_fn=_collate, **extra)
