"""Widen or deepen a trained network without changing what it computes, to fine-tune the larger one.

The wider net (same graph, larger `width_mult`) keeps every trained channel; each new channel gets
fresh (random) incoming weights and zero outgoing weights, so at the start the wider net's logits
equal the trained net's (checked here), and fine-tuning grows the new channels from there. Concats
are followed so that weights reading a concatenated tensor land on the right input channels.

Deepening (`--deep N`, fastseg) inserts N residual blocks at 1/32 (nets.fastseg); their nodes have
their own names, so every trained weight loads where it was, and each new block's last BatchNorm
starts at scale 0 and shift 0: the block adds exactly zero to its input until fine-tuning grows it.

Usage: /usr/bin/python3 -m training.grow IN.pt OUT.pt [--width-mult 1.5] [--deep 3]
"""
from __future__ import annotations

import argparse

import torch

from .checkpoint import load_net, save
from .graph import CONV_OPS, GraphNet
from .nets import build


def _maps(narrow: dict, wide: dict) -> dict[str, list[int]]:
    """Where each tensor's trained channels sit in the wide net's tensor: conv outputs keep them
    first, elementwise ops keep their input's layout, concat offsets each input by the wide widths.
    A skipconv's kernel reads its two inputs as one concat: that layout is under `<node>:in`."""
    maps: dict[str, list[int]] = {"input": [0, 1, 2]}
    wch: dict[str, int] = {"input": 3}

    def concat(inputs: list[str]) -> tuple[list[int], int]:
        m, off = [], 0
        for i in inputs:
            m += [off + c for c in maps[i]]
            off += wch[i]
        return m, off

    for n, w in zip(narrow["nodes"], wide["nodes"]):
        assert n["op"] == w["op"] and n["name"] == w["name"] and n["inputs"] == w["inputs"], "graphs differ"
        op, name = n["op"], n["name"]
        if op in ("conv", "skipconv"):
            maps[name] = list(range(n["cout"]))
            wch[name] = w["cout"]
            if op == "skipconv":
                maps[f"{name}:in"] = concat(n["inputs"])[0]
        elif op == "concat":
            maps[name], wch[name] = concat(n["inputs"])
        elif op == "add":
            a, b = n["inputs"]
            assert maps[a] == maps[b], f"{name}: inputs laid out differently"
            maps[name], wch[name] = maps[a], wch[a]
        else:  # dwconv, up2, pool2, relu, gap keep the channel layout
            maps[name], wch[name] = maps[n["inputs"][0]], wch[n["inputs"][0]]
    return maps


@torch.no_grad()
def grow(narrow_net: GraphNet, wide_spec: dict, seed: int = 0) -> GraphNet:
    torch.manual_seed(seed)
    wide = GraphNet(wide_spec)
    maps = _maps(narrow_net.spec, wide_spec)
    for n in narrow_net.spec["nodes"]:
        if n["op"] not in CONV_OPS:
            continue
        src, dst = narrow_net.convs[n["name"]], wide.convs[n["name"]]
        sconv, dconv = (src[0], dst[0]) if n["bn"] else (src, dst)
        out = torch.tensor(maps[n["name"]] if n["op"] != "dwconv" else maps[n["inputs"][0]])
        inp = torch.tensor(maps.get(f"{n['name']}:in", maps[n["inputs"][0]]))
        if n["op"] != "dwconv":
            # trained outputs read only trained inputs; new inputs contribute nothing to them
            dconv.weight[out] = 0.0
            dconv.weight[out[:, None], inp[None, :]] = sconv.weight
        else:
            dconv.weight[out] = sconv.weight
        if sconv.bias is not None:
            dconv.bias[out] = sconv.bias
        if n["bn"]:
            for attr in ("weight", "bias", "running_mean", "running_var"):
                getattr(dst[1], attr)[out] = getattr(src[1], attr)
            dst[1].num_batches_tracked.copy_(src[1].num_batches_tracked)
    # new channels feeding trained ones were zeroed above; new channels feeding new ones stay random
    return wide


@torch.no_grad()
def deepen(net: GraphNet, deep_spec: dict, seed: int = 0) -> GraphNet:
    torch.manual_seed(seed)
    deep = GraphNet(deep_spec)
    missing, unexpected = deep.load_state_dict(net.state_dict(), strict=False)
    assert not unexpected, f"deeper net lacks trained weights: {unexpected}"
    new = {k.split(".")[1] for k in missing}
    assert all(n.startswith("deep_") for n in new), f"only deep_* nodes may be new: {sorted(new)}"
    for n in deep_spec["nodes"]:
        # the last conv of each new block (linear projection, BN, then the residual add) starts silent
        if n["name"] in new and n["op"] == "conv" and n["act"] is None:
            bn = deep.convs[n["name"]][1]
            bn.weight.zero_()
            bn.bias.zero_()
    return deep


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("checkpoint")
    ap.add_argument("out")
    ap.add_argument("--width-mult", type=float, default=None, help="wider channels (default: the checkpoint's)")
    ap.add_argument("--deep", type=int, default=None, help="extra context blocks in all (fastseg; default: the checkpoint's)")
    a = ap.parse_args()
    net, ck = load_net(a.checkpoint)
    spec = ck["spec"]
    H, W = spec["input_size"]
    wm0, deep0 = spec.get("width_mult", 1.0), spec.get("deep", 0)
    wm = a.width_mult if a.width_mult is not None else wm0
    deep = a.deep if a.deep is not None else deep0
    if deep != deep0 and spec["arch"] != "fastseg":
        raise SystemExit(f"--deep needs a fastseg checkpoint ({a.checkpoint} is {spec['arch']})")
    if wm < wm0 or deep < deep0 or (wm, deep) == (wm0, deep0):
        raise SystemExit(f"nothing to grow: width {wm0} -> {wm}, deep {deep0} -> {deep} (only larger is allowed)")
    grown = net
    if wm != wm0:
        grown = grow(grown, build(spec["arch"], H, W, width_mult=wm, deep=deep0)).eval()
    if deep != deep0:
        grown = deepen(grown, build(spec["arch"], H, W, width_mult=wm, deep=deep)).eval()
    x = torch.randn(2, 3, H, W)
    diff = float((grown(x) - net(x)).abs().max())
    assert diff < 1e-3, f"grown net differs from the trained one by {diff}"
    extra = {k: v for k, v in ck.items() if k not in ("spec", "state_dict")}
    extra["grown_from"] = {"checkpoint": a.checkpoint, "width_mult": wm0, "deep": deep0}
    save(a.out, grown, grown.spec, **extra)
    n0 = sum(p.numel() for p in net.parameters())
    n1 = sum(p.numel() for p in grown.parameters())
    print(f"{a.checkpoint} ({n0} params) -> {a.out} ({n1} params), max |logit diff| {diff:.2e}")


if __name__ == "__main__":
    main()
