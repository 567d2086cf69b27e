"""Train a segmentation net on CamVid train, evaluate on val, keep the best checkpoint.

    /usr/bin/python3 -m training.train --arch fastseg --minutes 80 --out training/runs/default
    /usr/bin/python3 -m training.train --smoke            # CI: a few steps + export, < 1 min
    /usr/bin/python3 -m training.train --smoke --idd --robust   # the joint recipe's smoke run

`--idd` adds IDD-Lite (training/idd.py): each step also takes `--idd-batch` IDD crops whose
level-1 group labels supervise the summed probability of the model's classes in each group
(partial-label loss); the folds in `--idd-holdout` are left out of training and evaluated beside
CamVid val. `--robust` adds the camera-robustness augmentation of training/robust.py (and a
synthetic bonnet on `--bonnet` of the crops). `--device cuda --workers N` trains on a GPU with N
augmentation processes.

Schedule is time-budgeted: LR follows poly(0.9) over the wall-clock budget (`--minutes`), after a
short linear warm-up, so a run finishes on time whatever else shares the CPU.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import time

import torch
import torch.nn.functional as F

from . import checkpoint, idd
from .data import DEFAULT_ROOT, IGNORE, Augmenter, class_weights, load_split, preprocess, resize_labels
from .evaluate import evaluate
from .export import total_stride
from .graph import GraphNet, conv_before_upsample, count_params
from .losses import distill_loss, lovasz_softmax
from .nets import build
from .sampling import JointBatches, joint_loader


def parse_hw(s: str) -> tuple[int, int]:
    h, w = s.lower().split("x")
    return int(h), int(w)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--arch", default="fastseg")
    ap.add_argument("--width-mult", type=float, default=None, help="channel multiplier (fastseg)")
    ap.add_argument("--deep", type=int, default=0, help="extra context blocks at 1/32 (fastseg)")
    ap.add_argument("--input", type=parse_hw, default=None, help="model input HxW (default: the arch's)")
    ap.add_argument("--crop", type=parse_hw, default=None, help="training crop HxW (default: input size)")
    ap.add_argument("--scale", type=float, nargs=2, default=(0.75, 1.75), help="random scale range")
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--lr", type=float, default=5e-3)
    ap.add_argument("--warmup", type=float, default=None,
                    help="linear warm-up as a fraction of --minutes (default 0.02, at most 60 s)")
    ap.add_argument("--wd", type=float, default=1e-4)
    ap.add_argument("--minutes", type=float, default=80.0, help="wall-clock training budget")
    ap.add_argument("--max-steps", type=int, default=0, help="stop after N steps (0 = time only)")
    ap.add_argument("--eval-every", type=float, default=6.0, help="minutes between val evaluations")
    ap.add_argument("--log-every", type=int, default=0, help="also log the mean loss every N steps (0: per epoch)")
    ap.add_argument("--weights", choices=["enet", "sqrt", "none"], default="enet")
    ap.add_argument("--lovasz", type=float, default=0.0, help="add this weight x Lovasz-softmax to the CE loss")
    ap.add_argument("--init", default=None, help="start from this checkpoint's weights, or a shipped model folder's "
                    "(training/model_folder.py unfolds it; fine-tuning)")
    ap.add_argument("--idd", action="store_true", help="joint training with IDD-Lite (partial-label loss on its groups)")
    ap.add_argument("--idd-root", default=idd.DEFAULT_ROOT)
    ap.add_argument("--idd-holdout", default="0", help="IDD folds (0..4, comma list) left out and evaluated")
    ap.add_argument("--idd-batch", type=int, default=None, help="IDD crops per step (default: --batch)")
    ap.add_argument("--idd-weight", type=float, default=1.0, help="weight of the IDD loss")
    ap.add_argument("--robust", action="store_true", help="camera-robustness augmentation (training/robust.py)")
    ap.add_argument("--bonnet", type=float, default=None, help="share of crops given a synthetic bonnet "
                    "(default 0.25 with --robust, else 0)")
    ap.add_argument("--teacher", default=None, help="distil CamVid crops towards this model folder's or checkpoint's "
                    "uncalibrated logits (keeps what it knows while IDD moves the net; see losses.distill_loss)")
    ap.add_argument("--distill", type=float, default=1.0, help="weight of the distillation loss (with --teacher)")
    ap.add_argument("--distill-t", type=float, default=2.0, help="distillation temperature")
    ap.add_argument("--select", choices=["camvid", "idd", "mean"], default="camvid",
                    help="best.pt by CamVid val mIoU, IDD held-out group mIoU, or their mean")
    ap.add_argument("--device", default="cpu", help="cpu or cuda")
    ap.add_argument("--workers", type=int, default=0, help="augmentation worker processes (0: in the main process)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--root", default=DEFAULT_ROOT)
    ap.add_argument("--out", default="training/runs/default")
    ap.add_argument("--export", default=None, help="after training, export best.pt to this model folder")
    ap.add_argument("--name", default=None, help="model name for --export")
    ap.add_argument("--smoke", action="store_true", help="few steps on a handful of images + export")
    a = ap.parse_args(argv)

    if a.smoke:
        a.minutes, a.max_steps, a.eval_every, a.batch = 1.0, 3, 1e9, 2
        a.idd_batch = a.idd_batch or 2
        a.out = a.out if a.out != "training/runs/default" else "training/runs/smoke"
        a.export = a.export or os.path.join(a.out, "model")
        if a.input is None and a.arch == "fastseg":
            a.input = (128, 128)  # keep CI fast; any size divisible by the net's deepest stride
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    random.seed(a.seed)
    os.makedirs(a.out, exist_ok=True)

    spec = build(a.arch, *(a.input or (None, None)), width_mult=a.width_mult, deep=a.deep)
    H, W = spec["input_size"]
    crop = a.crop or (H, W)
    dev = torch.device(a.device)
    torch.backends.cudnn.benchmark = True

    limit = 8 if a.smoke else None
    tr_x, tr_y = load_split(a.root, "train", limit)
    va_x, va_y = load_split(a.root, "val", 4 if a.smoke else None)
    if a.idd:
        holdout = [int(k) for k in a.idd_holdout.split(",") if k.strip()]
        id_x, id_y = idd.load_idd(idd.list_idd(a.idd_root, "train", exclude_folds=holdout)[:limit])
        # held-out frames decoded by ffmpeg where it is installed, as the runtime decodes them
        dec = "ffmpeg" if shutil.which(idd.ffmpeg_binary()) else "pil"
        iv_x, iv_y = idd.load_idd(idd.list_idd(a.idd_root, "train", folds=holdout)[:4 if a.smoke else None], dec)
        gw = idd.group_weights(id_y) if a.weights != "none" else torch.ones(len(idd.GROUPS))
        if a.weights == "sqrt":
            gw = gw.sqrt() / gw.sqrt().mean()
    # channels_last makes mkldnn conv backward ~2x faster on CPU (depthwise and 1x1 alike).
    net = GraphNet(spec)
    if a.init and os.path.isdir(a.init):
        from .model_folder import load_folder, unfold
        folded, fspec, _ = load_folder(a.init)
        assert fspec == spec, "--init model folder has a different architecture"
        net = unfold(folded, spec, preprocess(tr_x[:32], H, W))
    elif a.init:
        ck = torch.load(a.init, map_location="cpu", weights_only=False)
        assert conv_before_upsample(ck["spec"]) == spec, "--init checkpoint has a different architecture"
        net.load_state_dict(ck["state_dict"])
    net = net.to(dev, memory_format=torch.channels_last)
    net.train()

    if a.weights == "none":
        cw = torch.ones(11)
    else:
        cw = class_weights(tr_y)
        if a.weights == "sqrt":
            cw = cw.sqrt() / cw.sqrt().mean()
    bonnet = a.bonnet if a.bonnet is not None else (0.25 if a.robust else 0.0)
    aug = Augmenter((H, W), crop, tuple(a.scale), robust=a.robust, bonnet=bonnet, ego_label=8)  # Car
    batches = JointBatches(len(tr_x), a.batch, len(id_x) if a.idd else 0, a.idd_batch or a.batch)
    loader = joint_loader((tr_x, tr_y, aug), (id_x, id_y, Augmenter((H, W), crop, tuple(a.scale), robust=a.robust,
                          bonnet=bonnet, ego_label=idd.GROUPS.index("vehicles"))) if a.idd else None,
                          batches, a.workers, pin=dev.type == "cuda")
    teacher = None
    if a.teacher:
        from .data import CLASSES
        from .model_folder import calibration_shift, load_any
        teacher, tspec, tcal = load_any(a.teacher)
        # the student trains uncalibrated; the teacher's class weights are CamVid train's, as the student's
        tshift = calibration_shift(tcal, cw.cpu(), [n for n, _ in CLASSES])
        assert tspec["output_stride"] == spec["output_stride"], "--teacher must have the net's output stride"
        teacher = teacher.to(dev, memory_format=torch.channels_last)
        tshift = tshift.to(dev).view(1, -1, 1, 1)
    opt = torch.optim.AdamW(net.parameters(), lr=a.lr, weight_decay=a.wd)

    log_path = os.path.join(a.out, "log.txt")
    logf = open(log_path, "a", buffering=1)

    def log(msg: str):
        line = f"[{time.strftime('%H:%M:%S')}] {msg}"
        print(line, flush=True)
        logf.write(line + "\n")

    log(f"arch={a.arch} input={H}x{W} crop={crop} params={count_params(spec)} out_stride={spec['output_stride']} "
        f"batch={a.batch} lr={a.lr} minutes={a.minutes} weights={a.weights} lovasz={a.lovasz} init={a.init} "
        f"class_weights={[round(float(v), 2) for v in cw]} device={dev} workers={a.workers} pid={os.getpid()}")
    if a.idd:
        log(f"idd: {len(id_x)} train frames, holdout folds {holdout} = {len(iv_x)} frames, idd_batch="
            f"{a.idd_batch or a.batch} weight={a.idd_weight} group_weights={[round(float(v), 2) for v in gw]}; "
            f"robust={a.robust} bonnet={bonnet} select={a.select}")
    if teacher is not None:
        log(f"teacher {a.teacher}: distill weight {a.distill} at T={a.distill_t} on CamVid crops, calibration shift "
            f"removed {[round(float(v), 2) for v in tshift.flatten()]}")
    cw = cw.to(dev)
    if a.idd:
        gw = gw.to(dev)
    budget = a.minutes * 60.0
    warm = min(0.02 * budget, 60.0) if a.warmup is None else max(a.warmup * budget, 1.0)
    t0 = time.time()
    last_eval = t0
    step, epoch, best = 0, 0, -1.0
    hist = open(os.path.join(a.out, "metrics.jsonl"), "a", buffering=1)
    done = False
    batch_iter = iter(loader)
    win: list[float] = []
    win_idd: list[float] = []
    win_kd: list[float] = []
    while not done:
        epoch += 1
        ep_loss, ep_n, ep_t = 0.0, 0, time.time()
        for _ in range(batches.steps_per_epoch):
            el = time.time() - t0
            frac = min(el / budget, 1.0)
            lr = a.lr * (min(1.0, (el + 1) / warm) if el < warm else (1 - frac) ** 0.9)
            for gp in opt.param_groups:
                gp["lr"] = lr
            x, y, xi, yi = next(batch_iter)
            nc = len(x)
            if xi is not None:
                x = torch.cat([x, xi])
            x = x.to(dev, non_blocking=True).contiguous(memory_format=torch.channels_last)
            logits = net(x)
            if logits.shape[-2:] != y.shape[-2:]:
                # Output stride > 1: the loss is taken at the output resolution against labels resized
                # nearest (half-pixel), matching the runtime (argmax at output resolution). Much cheaper
                # than upsampling logits on CPU.
                y = resize_labels(y, *logits.shape[-2:])
            y = y.to(dev, non_blocking=True)
            lc = logits[:nc]
            loss = F.cross_entropy(lc, y, weight=cw, ignore_index=IGNORE)
            if a.lovasz:
                loss = loss + a.lovasz * lovasz_softmax(lc, y, IGNORE)
            if teacher is not None:
                with torch.no_grad():
                    tl = teacher(x[:nc]) - tshift
                dl = distill_loss(lc, tl, y, IGNORE, a.distill_t)
                loss = loss + a.distill * dl
                win_kd.append(float(dl))
            if xi is not None:
                # IDD crops: their group labels supervise the summed probability of each group's classes.
                yi = resize_labels(yi, *logits.shape[-2:]).to(dev, non_blocking=True)
                li = logits[nc:]
                il = idd.partial_label_loss(li, yi, gw)
                if a.lovasz:
                    il = il + a.lovasz * lovasz_softmax(idd.group_logits(li), yi, idd.VOID)
                loss = loss + a.idd_weight * il
                win_idd.append(float(il.detach()))
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            step += 1
            ep_loss += float(loss)
            ep_n += 1
            win.append(float(loss))
            if a.log_every and step % a.log_every == 0:
                part = f" (IDD part {sum(win_idd) / len(win_idd):.4f})" if win_idd else ""
                part += f" (distill part {sum(win_kd) / len(win_kd):.4f})" if win_kd else ""
                log(f"step {step} loss {sum(win) / len(win):.4f}{part}, mean of the last {len(win)} steps, lr {lr:.2e} "
                    f"elapsed {(time.time() - t0) / 60:.1f}min")
                win, win_idd, win_kd = [], [], []
            if (a.max_steps and step >= a.max_steps) or time.time() - t0 >= budget:
                done = True
                break
        el = time.time() - t0
        log(f"epoch {epoch} step {step} loss {ep_loss / max(ep_n, 1):.4f} lr {lr:.2e} "
            f"epoch_time {time.time() - ep_t:.1f}s elapsed {el / 60:.1f}min")
        if done or time.time() - last_eval >= a.eval_every * 60:
            te = time.time()
            m = evaluate(net, va_x, va_y, (H, W))
            if a.idd:
                im = idd.evaluate_idd(net, iv_x, iv_y, (H, W), total_stride(spec))  # at the frames' aspect, as the runtime runs them
                m["idd"] = {k: im[k] for k in ("mIoU", "pixelAccuracy", "groupIoU", "freeSpace", "frames")}
                m["idd"].update(holdoutFolds=holdout, split="IDD-Lite train, held-out folds")
            last_eval = time.time()
            m.update(epoch=epoch, step=step, elapsed_min=round(el / 60, 2))
            hist.write(json.dumps(m) + "\n")
            ci = m["classIoU"]
            log(f"val mIoU {m['mIoU']} pixAcc {m['pixelAccuracy']} Road {ci['Road']} Car {ci['Car']} "
                f"(eval {time.time() - te:.1f}s) " + " ".join(f"{k}={v}" for k, v in ci.items()))
            if a.idd:
                gi = m["idd"]["groupIoU"]
                log(f"idd holdout mIoU {m['idd']['mIoU']} drivable {gi['drivable']} vehicles {gi['vehicles']} "
                    + " ".join(f"{k.replace(' ', '_')}={v}" for k, v in gi.items()))
            score = {"camvid": m["mIoU"], "idd": (m.get("idd") or {}).get("mIoU"),
                     "mean": (m["mIoU"] + m["idd"]["mIoU"]) / 2 if a.idd else None}[a.select]
            if score is None:
                raise SystemExit(f"--select {a.select} needs --idd")
            extra = dict(metrics=m, args={k: v for k, v in vars(a).items()}, class_weights=cw.tolist())
            checkpoint.save(os.path.join(a.out, "last.pt"), net, spec, **extra)
            if score > best:
                best = score
                checkpoint.save(os.path.join(a.out, "best.pt"), net, spec, **extra)
                log(f"new best {best}")
    log(f"done: {step} steps, {epoch} epochs, {(time.time() - t0) / 60:.1f} min, best {a.select} mIoU {best}")
    if a.export:
        from .export import export
        export(os.path.join(a.out, "best.pt"), a.export, name=a.name or f"{a.arch}-smoke")
        log(f"exported to {a.export}")


if __name__ == "__main__":
    main()
