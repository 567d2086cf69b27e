"""Widen a trained network without changing what it computes, to fine-tune the wider one.

The wider net (same graph, larger `width_mult`) keeps every trained channel; each new channel gets
fresh (random) incoming weights and zero outgoing weights, so at the start the wider net's logits
equal the trained net's (checked here), and fine-tuning grows the new channels from there. Concats
are followed so that weights reading a concatenated tensor land on the right input channels.

Usage: /usr/bin/python3 -m training.grow IN.pt OUT.pt --width-mult 1.5
"""
from __future__ import annotations

import argparse

import torch

from .checkpoint import load_net, save
from .graph import GraphNet
from .nets import build


def _maps(narrow: dict, wide: dict) -> dict[str, list[int]]:
    """Where each tensor's trained channels sit in the wide net's tensor: conv outputs keep them
    first, elementwise ops keep their input's layout, concat offsets each input by the wide widths."""
    maps: dict[str, list[int]] = {"input": [0, 1, 2]}
    wch: dict[str, int] = {"input": 3}
    for n, w in zip(narrow["nodes"], wide["nodes"]):
        assert n["op"] == w["op"] and n["name"] == w["name"] and n["inputs"] == w["inputs"], "graphs differ"
        op, name = n["op"], n["name"]
        if op == "conv":
            maps[name] = list(range(n["cout"]))
            wch[name] = w["cout"]
        elif op == "concat":
            m, off = [], 0
            for i in n["inputs"]:
                m += [off + c for c in maps[i]]
                off += wch[i]
            maps[name], wch[name] = m, off
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
        if n["op"] not in ("conv", "dwconv"):
            continue
        src, dst = narrow_net.convs[n["name"]], wide.convs[n["name"]]
        sconv, dconv = (src[0], dst[0]) if n["bn"] else (src, dst)
        out = torch.tensor(maps[n["name"]] if n["op"] == "conv" else maps[n["inputs"][0]])
        inp = torch.tensor(maps[n["inputs"][0]])
        if n["op"] == "conv":
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


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("checkpoint")
    ap.add_argument("out")
    ap.add_argument("--width-mult", type=float, required=True)
    a = ap.parse_args()
    net, ck = load_net(a.checkpoint)
    spec = ck["spec"]
    H, W = spec["input_size"]
    wide_spec = build(spec["arch"], H, W, width_mult=a.width_mult)
    wide = grow(net, wide_spec).eval()
    x = torch.randn(2, 3, H, W)
    diff = float((wide(x) - net(x)).abs().max())
    assert diff < 1e-3, f"widened net differs from the trained one by {diff}"
    extra = {k: v for k, v in ck.items() if k not in ("spec", "state_dict")}
    extra["grown_from"] = {"checkpoint": a.checkpoint, "width_mult": spec.get("width_mult", 1.0)}
    save(a.out, wide, wide_spec, **extra)
    n0 = sum(p.numel() for p in net.parameters())
    n1 = sum(p.numel() for p in wide.parameters())
    print(f"{a.checkpoint} ({n0} params) -> {a.out} ({n1} params), max |logit diff| {diff:.2e}")


if __name__ == "__main__":
    main()
