"""Network definitions, written against GraphBuilder so they export identically to ONNX and TF.js.

Each builder returns a spec dict (see graph.py) with the fixed input size [H, W] the model is
exported at. All sizes must be divisible by the deepest stride (up2 needs exact halving).

Decoder skips are `skip_conv(low, skip, out)`: the 1x1 conv over concat(up2(low), skip), run with
the conv before the upsampling (graph.py `skipconv`; the same function, 1.31x faster alone for the
default model on the CPU, training/README.md).
"""
from __future__ import annotations

from .graph import GraphBuilder

NUM_CLASSES = 11


def _ds(g: GraphBuilder, x: str, out: int, s: int = 1) -> str:
    """Depthwise-separable conv: dw3x3(+BN+ReLU) then pw1x1(+BN+ReLU)."""
    return g.conv(g.dw(x, 3, s, act=True), out, 1)


def _res(g: GraphBuilder, x: str) -> str:
    """Residual depthwise-separable block, ReLU after the add."""
    y = g.conv(g.dw(x, 3, 1, act=True), g.ch[x], 1, act=False)
    return g.add(x, y, act=True)


def _ir(g: GraphBuilder, x: str, out: int, s: int = 1, t: int = 3, k: int = 3) -> str:
    """Inverted residual (MobileNetV2): pw expand -> dw k x k -> pw project (linear), skip if same shape."""
    c = g.ch[x]
    y = g.conv(x, c * t, 1)
    y = g.dw(y, k, s, act=True)
    y = g.conv(y, out, 1, act=False)
    if s == 1 and c == out:
        return g.add(x, y)
    return y


def tiny(height: int = 144, width: int = 256) -> dict:
    """~30k-parameter net for test fixtures. Output stride 2."""
    g = GraphBuilder()
    s2 = g.conv("input", 12, 3, 2)                 # 1/2
    s4 = _res(g, _ds(g, s2, 24, 2))                # 1/4
    s8 = _res(g, _res(g, _ds(g, s4, 48, 2)))       # 1/8
    s16 = _res(g, _ds(g, s8, 64, 2))               # 1/16
    y = g.skip_conv(s16, s8, 48)                   # 1/8
    y = _res(g, y)
    y = g.skip_conv(y, s4, 32)                     # 1/4
    y = _ds(g, y, 32)
    y = g.skip_conv(y, s2, 16)                     # 1/2
    logits = g.conv(y, NUM_CLASSES, 1, act=False, bn=False)
    return g.spec(logits, arch="tiny", input_size=[height, width])


def fastseg(height: int = 352, width: int = 480, width_mult: float = 1.0, deep: int = 0) -> dict:
    """Default real-time model: Fast-SCNN-like two-branch net, output stride 2.

    Spatial path (learning-to-downsample, 1/2 -> 1/8) keeps detail; the context branch of
    inverted residuals goes to 1/32, plus a global-average-pool context vector added back;
    fusion at 1/8, then a light decoder with the 1/4 and 1/2 skips. Input must divide by 32.

    `deep` adds that many residual inverted-residual blocks (t=3, 5x5 depthwise) at 1/32, after the
    widest block, where they cost little; their nodes are named `deep_*` so every other node keeps
    its name and a trained net can be deepened in place (training/grow.py --deep).
    """
    m = lambda c: int(round(c * width_mult / 8) * 8)  # noqa: E731
    g = GraphBuilder()
    s2 = g.conv("input", 16, 3, 2)                             # 1/2
    s4 = _res(g, _ds(g, s2, m(32), 2))                         # 1/4
    s8 = _res(g, _ds(g, s4, m(64), 2))                         # 1/8
    # context branch
    c = _ir(g, s8, m(64), 2, t=3)                              # 1/16
    c = _ir(g, c, m(64), 1, t=3)
    c = _ir(g, c, m(64), 1, t=3)
    c = _ir(g, c, m(96), 2, t=3)                               # 1/32
    c = _ir(g, c, m(96), 1, t=3)
    c = _ir(g, c, m(96), 1, t=3)
    c = _ir(g, c, m(128), 1, t=3)
    with g.scope("deep"):
        for _ in range(deep):
            c = _ir(g, c, m(128), 1, t=3, k=5)
    c = g.conv(c, m(96), 1)
    gl = g.conv(g.gap(c), m(96), 1, bn=False)                  # global context vector
    c = g.add(c, gl, act=True)
    # fuse with the spatial path at 1/8
    c = g.up2(g.up2(c))                                        # 1/8
    c = g.dw(c, 3, 1, act=True)
    c = g.conv(c, m(64), 1, act=False)
    f = g.add(c, g.conv(s8, m(64), 1, act=False), act=True)
    f = _res(g, f)
    # decoder
    y = g.skip_conv(f, s4, m(48))                              # 1/4
    y = _res(g, y)
    y = g.skip_conv(y, s2, 24)                                 # 1/2
    y = _ds(g, y, 24)
    logits = g.conv(y, NUM_CLASSES, 1, act=False, bn=False)
    meta = dict(deep=deep) if deep else {}  # absent when 0: earlier checkpoints' specs stay equal
    return g.spec(logits, arch="fastseg", input_size=[height, width], width_mult=width_mult, **meta)


NETS = {"tiny": tiny, "fastseg": fastseg}


def build(arch: str, height: int | None = None, width: int | None = None, width_mult: float | None = None,
          deep: int = 0) -> dict:
    if deep and arch != "fastseg":
        raise SystemExit(f"--deep needs --arch fastseg ({arch} has no context branch to deepen)")
    kw = {}
    if width_mult:
        kw["width_mult"] = width_mult
    if deep:
        kw["deep"] = deep
    if height:
        kw["height"] = height
    if width:
        kw["width"] = width
    return NETS[arch](**kw)
