#!/bin/sh
# Retrains models/camvid-idd: camvid-default 1.0.0 (training/runs/base-model, from `retrain-default.sh base`) fine-tuned on CamVid + IDD-Lite (folds 1-4;
# fold 0 held out) with the partial-label IDD loss and the camera-robustness augmentation.
#   stage 1 (GPU): training/joint-gpu.sh from training/runs/base-model, lr 1e-3, IDD weight 1, 7 min
#   stage 2 (GPU): from stage 1's last checkpoint, lr 5e-4, IDD weight 0.3, 3 min
#   stage 3 (here): prior correction + per-class offsets on CamVid val (PNG originals), export, parity
# A GPU command runs at most 10 minutes, so the stages are separate calls:
#   here, once:  /usr/bin/python3 -m training.pack_data .data --quality 60   (the device tool carries at
#                most 64 MiB: tree 22 MiB + data 35 MiB + a 4.2 MB checkpoint; camvid-idd was made from q85)
#   GPU:         sh training/retrain-camvid-idd.sh stage1 "$OUT"      (carry .data; ~8 min on an H200)
#   GPU:         sh training/retrain-camvid-idd.sh stage2 "$OUT" RUNS/joint-gpu/last.pt   (carry .data and
#                that checkpoint, copied into a git-ignored folder of the checkout; ~3.5 min)
#   here:        sh training/retrain-camvid-idd.sh finish training/runs   (~5 min on 2 cores)
# with stage 1's files in RUNS/joint-gpu and stage 2's in RUNS/joint-gpu-w03. DEVICE=cpu PY=/usr/bin/python3
# runs stages 1 and 2 on the CPU (slowly: the H200 made ~12 steps a second, 2 cores make ~10 a minute).
set -eu
STAGE=${1:?usage: sh training/retrain-camvid-idd.sh stage1|stage2|finish DIR [INIT]}
DIR=${2:?usage: sh training/retrain-camvid-idd.sh stage1|stage2|finish DIR [INIT]}
case "$STAGE" in
  stage1) EXTRA="--log-every 50" sh training/joint-gpu.sh "$DIR/joint-gpu" 7 ;;
  stage2) INIT=${3:?stage2 needs the last.pt of stage 1} \
          EXTRA="--log-every 200 --idd-weight 0.3 --lr 5e-4 --eval-every 0.75" \
          sh training/joint-gpu.sh "$DIR/joint-gpu-w03" 3 ;;
  finish)
    PY=/usr/bin/python3
    mkdir -p "$DIR/joint-gpu-w03-cal"
    $PY -m training.calibrate "$DIR/joint-gpu-w03/best.pt" "$DIR/joint-gpu-w03-cal/best.pt" --per-class
    $PY -m training.export "$DIR/joint-gpu-w03-cal/best.pt" models/camvid-idd --name camvid-idd --description 'camvid-default 1.0.0 fine-tuned for cameras and roads beyond CamVid: fastseg at width 1.25 with 3 extra context blocks (1048531 parameters, the architecture of camvid-default), trained 7 + 3 minutes on one H200 on CamVid train and IDD-Lite train folds 1-4 (Indian roads; fold 0 held out) with a partial-label loss (each IDD group supervises the summed probability of the CamVid classes mapped to it) and camera-robustness augmentation (colour temperature, gamma, contrast, blur, noise, JPEG artefacts, scale and aspect jitter, a synthetic bonnet labelled Car), then a prior correction plus one logit offset per class chosen on CamVid val. Same input policy as the default (input.resize aspect at about 480x352); output stride 2.'
    # the card's metrics.idd and metrics.note were then written from these two measurements:
    node bin/seg-stream.js eval ../shared/datasets/idd_lite --format idd --split train --fold 0 -m models/camvid-idd
    $PY -m training.idd models/camvid-idd --fold 0
    node training/check-parity.mjs models/camvid-idd --frames 8 ;;
  *) echo "unknown stage $STAGE" >&2; exit 2 ;;
esac
