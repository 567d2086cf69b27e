#!/usr/bin/python3
"""Flow-warped temporal consistency of seg-stream's labels, without and with --smooth.

For each clip: seg-stream writes class-id masks (`--masks DIR`, once per setting); dense optical
flow (OpenCV DIS, medium preset) is computed on the video's own frames, at most 480 px wide; for
each frame t the labels of frame t-1 are warped onto t along the backward flow (t -> t-1, nearest
label) and compared with frame t's labels:
  * `all`: % of the pixels whose flow lands inside frame t-1 that keep their label,
  * `reliable`: the same on the pixels that pass a forward-backward check (the forward flow at the
    landing point brings the pixel back to within 0.5 px + 5 % of the motion, Sundaram et al. 2010),
  * `reliableMoving`: the reliable pixels that moved more than 1 px (a lag or a smear loses here).
A steadier labelling that still follows the picture raises all three; a lagging one loses where
things move. The flow depends only on the video, so it is computed once per clip and shared by
every setting.

Bench only (python3-opencv, numpy); seg-stream itself never needs Python.

Usage:
  /usr/bin/python3 bench/flow-consistency.py [--clips a.mp4,b.mp4] [--settings 0,0.8] [--frames N] [--work DIR]
      [--cli bin/seg-stream.js] [--extra "--flag value"] [--out bench/results/flow-consistency.json]
Setting 0 runs without --smooth; any other value S runs with --smooth S.
"""
import argparse
import json
import os
import shlex
import subprocess
import sys
import tempfile
import time

import cv2
import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED = os.path.abspath(os.path.join(ROOT, '..', 'shared'))
MAX_WIDTH = 480


def ffmpeg(args):
    subprocess.run(['ffmpeg', '-loglevel', 'error', '-y', *args], check=True)


def made_clips(work):
    """More real driving clips made from real frames (kept in `work`, made once):
    the dashcam clip at half its rate (every 2nd frame, 12.5 fps: a slower camera), and the
    CamVid train runs 0006R0 and 0016E5, whose frames are one second apart (frame numbers step by
    30 at 30 fps), as videos: large motion between frames."""
    os.makedirs(work, exist_ok=True)
    out = []
    half = os.path.join(work, 'dashcam_12.5fps.mp4')
    if not os.path.exists(half):
        ffmpeg(['-i', os.path.join(SHARED, 'samples', 'solidWhiteRight.mp4'), '-vf', "select='not(mod(n,2))',setpts=N/12.5/TB", '-an', '-r', '12.5',
                '-c:v', 'libx264', '-crf', '14', '-pix_fmt', 'yuv420p', half])
    out.append(half)
    train = os.path.join(SHARED, 'datasets', 'camvid', 'train')
    for seq in ('0006R0', '0016E5'):
        clip = os.path.join(work, f'camvid_train_{seq}_1hz.mp4')
        if not os.path.exists(clip):
            names = sorted(f for f in os.listdir(train) if f.startswith(seq + '_'))
            lst = os.path.join(work, f'{seq}.txt')
            with open(lst, 'w') as f:
                f.writelines(f"file '{os.path.join(train, n)}'\n" for n in names)
            ffmpeg(['-f', 'concat', '-safe', '0', '-r', '15', '-i', lst, '-c:v', 'libx264', '-crf', '14', '-pix_fmt', 'yuv420p', '-r', '15', clip])
        out.append(clip)
    return out


def default_clips(work):
    s = os.path.join(SHARED, 'samples')
    return [os.path.join(s, 'solidWhiteRight.mp4'), os.path.join(s, 'camvid_val_0016E5_15fps.mp4'), *made_clips(work)]


def read_grey(path, limit):
    """The clip's frames as grey planes, scaled to at most MAX_WIDTH wide."""
    cap = cv2.VideoCapture(path)
    frames = []
    while limit is None or len(frames) < limit:
        ok, bgr = cap.read()
        if not ok:
            break
        h, w = bgr.shape[:2]
        if w > MAX_WIDTH:
            bgr = cv2.resize(bgr, (MAX_WIDTH, round(h * MAX_WIDTH / w)), interpolation=cv2.INTER_AREA)
        frames.append(cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY))
    cap.release()
    return frames


def flows(frames):
    """Per pair t-1, t: (backward flow t -> t-1, forward flow t-1 -> t)."""
    dis = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM)
    out = []
    for t in range(1, len(frames)):
        back = dis.calc(frames[t], frames[t - 1], None)
        fwd = dis.calc(frames[t - 1], frames[t], None)
        out.append((back, fwd))
    return out


