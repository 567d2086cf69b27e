#!/usr/bin/python3
"""A live RTSP server for seg-stream's tests (GStreamer's gst-rtsp-server through python3-gi).

Serves the H.264 video of an MP4 file at rtsp://127.0.0.1:<port><path>, looped forever and
paced in real time, so the stream behaves like a camera: a client that reads slowly falls behind
a stream that does not wait for it.

* The file's access units are read once at start-up (no re-encoding). Every client gets its own
  media that starts at the first access unit (a key frame), pushed by a timer at the file's own
  decode times; each loop continues the timestamps where the last one ended.
* UDP and TCP (interleaved) transports are both offered.
* --user/--password turn on basic authentication: a request without them or with wrong ones is
  answered 401 Unauthorized; an unknown path is answered 404 Not Found.
* Prints "READY <port>" on stdout once it listens (--port 0 picks a free port), and exits 0 on
  SIGTERM/SIGINT, and with --exit-on-stdin-eof when its stdin closes (the parent died).

Usage: /usr/bin/python3 rtsp_server.py --file video.mp4 [--port 8554] [--path /stream]
                                       [--user u --password p] [--exit-on-stdin-eof]
"""
import argparse
import os
import signal
import sys

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtsp", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtsp, GstRtspServer  # noqa: E402

PUSH_INTERVAL_MS = 5
# Access units are pushed this far ahead of their decode time; the sinks pace the rest.
PUSH_AHEAD_NS = 20 * Gst.MSECOND


def fail(message):
    print(f"rtsp_server: {message}", file=sys.stderr, flush=True)
    sys.exit(2)


def read_access_units(path):
    """Returns ([(bytes, pts_offset or None, dts_offset, duration)], loop_duration, caps)."""
    pipeline = Gst.parse_launch(
        "filesrc name=src ! qtdemux ! h264parse config-interval=-1 ! "
        "video/x-h264,stream-format=byte-stream,alignment=au ! appsink name=sink sync=false"
    )
    pipeline.get_by_name("src").set_property("location", path)
    sink = pipeline.get_by_name("sink")
    pipeline.set_state(Gst.State.PLAYING)
    units = []
    caps = None
    first = None
    while True:
        sample = sink.emit("pull-sample")
        if sample is None:
            break
        caps = caps or sample.get_caps()
        buf = sample.get_buffer()
        dts = buf.dts if buf.dts != Gst.CLOCK_TIME_NONE else buf.pts
        if first is None:
            first = dts
        pts = None if buf.pts == Gst.CLOCK_TIME_NONE else buf.pts - first
        ok, info = buf.map(Gst.MapFlags.READ)
        data = bytes(info.data)
        buf.unmap(info)
        units.append([data, pts, dts - first, buf.duration])
    bus = pipeline.get_bus()
    error = bus.pop_filtered(Gst.MessageType.ERROR)
    pipeline.set_state(Gst.State.NULL)
    if error is not None:
        err, _ = error.parse_error()
        fail(f"cannot read {path}: {err.message}")
    if not units or caps is None:
        fail(f"no H.264 video in {path}")
    structure = caps.get_structure(0)
    ok, num, den = structure.get_fraction("framerate")
    frame_ns = Gst.SECOND * den // num if ok and num > 0 else Gst.SECOND // 25
    for unit in units:
        if unit[3] == Gst.CLOCK_TIME_NONE or unit[3] == 0:
            unit[3] = frame_ns
    loop_duration = units[-1][2] + units[-1][3]
    return units, loop_duration, caps


