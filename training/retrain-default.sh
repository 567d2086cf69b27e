#!/bin/sh
# Retrains the default model (models/camvid-default, version 2) from scratch, in four steps:
#
#   base     (2 CPU cores, ~80 + 25 + 80 + 80 + 3 min wall) version 1, CamVid only:
#     stage 1: fastseg at width 1.0, weighted cross-entropy, lr 5e-3, 80 min
#     stage 2: fine-tune from stage 1's best with weighted CE + Lovasz-softmax, lr 1e-3, 25 min
#     stage 3: widen stage 2's best to width 1.25 (new channels start silent: logits unchanged), then
#              fine-tune the wide net with weighted CE + Lovasz, lr 2e-3, 80 min
#     stage 4: deepen stage 3's best by 3 context blocks at 1/32 (each starts silent: logits unchanged),
#              then fine-tune with weighted CE + Lovasz, lr 2e-3, 80 min
#     stage 5: prior correction of the class weights (alpha) plus one offset per class, chosen on val with
#              a two-fold check within val, baked into the classifier bias (~3 min)
#     exported to RUNS/base-model (the shipped camvid-default 1.0.0 was this folder).
#   joint    (GPU, 7 + 3 min on an H200; see training/README.md, *10 minutes on an H200*)
#     stage 6: CamVid train + IDD-Lite folds 1-4 from RUNS/base-model, partial-label IDD loss, camera
#              augmentation, lr 1e-3, 7 min; stage 7: from its last checkpoint, IDD loss x 0.3, lr 5e-4,
#              3 min (training/retrain-camvid-idd.sh stage1 and stage2 with INIT=RUNS/base-model).
#   distill  (2 CPU cores, 70 min) stage 8: from stage 7's best, the same joint loss plus distillation of
#              the CamVid crops towards RUNS/base-model (losses.distill_loss), lr 5e-4, batch 6 + 6.
#   finish   (2 CPU cores, ~3 min + checks) stage 9: prior correction + per-class offsets on CamVid val,
#              export as camvid-default 2.0.0, ONNX/TF.js parity, CamVid val and IDD fold 0 through
#              the runtime. The card's metrics.note (cross-validated figures), metrics.idd, metrics.aspect
#              (training/aspect.py) and metrics.speed were then written from these measurements, and the
#              card's teacher and startedFrom entries name version 1.0.0 (the run read it from models/camvid-default).
#
# Usage (repo root): nice -n 15 sh training/retrain-default.sh base|distill|finish [RUNS]
#   the joint step runs on the GPU machine with the data packed here (training/README.md):
#   INIT=training/runs/base-model sh training/retrain-camvid-idd.sh stage1 "$OUT", then stage2; its
#   two folders go to RUNS/joint-gpu and RUNS/joint-gpu-w03.
# DEVICE=cpu PY=/usr/bin/python3 runs the joint stages on the CPU too, slowly (same minutes, far fewer steps).
set -eu
STEP=${1:?usage: sh training/retrain-default.sh base|distill|finish [RUNS]}
RUNS=${2:-training/runs}
PY=/usr/bin/python3
COMMON="--arch fastseg --input 352x480 --crop 288x384 --batch 8"
case "$STEP" in
  base)
    $PY -m training.train $COMMON --lr 5e-3 --minutes 80 --eval-every 6 --out "$RUNS/default"
    $PY -m training.train $COMMON --lr 1e-3 --lovasz 1 \
      --init "$RUNS/default/best.pt" --minutes 25 --eval-every 2.5 --out "$RUNS/finetune"
    mkdir -p "$RUNS/wide"
    $PY -m training.grow "$RUNS/finetune/best.pt" "$RUNS/wide/init.pt" --width-mult 1.25
    $PY -m training.train $COMMON --width-mult 1.25 --lr 2e-3 --lovasz 1 \
      --init "$RUNS/wide/init.pt" --minutes 80 --eval-every 4 --out "$RUNS/wide"
    mkdir -p "$RUNS/deep"
    $PY -m training.grow "$RUNS/wide/best.pt" "$RUNS/deep/init.pt" --deep 3
    $PY -m training.train $COMMON --width-mult 1.25 --deep 3 --lr 2e-3 --lovasz 1 \
      --init "$RUNS/deep/init.pt" --minutes 80 --eval-every 4 --out "$RUNS/deep"
    mkdir -p "$RUNS/calibrated"
    $PY -m training.calibrate "$RUNS/deep/best.pt" "$RUNS/calibrated/best.pt" --per-class
    $PY -m training.export "$RUNS/calibrated/best.pt" "$RUNS/base-model" --name camvid-default
    node training/check-parity.mjs "$RUNS/base-model" --frames 8 ;;
  distill)
    $PY -m training.train --arch fastseg --width-mult 1.25 --deep 3 --input 352x480 --crop 288x384 \
      --batch 6 --idd --idd-batch 6 --idd-holdout 0 --idd-weight 0.3 --robust --lovasz 1 --lr 5e-4 --warmup 0.05 \
      --teacher "$RUNS/base-model" --distill 1 --distill-t 2 --init "$RUNS/joint-gpu-w03/best.pt" \
      --minutes 70 --eval-every 14 --log-every 20 --out "$RUNS/kd-cpu" ;;
  finish)
    mkdir -p "$RUNS/kd-cpu-cal"
    $PY -m training.calibrate "$RUNS/kd-cpu/best.pt" "$RUNS/kd-cpu-cal/best.pt" --per-class
    $PY -m training.export "$RUNS/kd-cpu-cal/best.pt" models/camvid-default --name camvid-default --version 2.0.0 \
      --description "$(node -e 'process.stdout.write(require("./models/camvid-default/model.json").description)')"
    node training/check-parity.mjs models/camvid-default --frames 8
    node bin/seg-stream.js eval ../shared/datasets/camvid --split val -m models/camvid-default
    node bin/seg-stream.js eval ../shared/datasets/idd_lite --format idd --split train --fold 0 -m models/camvid-default
    $PY -m training.idd models/camvid-default --fold 0 ;;
  *) echo "unknown step $STEP" >&2; exit 2 ;;
esac
