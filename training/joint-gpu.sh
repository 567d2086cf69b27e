#!/bin/sh
# The joint CamVid + IDD-Lite schedule on a GPU machine: fine-tunes camvid-default 1.0.0 (the CamVid-only model)
# (unfolded back into a trainable net, training/model_folder.py) with the partial-label IDD loss and
# the camera-robustness augmentation, IDD fold 0 held out and evaluated beside CamVid val.
#
# Here (2 CPU cores), once:   /usr/bin/python3 -m training.pack_data .data     (~42 MB, .data/ is gitignored)
# There (device tool, repo root, carry [".data"]):
#   sh training/joint-gpu.sh "$OUT/joint" 7
# Back here: calibrate, export, measure (training/README.md, "Joint CamVid + IDD-Lite schedule").
#
# Env: PY (default python3: the GPU image's PyTorch), DEVICE (cuda), WORKERS (cores - 2),
# INIT (default training/runs/base-model, camvid-default 1.0.0 as `retrain-default.sh base` exports it:
# a model folder or a checkpoint to start from; carry its model.json and model.onnx),
# CAMVID_ROOT/IDD_ROOT (default the packed .data/ copies), EXTRA (more train.py flags, given last).
set -eu
OUT=${1:?usage: sh training/joint-gpu.sh OUT_DIR [MINUTES]}
MINUTES=${2:-7}
PY=${PY:-python3}
export CAMVID_ROOT=${CAMVID_ROOT:-.data/camvid} IDD_ROOT=${IDD_ROOT:-.data/idd_lite} PYTHONUNBUFFERED=1
WORKERS=${WORKERS:-$(( $(nproc) > 3 ? $(nproc) - 2 : 1 ))}
$PY -m training.train --arch fastseg --width-mult 1.25 --deep 3 --input 352x480 --crop 288x384 \
  --batch 16 --idd --idd-batch 16 --idd-holdout 0 --robust --lovasz 1 --lr 1e-3 --warmup 0.1 \
  --init "${INIT:-training/runs/base-model}" --minutes "$MINUTES" --eval-every 1 \
  --device "${DEVICE:-cuda}" --workers "$WORKERS" --threads 4 --out "$OUT" ${EXTRA:-}