class LoopingFactory(GstRtspServer.RTSPMediaFactory):
    """One media per client, fed by an appsrc that loops the file's access units."""

    def __init__(self, units, loop_duration, caps):
        super().__init__()
        self.units = units
        self.loop_duration = loop_duration
        self.caps = caps
        self.set_shared(False)
        self.set_launch(
            "( appsrc name=src is-live=true format=time do-timestamp=false "
            "! h264parse ! rtph264pay name=pay0 pt=96 config-interval=-1 )"
        )
        self.connect("media-configure", self.on_media_configure)

    def on_media_configure(self, _factory, media):
        appsrc = media.get_element().get_child_by_name("src")
        appsrc.set_property("caps", self.caps)
        state = {"n": 0, "base": None, "timer": None}

        def push():
            clock = appsrc.get_clock()
            if clock is None:
                return True  # not playing yet
            now = clock.get_time() - appsrc.get_base_time()
            if state["base"] is None:
                state["base"] = now
            while True:
                loop, i = divmod(state["n"], len(self.units))
                data, pts, dts, duration = self.units[i]
                offset = state["base"] + loop * self.loop_duration
                if offset + dts > now + PUSH_AHEAD_NS:
                    return True
                buf = Gst.Buffer.new_wrapped(data)
                buf.dts = offset + dts
                buf.pts = offset + (pts if pts is not None else dts)
                buf.duration = duration
                if appsrc.emit("push-buffer", buf) != Gst.FlowReturn.OK:
                    state["timer"] = None
                    return False  # torn down or flushing: this media is over
                state["n"] += 1

        def stop(*_args):
            if state["timer"] is not None:
                GLib.source_remove(state["timer"])
                state["timer"] = None

        state["timer"] = GLib.timeout_add(PUSH_INTERVAL_MS, push)
        media.connect("unprepared", stop)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--file", required=True, help="H.264 MP4 file to serve, looped forever")
    parser.add_argument("--port", type=int, default=8554, help="TCP port on 127.0.0.1 (0: any free port)")
    parser.add_argument("--path", default="/stream", help="mount path (default /stream)")
    parser.add_argument("--user", help="require basic authentication with this user name")
    parser.add_argument("--password", help="password for --user")
    parser.add_argument("--exit-on-stdin-eof", action="store_true", help="exit when stdin closes")
    args = parser.parse_args()
    if (args.user is None) != (args.password is None):
        fail("--user and --password go together")
    if not args.path.startswith("/"):
        fail("--path must start with /")
    if not os.path.isfile(args.file):
        fail(f"no such file: {args.file}")

    Gst.init(None)
    units, loop_duration, caps = read_access_units(os.path.abspath(args.file))

    server = GstRtspServer.RTSPServer()
    server.set_address("127.0.0.1")
    server.set_service(str(args.port))
    factory = LoopingFactory(units, loop_duration, caps)
    factory.set_protocols(GstRtsp.RTSPLowerTrans.UDP | GstRtsp.RTSPLowerTrans.TCP)
    if args.user is not None:
        auth = GstRtspServer.RTSPAuth()
        token = GstRtspServer.RTSPToken()
        token.set_string(GstRtspServer.RTSP_TOKEN_MEDIA_FACTORY_ROLE, "viewer")
        auth.add_basic(GstRtspServer.RTSPAuth.make_basic(args.user, args.password), token)
        server.set_auth(auth)
        factory.add_role_from_structure(
            Gst.Structure.from_string(
                "viewer, media.factory.access=(boolean)true, media.factory.construct=(boolean)true"
            )[0]
        )
    server.get_mount_points().add_factory(args.path, factory)

    loop = GLib.MainLoop()
    try:
        source_id = server.attach(None)
    except GLib.Error as err:
        fail(f"cannot listen on 127.0.0.1:{args.port}: {err.message}")
    if source_id == 0:
        fail(f"cannot listen on 127.0.0.1:{args.port}")

    def quit_loop(*_args):
        loop.quit()
        return GLib.SOURCE_REMOVE

    GLib.unix_signal_add(GLib.PRIORITY_HIGH, signal.SIGTERM, quit_loop)
    GLib.unix_signal_add(GLib.PRIORITY_HIGH, signal.SIGINT, quit_loop)
    if args.exit_on_stdin_eof:
        channel = GLib.IOChannel.unix_new(sys.stdin.fileno())

        def on_stdin(_channel, condition):
            if condition & (GLib.IOCondition.HUP | GLib.IOCondition.ERR):
                return quit_loop()
            if not os.read(sys.stdin.fileno(), 4096):
                return quit_loop()
            return GLib.SOURCE_CONTINUE

        GLib.io_add_watch(channel, GLib.PRIORITY_DEFAULT, GLib.IOCondition.IN | GLib.IOCondition.HUP | GLib.IOCondition.ERR, on_stdin)

    print(f"READY {server.get_bound_port()}", flush=True)
    loop.run()
    # The kernel closes the listening socket and the clients' connections. os._exit skips the
    # interpreter's teardown of GStreamer objects, which takes ~2 s.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


if __name__ == "__main__":
    main()
