"""Checkpoint save/load. A checkpoint holds the graph spec, so it needs no code to rebuild.

A spec saved before the decoder's conv-before-upsample form (graph.py `skipconv`) is rewritten to it
on load: same function, same weight names."""
from __future__ import annotations

import os

import torch

from .graph import GraphNet, conv_before_upsample


def save(path: str, net, spec: dict, **extra) -> None:
    tmp = path + ".tmp"
    torch.save({"spec": spec, "state_dict": net.state_dict(), **extra}, tmp)
    os.replace(tmp, path)


def load_net(path: str):
    ck = torch.load(path, map_location="cpu", weights_only=False)
    ck["spec"] = conv_before_upsample(ck["spec"])
    net = GraphNet(ck["spec"])
    net.load_state_dict(ck["state_dict"])
    net.eval()
    return net, ck
