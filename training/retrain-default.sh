#!/bin/sh
# Retrains the default model (models/camvid-default) from scratch: ~80 + 25 min wall on 2 cores.
#   stage 1: weighted cross-entropy, lr 5e-3, 80 min
#   stage 2: fine-tune from stage 1's best with weighted CE + Lovasz-softmax, lr 1e-3, 25 min
#   stage 3: prior correction of the class weights, alpha chosen on val, baked into the classifier bias (~1 min)
# then exports the calibrated checkpoint and checks ONNX/TF.js parity.
# Usage (repo root): nice -n 15 sh training/retrain-default.sh [runs dir]
set -eu
RUNS=${1:-training/runs}
PY=/usr/bin/python3
$PY -m training.train --arch fastseg --input 352x480 --crop 288x384 --batch 8 --lr 5e-3 \
  --minutes 80 --eval-every 6 --out "$RUNS/default"
$PY -m training.train --arch fastseg --input 352x480 --crop 288x384 --batch 8 --lr 1e-3 --lovasz 1 \
  --init "$RUNS/default/best.pt" --minutes 25 --eval-every 2.5 --out "$RUNS/finetune"
mkdir -p "$RUNS/calibrated"
$PY -m training.calibrate "$RUNS/finetune/best.pt" "$RUNS/calibrated/best.pt"
$PY -m training.export "$RUNS/calibrated/best.pt" models/camvid-default --name camvid-default
node training/check-parity.mjs models/camvid-default --frames 8
