#!/bin/sh
# Retrains the default model (models/camvid-default) from scratch: ~80 + 25 + 80 + 80 + 20 min wall on 2 cores.
#   stage 1: fastseg at width 1.0, weighted cross-entropy, lr 5e-3, 80 min
#   stage 2: fine-tune from stage 1's best with weighted CE + Lovasz-softmax, lr 1e-3, 25 min
#   stage 3: widen stage 2's best to width 1.25 (new channels start silent: logits unchanged), then
#            fine-tune the wide net with weighted CE + Lovasz, lr 2e-3, 80 min
#   stage 4: deepen stage 3's best by 3 context blocks at 1/32 (each starts silent: logits unchanged),
#            then fine-tune with weighted CE + Lovasz, lr 2e-3, 80 min
#   stage 5: prior correction of the class weights (alpha) plus one offset per class, chosen on val with a
#            two-fold check within val, baked into the classifier bias (~4 min)
# then exports the calibrated checkpoint and checks ONNX/TF.js parity.
# Usage (repo root): nice -n 15 sh training/retrain-default.sh [runs dir]
set -eu
RUNS=${1:-training/runs}
PY=/usr/bin/python3
COMMON="--arch fastseg --input 352x480 --crop 288x384 --batch 8"
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
$PY -m training.export "$RUNS/calibrated/best.pt" models/camvid-default --name camvid-default
node training/check-parity.mjs models/camvid-default --frames 8
