"""ROS 1 bags for the log tests, written by ROS's own `rosbag` Python API from real frames.

Usage: /usr/bin/python3 make_bag.py FRAMES_JSON OUT_DIR

FRAMES_JSON (made by test/helpers/logs.ts) lists prepared frames: camvid frames as rgb24/JPEG/PNG/
UYVY/YUYV files and dashcam frames as JPEG. Writes into OUT_DIR, each with a `<name>.json` manifest
of every message written (topic, log time, header stamp and frame id in nanoseconds as strings):
  drive-none.bag, drive-bz2.bag, drive-lz4.bag  two cameras (+ an rgb8 twin of the bgr8 one) and /gps/fix
  encodings.bag                                 one topic per raw encoding, a PNG topic, a 32FC1 topic
  torn.bag                                      a recording whose writer died: chunks, no index
"""
import json
import os
import sys

import numpy as np
import rosbag
import rospy
from sensor_msgs.msg import CompressedImage, Image, NavSatFix

T0 = 1_700_000_000_000_000_000
STAMP_SKEW = 12_345_679  # the left camera's header stamps lie this many ns before its log times


def ns_time(ns):
    return rospy.Time(ns // 1_000_000_000, ns % 1_000_000_000)


def read(path):
    with open(path, "rb") as f:
        return f.read()


def rgb_array(frame):
    return np.frombuffer(read(frame["rgb"]), np.uint8).reshape(frame["height"], frame["width"], 3)


def raw_image(frame, encoding, stamp, frame_id):
    rgb = rgb_array(frame)
    h, w = frame["height"], frame["width"]
    gray = np.round(rgb @ np.array([0.299, 0.587, 0.114])).clip(0, 255).astype(np.uint8)
    if encoding == "rgb8":
        data, step = rgb.tobytes(), w * 3
    elif encoding == "bgr8":
        data, step = rgb[:, :, ::-1].tobytes(), w * 3
    elif encoding in ("rgba8", "bgra8"):
        chans = rgb if encoding == "rgba8" else rgb[:, :, ::-1]
        data, step = np.dstack([chans, np.full((h, w), 255, np.uint8)]).tobytes(), w * 4
    elif encoding == "mono8":
        data, step = gray.tobytes(), w
    elif encoding == "mono16":
        data, step = (gray.astype("<u2") * 257).tobytes(), w * 2
    elif encoding in ("yuv422", "uyvy"):
        data, step = read(frame["uyvy"]), w * 2
    elif encoding in ("yuv422_yuy2", "yuyv"):
        data, step = read(frame["yuyv"]), w * 2
    elif encoding.startswith("bayer_"):
        data, step = bayer(rgb, encoding[6:10]).tobytes(), w
    elif encoding == "32FC1":
        data, step = (gray.astype("<f4") / 255).tobytes(), w * 4
    else:
        raise ValueError(encoding)
    msg = Image(height=h, width=w, encoding=encoding, is_bigendian=0, step=step, data=data)
    msg.header.stamp = ns_time(stamp)
    msg.header.frame_id = frame_id
    return msg


def bayer(rgb, pattern):
    """A Bayer mosaic of `rgb`: each pixel keeps the channel its filter lets through."""
    index = {"r": 0, "g": 1, "b": 2}
    out = np.empty(rgb.shape[:2], np.uint8)
    for k, ch in enumerate(pattern):
        dy, dx = divmod(k, 2)
        out[dy::2, dx::2] = rgb[dy::2, dx::2, index[ch]]
    return out


def compressed(path, fmt, stamp, frame_id):
    msg = CompressedImage(format=fmt, data=read(path))
    msg.header.stamp = ns_time(stamp)
    msg.header.frame_id = frame_id
    return msg


class Recorder:
    """A bag written as a recorder writes it: messages in arrival (log-time) order, see `flush`."""

    def __init__(self, path, **kw):
        self.bag = rosbag.Bag(path, "w", chunk_threshold=200 * 1024, **kw)
        self.manifest_path = path + ".json"
        self.messages = []
        self.pending = []

    def write(self, topic, msg, log_ns, stamp_ns=None, frame_id="", **extra):
        self.pending.append((log_ns, len(self.pending), topic, msg))
        entry = {"topic": topic, "type": msg._type, "logTimeNs": str(log_ns), "frameId": frame_id, **extra}
        if stamp_ns is not None:
            entry["stampNs"] = str(stamp_ns)
        self.messages.append(entry)

    def flush(self):
        for log_ns, _, topic, msg in sorted(self.pending, key=lambda p: p[:2]):
            self.bag.write(topic, msg, ns_time(log_ns))
        self.pending = []

    def save_manifest(self):
        with open(self.manifest_path, "w") as f:
            json.dump({"messages": self.messages}, f, indent=1)

    def close(self):
        self.flush()
        self.bag.close()
        self.save_manifest()


def drive(rec, frames):
    """Front JPEG camera (stamp = log time), left bgr8 camera (stamps skewed), its rgb8 twin, GPS."""
    for i, frame in enumerate(frames["dash"]):
        t = T0 + i * 100_000_000
        rec.write("/cam_front/image_raw/compressed", compressed(frame["jpg"], "jpeg", t, "cam_front"), t, t,
                  "cam_front", encoding="jpeg", source=f"dash:{i}")
    for i, frame in enumerate(frames["camvid"]):
        t = T0 + 50_000_000 + i * 100_000_000
        stamp = t - STAMP_SKEW
        rec.write("/cam_left/image_raw", raw_image(frame, "bgr8", stamp, "cam_left"), t, stamp, "cam_left",
                  encoding="bgr8", source=f"camvid:{i}")
        rec.write("/cam_left_rgb/image_raw", raw_image(frame, "rgb8", stamp, "cam_left"), t + 1000, stamp,
                  "cam_left", encoding="rgb8", source=f"camvid:{i}")
    for i in range(10):
        t = T0 + i * 45_000_000
        fix = NavSatFix(latitude=48.1 + i * 1e-5, longitude=11.5, altitude=520.0)
        fix.header.stamp = ns_time(t)
        fix.header.frame_id = "gps"
        rec.write("/gps/fix", fix, t, t, "gps")


ENCODINGS = ["rgba8", "bgra8", "mono8", "mono16", "yuv422", "uyvy", "yuv422_yuy2", "yuyv",
             "bayer_rggb8", "bayer_bggr8", "bayer_gbrg8", "bayer_grbg8", "32FC1"]


def encodings(rec, frames):
    for i, frame in enumerate(frames["camvid"][:2]):
        t = T0 + i * 100_000_000
        for k, enc in enumerate(ENCODINGS):
            topic = f"/enc/{enc}"
            rec.write(topic, raw_image(frame, enc, t + k, topic), t + k, t + k, topic, encoding=enc,
                      source=f"camvid:{i}")
        rec.write("/enc/png", compressed(frame["png"], "png", t + 99, "/enc/png"), t + 99, t + 99, "/enc/png",
                  encoding="png", source=f"camvid:{i}")


def torn(path, frames):
    """Writes chunks, then dies like a killed recorder: the bag has no index and no connection records."""
    rec = Recorder(path)
    drive(rec, frames)
    rec.flush()
    rec.bag._stop_writing_chunk()  # the last full chunk reaches the file, as a recorder's periodic flush does
    rec.bag._file.flush()
    rec.save_manifest()
    fix = NavSatFix(latitude=48.2)  # a message after the last full chunk: its chunk is torn (not in the manifest)
    rec.bag.write("/gps/fix", fix, ns_time(T0 + 10**9))
    rec.bag._file.flush()
    os._exit(0)


def main():
    frames = json.loads(read(sys.argv[1]))
    out = sys.argv[2]
    for compression in ("none", "bz2", "lz4"):
        rec = Recorder(os.path.join(out, f"drive-{compression}.bag"), compression=compression)
        drive(rec, frames)
        rec.close()
    rec = Recorder(os.path.join(out, "encodings.bag"))
    encodings(rec, frames)
    rec.close()
    if os.fork() == 0:
        torn(os.path.join(out, "torn.bag"), frames)
    os.wait()


if __name__ == "__main__":
    main()