def pair_masks(back, fwd):
    """Landing coordinates in t-1 and the inside / reliable / moving masks of frame t's pixels."""
    h, w = back.shape[:2]
    gx, gy = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    mx = gx + back[..., 0]
    my = gy + back[..., 1]
    inside = (mx >= 0) & (mx <= w - 1) & (my >= 0) & (my <= h - 1)
    # Forward flow at the landing point, bilinear: back + fwd(landing) should be about zero.
    f_at = cv2.remap(fwd, mx, my, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    err = np.hypot(back[..., 0] + f_at[..., 0], back[..., 1] + f_at[..., 1])
    mag = np.hypot(back[..., 0], back[..., 1])
    reliable = inside & (err <= 0.5 + 0.05 * mag)
    return mx, my, inside, reliable, reliable & (mag > 1.0)


def segment(cli, clip, setting, frames, extra, out_dir):
    args = ['node', cli, clip, '--masks', out_dir, '--json']
    if frames:
        args += ['--frames', str(frames)]
    if setting:
        args += ['--smooth', str(setting)]
    args += extra
    t0 = time.time()
    res = subprocess.run(args, capture_output=True, text=True)
    if res.returncode != 0:
        sys.exit(f'seg-stream failed ({res.returncode}) on {clip}: {res.stderr.strip()}')
    summary = json.loads(res.stdout.strip().splitlines()[-1])
    return summary, time.time() - t0


def confusion(a, b):
    """256x256 counts of (warped label, current label)."""
    return np.bincount(a.astype(np.int64) * 256 + b, minlength=65536).reshape(256, 256)


def class_iou(conf):
    """Mean over classes present (not 255) of IoU(warped, current), %; None where none."""
    inter = np.diag(conf)[:255].astype(np.float64)
    union = conf.sum(0)[:255] + conf.sum(1)[:255] - inter
    present = union > 0
    return float(100 * (inter[present] / union[present]).mean()) if present.any() else None


def score(mask_dir, n, size, geometry):
    """Agreement % per criterion over all pairs (pixel-weighted), and the class-mean IoU of the
    warped labels against the current ones (`tc`: per pair, then averaged over pairs, as in Liu et
    al. 2020, "Efficient semantic video segmentation with per-frame inference"; `tcReliable` on
    the reliable pixels only)."""
    names = sorted(f for f in os.listdir(mask_dir) if f.endswith('.png'))
    if len(names) < n:
        sys.exit(f'{mask_dir}: {len(names)} masks for {n} frames')
    labels = [cv2.resize(cv2.imread(os.path.join(mask_dir, f), cv2.IMREAD_UNCHANGED), size, interpolation=cv2.INTER_NEAREST) for f in names[:n]]
    agree = {'all': 0, 'reliable': 0, 'reliableMoving': 0}
    total = {'all': 0, 'reliable': 0, 'reliableMoving': 0}
    tc = {'tc': [], 'tcReliable': []}
    for t in range(1, n):
        mx, my, inside, reliable, moving = geometry[t - 1]
        warped = cv2.remap(labels[t - 1], mx, my, cv2.INTER_NEAREST, borderMode=cv2.BORDER_CONSTANT, borderValue=255)
        same = warped == labels[t]
        for k, m in (('all', inside), ('reliable', reliable), ('reliableMoving', moving)):
            agree[k] += int(np.count_nonzero(same & m))
            total[k] += int(np.count_nonzero(m))
        for k, m in (('tc', inside), ('tcReliable', reliable)):
            v = class_iou(confusion(warped[m], labels[t][m]))
            if v is not None:
                tc[k].append(v)
    res = {k: round(100 * agree[k] / total[k], 3) if total[k] else None for k in agree}
    for k, v in tc.items():
        res[k] = round(sum(v) / len(v), 3) if v else None
    pixels = sum(m[2].size for m in geometry)
    res['reliableShare'] = round(100 * total['reliable'] / pixels, 2)
    res['movingShare'] = round(100 * total['reliableMoving'] / pixels, 2)
    return res


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--clips', default=None, help='comma-separated videos (default: the two in ../shared/samples and those of made_clips)')
    ap.add_argument('--work', default=os.path.join(tempfile.gettempdir(), 'seg-stream-flow-clips'))
    ap.add_argument('--settings', default='0,0.8')
    ap.add_argument('--frames', type=int, default=None)
    ap.add_argument('--cli', default=os.path.join(ROOT, 'bin', 'seg-stream.js'))
    ap.add_argument('--extra', default='', help='more seg-stream flags for every run')
    ap.add_argument('--out', default=os.path.join(ROOT, 'bench', 'results', 'flow-consistency.json'))
    a = ap.parse_args()
    settings = [float(s) for s in a.settings.split(',')]
    extra = shlex.split(a.extra)
    results = []
    for clip in a.clips.split(',') if a.clips else default_clips(a.work):
        frames = read_grey(clip, a.frames)
        n = len(frames)
        h, w = frames[0].shape
        geometry = [pair_masks(b, f) for b, f in flows(frames)]
        row = {'clip': os.path.basename(clip), 'frames': n, 'flowSize': f'{w}x{h}', 'settings': {}}
        for s in settings:
            with tempfile.TemporaryDirectory(prefix='flowcons-') as d:
                summary, secs = segment(a.cli, clip, s, a.frames, extra, d)
                r = score(d, n, (w, h), geometry)
            st = summary.get('stability', {})
            r.update({'flicker': st.get('flicker'), 'changed': st.get('changed'), 'seconds': round(secs, 1)})
            row['settings'][str(s)] = r
            print(f"{row['clip']:40s} smooth {s:<5} tc {r['tc']:7.3f}  tcReliable {r['tcReliable']:7.3f}  all {r['all']:7.3f}  reliable {r['reliable']:7.3f}  moving {r['reliableMoving']}  flicker {r['flicker']}", flush=True)
        results.append(row)
    mean = {}
    for s in settings:
        for k in ('tc', 'tcReliable', 'all', 'reliable', 'reliableMoving'):
            vals = [r['settings'][str(s)][k] for r in results if r['settings'][str(s)][k] is not None]
            mean.setdefault(str(s), {})[k] = round(sum(vals) / len(vals), 3) if vals else None
    out = {'cli': a.cli, 'extra': a.extra, 'flow': 'OpenCV DIS medium, backward t->t-1, forward-backward check 0.5 px + 5 %', 'clips': results, 'mean': mean}
    os.makedirs(os.path.dirname(a.out), exist_ok=True)
    with open(a.out, 'w') as f:
        json.dump(out, f, indent=1)
    print(json.dumps(mean))


if __name__ == '__main__':
    main()
