"""Losses. Lovasz-softmax (Berman et al., CVPR 2018) directly optimises per-class IoU; used with
weighted cross-entropy for fine-tuning so rare, thin classes (Pole, SignSymbol) count as much as
large ones."""
from __future__ import annotations

import torch
import torch.nn.functional as F


def _lovasz_grad(gt_sorted: torch.Tensor) -> torch.Tensor:
    gts = gt_sorted.sum()
    inter = gts - gt_sorted.cumsum(0)
    union = gts + (1 - gt_sorted).cumsum(0)
    jac = 1.0 - inter / union
    jac[1:] = jac[1:] - jac[:-1]
    return jac


def lovasz_softmax(logits: torch.Tensor, labels: torch.Tensor, ignore: int) -> torch.Tensor:
    """Mean over classes present in the batch of the Lovasz extension of (1 - IoU)."""
    C = logits.shape[1]
    probs = F.softmax(logits, 1).permute(0, 2, 3, 1).reshape(-1, C)
    lab = labels.reshape(-1)
    keep = lab != ignore
    probs, lab = probs[keep], lab[keep]
    losses = []
    for c in range(C):
        fg = (lab == c).float()
        if fg.sum() == 0:
            continue
        err = (fg - probs[:, c]).abs()
        err_sorted, perm = torch.sort(err, descending=True)
        losses.append(torch.dot(err_sorted, _lovasz_grad(fg[perm])))
    return torch.stack(losses).mean() if losses else logits.sum() * 0


def distill_loss(student: torch.Tensor, teacher: torch.Tensor, labels: torch.Tensor, ignore: int,
                 t: float = 2.0) -> torch.Tensor:
    """Knowledge distillation (Hinton et al., 2015) per pixel: KL(teacher || student) of the class
    distributions softened by temperature `t`, times t^2, averaged over the pixels whose label the
    teacher gets right (or that are void). Used to keep what a shipped model knows while new data
    moves the net ("learning without forgetting", Li & Hoiem 2016); the mask leaves out where the
    teacher is wrong by the labels (e.g. a synthetic bonnet it would paint as road)."""
    keep = ((teacher.argmax(1) == labels) | (labels == ignore)).float()
    log_p_t = F.log_softmax(teacher / t, 1)
    kl = (log_p_t.exp() * (log_p_t - F.log_softmax(student / t, 1))).sum(1)
    return (kl * keep).sum() / keep.sum().clamp(min=1.0) * (t * t)
