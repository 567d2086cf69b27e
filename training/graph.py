"""A tiny layer-graph format shared by PyTorch training, ONNX export and the TF.js rebuild.

Networks are written against `GraphBuilder`, which records a list of nodes. The same node list
drives three things:

* `GraphNet`    - the trainable PyTorch module (conv + BatchNorm + ReLU),
* `FoldedNet`   - the inference module with BatchNorm folded into the convs (exported to ONNX),
* `graph.json`  - read by `export-tfjs.mjs`, which rebuilds the network with `tf.layers`.

Only ops whose semantics are identical in PyTorch/ONNX Runtime and TF.js are allowed:

| op      | PyTorch / ONNX                        | tf.layers                                     |
|---------|---------------------------------------|-----------------------------------------------|
| conv    | Conv2d, symmetric zero padding        | zeroPadding2d (symmetric) + conv2d 'valid'    |
| dwconv  | depthwise Conv2d (dilation 1)         | zeroPadding2d + depthwiseConv2d 'valid'       |
| add     | a + b                                 | add                                           |
| concat  | cat(dim=1)                            | concatenate(axis=-1)                          |
| up2     | nearest x2 (src = floor(dst / 2))     | upSampling2d nearest (same rule)              |
| pool2   | avg/max pool k=2 s=2, no padding      | averagePooling2d / maxPooling2d 'valid'       |
| relu    | relu                                  | activation relu                               |
| gap     | global average pool, keepdims         | globalAveragePooling2d + reshape [1,1,C]      |
| skipconv| up2(Conv1x1(a)) + Conv1x1(b)          | conv2d (no bias) + upSampling2d, conv2d, add  |

`skipconv` is the decoder's skip fusion, `Conv1x1(concat(up2(a), b))`, computed with the 1x1 conv
before the upsampling: a 1x1 conv is the same linear map at every pixel and nearest upsampling only
copies pixels, so the two commute and the function is the same, while the `a` half of the conv runs
at the lower resolution, fewer channels are upsampled and there is no concat. It holds one kernel
[out, ca + cb, 1, 1] (and in training one BatchNorm), as the conv over the concat did; the kernel is
split over the inputs only where it runs. `conv_before_upsample` turns the older up2 -> concat ->
conv form of a spec (in checkpoints saved before) into it; the node keeps the conv's name, so trained
weights load unchanged.

`add` broadcasts a `gap` output ([N,C,1,1]) over a feature map (tf.layers.add broadcasts too).

(tf.layers' depthwiseConv2d ignores dilation, so dilation is only allowed on plain convs.)
"""
from __future__ import annotations

from contextlib import contextmanager

import torch
import torch.nn as nn
import torch.nn.functional as F


class GraphBuilder:
    """Records nodes; each method returns the output node's name. Channel counts are tracked."""

    def __init__(self, in_ch: int = 3):
        self.nodes: list[dict] = []
        self.ch: dict[str, int] = {"input": in_ch}
        self.stride: dict[str, int] = {"input": 1}
        self._n = 0
        self._scope: str | None = None
        self._scoped = 0

    def _name(self, op: str) -> str:
        if self._scope is not None:
            # Nodes added inside a scope get their own counter, so inserting them into an existing
            # design leaves every other node's name (and so its trained weights) where it was.
            self._scoped += 1
            return f"{self._scope}_{op}{self._scoped}"
        self._n += 1
        return f"{op}{self._n}"

    @contextmanager
    def scope(self, prefix: str):
        """Name the nodes added inside as `<prefix>_<op><k>` without advancing the main counter."""
        prev, self._scope = self._scope, prefix
        try:
            yield
        finally:
            self._scope = prev

    def _add(self, node: dict, ch: int, stride: int) -> str:
        self.nodes.append(node)
        self.ch[node["name"]] = ch
        self.stride[node["name"]] = stride
        return node["name"]

    def conv(self, x: str, out: int, k=3, s: int = 1, d: int = 1, act: bool = True, bn: bool = True) -> str:
        kh, kw = (k, k) if isinstance(k, int) else k
        assert kh % 2 == 1 and kw % 2 == 1, "odd kernels only (symmetric padding)"
        if self.stride[x] == 0:
            assert (kh, kw, s) == (1, 1, 1), "only 1x1 convs on global (gap) tensors"
        node = dict(name=self._name("conv"), op="conv", inputs=[x], cin=self.ch[x], cout=out,
                    k=[kh, kw], s=s, d=d, pad=[d * (kh - 1) // 2, d * (kw - 1) // 2],
                    bn=bn, act="relu" if act else None)
        return self._add(node, out, self.stride[x] * s)

    def dw(self, x: str, k=3, s: int = 1, act: bool = False, bn: bool = True) -> str:
        kh, kw = (k, k) if isinstance(k, int) else k
        c = self.ch[x]
        node = dict(name=self._name("dw"), op="dwconv", inputs=[x], cin=c, cout=c, k=[kh, kw], s=s, d=1,
                    pad=[(kh - 1) // 2, (kw - 1) // 2], bn=bn, act="relu" if act else None)
        return self._add(node, c, self.stride[x] * s)

    def add(self, a: str, b: str, act: bool = False) -> str:
        """a + b; b may be a global (gap-derived, stride 0) tensor broadcast over a."""
        assert self.ch[a] == self.ch[b] and self.stride[b] in (self.stride[a], 0)
        return self._add(dict(name=self._name("add"), op="add", inputs=[a, b], act="relu" if act else None),
                         self.ch[a], self.stride[a])

    def gap(self, x: str) -> str:
        """Global average pool to [N,C,1,1]; stride recorded as 0 (= global)."""
        return self._add(dict(name=self._name("gap"), op="gap", inputs=[x]), self.ch[x], 0)

    def skip_conv(self, low: str, skip: str, out: int, act: bool = True, bn: bool = True) -> str:
        """1x1 conv over concat(up2(low), skip), run as up2(conv(low)) + conv(skip) (op `skipconv`).

        Uses up the names of the up2, concat and conv nodes it stands for, so the node gets the name
        the conv had in the older form and every later node keeps its name (and trained weights)."""
        assert self.stride[low] == 2 * self.stride[skip], "skip_conv: low must have twice the skip's stride"
        self._name("up")
        self._name("cat")
        node = skip_conv_node(self._name("conv"), low, skip, self.ch[low], self.ch[skip], out, act, bn)
        return self._add(node, out, self.stride[skip])

    def concat(self, xs: list[str]) -> str:
        assert len({self.stride[x] for x in xs}) == 1
        return self._add(dict(name=self._name("cat"), op="concat", inputs=list(xs)),
                         sum(self.ch[x] for x in xs), self.stride[xs[0]])

    def up2(self, x: str) -> str:
        return self._add(dict(name=self._name("up"), op="up2", inputs=[x]), self.ch[x], self.stride[x] // 2)

    def pool2(self, x: str, mode: str = "avg") -> str:
        return self._add(dict(name=self._name("pool"), op="pool2", inputs=[x], mode=mode),
                         self.ch[x], self.stride[x] * 2)

    def relu(self, x: str) -> str:
        return self._add(dict(name=self._name("relu"), op="relu", inputs=[x]), self.ch[x], self.stride[x])

    def spec(self, output: str, **meta) -> dict:
        return dict(nodes=self.nodes, output=output, output_stride=self.stride[output],
                    out_channels=self.ch[output], **meta)


CONV_OPS = ("conv", "dwconv", "skipconv")


def skip_conv_node(name: str, low: str, skip: str, c_low: int, c_skip: int, out: int, act: bool, bn: bool) -> dict:
    return dict(name=name, op="skipconv", inputs=[low, skip], cin=c_low + c_skip, cin_low=c_low, cout=out,
                k=[1, 1], s=1, d=1, pad=[0, 0], bn=bn, act="relu" if act else None)


def conv_before_upsample(spec: dict) -> dict:
    """The spec with each `conv 1x1 (concat([up2(a), b]))` whose up2 and concat feed nothing else
    replaced by one `skipconv` node of the conv's name (the same function, same weights)."""
    nodes, out = spec["nodes"], spec["output"]
    by_name = {n["name"]: n for n in nodes}
    users: dict[str, int] = {}
    for n in nodes:
        for i in n["inputs"]:
            users[i] = users.get(i, 0) + 1
    ch = {"input": 3}
    for n in nodes:
        ch[n["name"]] = n["cout"] if "cout" in n else (
            sum(ch[i] for i in n["inputs"]) if n["op"] == "concat" else ch[n["inputs"][0]])
    drop, new = set(), {}
    for n in nodes:
        cat = by_name.get(n["inputs"][0])
        if n["op"] != "conv" or (n["k"], n["s"], n["d"]) != ([1, 1], 1, 1) or cat is None or cat["op"] != "concat":
            continue
        up = by_name.get(cat["inputs"][0])
        if len(cat["inputs"]) != 2 or up is None or up["op"] != "up2" or users[cat["name"]] != 1 \
                or users[up["name"]] != 1 or out in (cat["name"], up["name"]):
            continue
        low, skip = up["inputs"][0], cat["inputs"][1]
        new[n["name"]] = skip_conv_node(n["name"], low, skip, ch[low], ch[skip], n["cout"], n["act"] == "relu", n["bn"])
        drop |= {cat["name"], up["name"]}
    if not new:
        return spec
    return {**spec, "nodes": [new.get(n["name"], n) for n in nodes if n["name"] not in drop]}


def _skipconv(m: nn.Module, n: dict, low: torch.Tensor, skip: torch.Tensor) -> torch.Tensor:
    """A skipconv node: its folded SplitConv, or one conv (+ BatchNorm) whose kernel is split here."""
    if isinstance(m, SplitConv):
        return m(low, skip)
    conv, bn = (m[0], m[1]) if isinstance(m, nn.Sequential) else (m, None)
    c = n["cin_low"]
    y = F.interpolate(F.conv2d(low, conv.weight[:, :c]), scale_factor=2.0, mode="nearest")
    y = y + F.conv2d(skip, conv.weight[:, c:], conv.bias)
    return bn(y) if bn is not None else y


class SplitConv(nn.Module):
    """A folded skipconv node: `low` (no bias) and `skip` (with the bias), exported to ONNX as
    Conv -> Resize and Conv -> Add; `weight`/`bias` give the kernel over the concatenated inputs back."""

    def __init__(self, n: dict):
        super().__init__()
        c = n["cin_low"]
        self.low = nn.Conv2d(c, n["cout"], 1, bias=False)
        self.skip = nn.Conv2d(n["cin"] - c, n["cout"], 1, bias=True)

    @property
    def weight(self) -> torch.Tensor:
        return torch.cat([self.low.weight, self.skip.weight], 1)

    @property
    def bias(self) -> torch.Tensor:
        return self.skip.bias

    def set(self, w: torch.Tensor, b: torch.Tensor) -> None:
        c = self.low.in_channels
        self.low.weight.data.copy_(w[:, :c])
        self.skip.weight.data.copy_(w[:, c:])
        self.skip.bias.data.copy_(b)

    def forward(self, low, skip):
        return F.interpolate(self.low(low), scale_factor=2.0, mode="nearest") + self.skip(skip)


def _run(nodes, output, convs, x):
    vals = {"input": x}
    for n in nodes:
        op, ins = n["op"], [vals[i] for i in n["inputs"]]
        if op in ("conv", "dwconv"):
            y = convs[n["name"]](ins[0])
            if n["act"] == "relu":
                y = F.relu(y)
        elif op == "skipconv":
            y = _skipconv(convs[n["name"]], n, ins[0], ins[1])
            if n["act"] == "relu":
                y = F.relu(y)
        elif op == "add":
            y = ins[0] + ins[1]
            if n["act"] == "relu":
                y = F.relu(y)
        elif op == "concat":
            y = torch.cat(ins, 1)
        elif op == "up2":
            y = F.interpolate(ins[0], scale_factor=2.0, mode="nearest")
        elif op == "pool2":
            y = F.avg_pool2d(ins[0], 2, 2) if n["mode"] == "avg" else F.max_pool2d(ins[0], 2, 2)
        elif op == "relu":
            y = F.relu(ins[0])
        elif op == "gap":
            y = ins[0].mean((2, 3), keepdim=True)
        else:
            raise ValueError(op)
        vals[n["name"]] = y
    return vals[output]


def _make_conv(n, bias: bool) -> nn.Conv2d:
    groups = n["cin"] if n["op"] == "dwconv" else 1
    return nn.Conv2d(n["cin"], n["cout"], tuple(n["k"]), n["s"], tuple(n["pad"]), n["d"], groups, bias=bias)


class GraphNet(nn.Module):
    """Trainable network: conv (no bias when followed by BN) + BN per conv node."""

    def __init__(self, spec: dict):
        super().__init__()
        self.spec = spec
        self.convs = nn.ModuleDict()
        for n in spec["nodes"]:
            if n["op"] in CONV_OPS:
                conv = _make_conv(n, bias=not n["bn"])
                self.convs[n["name"]] = nn.Sequential(conv, nn.BatchNorm2d(n["cout"])) if n["bn"] else conv
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
                if m.bias is not None:
                    nn.init.zeros_(m.bias)

    def forward(self, x):
        return _run(self.spec["nodes"], self.spec["output"], self.convs, x)


@torch.no_grad()
def fold(net: GraphNet) -> dict[str, tuple[torch.Tensor, torch.Tensor]]:
    """BatchNorm folded into each conv: {node name: (weight [out,in/g,kh,kw], bias [out])}."""
    out = {}
    for name, m in net.convs.items():
        if isinstance(m, nn.Sequential):
            conv, bn = m[0], m[1]
            scale = bn.weight / torch.sqrt(bn.running_var + bn.eps)
            w = conv.weight * scale.view(-1, 1, 1, 1)
            b = bn.bias - bn.running_mean * scale
            if conv.bias is not None:
                b = b + conv.bias * scale
        else:
            w, b = m.weight, m.bias if m.bias is not None else torch.zeros(m.out_channels)
        out[name] = (w.detach().float().clone(), b.detach().float().clone())
    return out


class FoldedNet(nn.Module):
    """Inference network with BN folded into conv weights/biases (what ONNX and TF.js get)."""

    def __init__(self, spec: dict, weights: dict[str, tuple[torch.Tensor, torch.Tensor]]):
        super().__init__()
        self.spec = spec
        self.convs = nn.ModuleDict()
        for n in spec["nodes"]:
            if n["op"] not in CONV_OPS:
                continue
            w, b = weights[n["name"]]
            if n["op"] == "skipconv":
                conv = SplitConv(n)
                conv.set(w, b)
            else:
                conv = _make_conv(n, bias=True)
                conv.weight.data.copy_(w)
                conv.bias.data.copy_(b)
            self.convs[n["name"]] = conv

    def forward(self, x):
        return _run(self.spec["nodes"], self.spec["output"], self.convs, x)


def count_params(spec: dict) -> int:
    """Parameters of the folded (inference) network."""
    total = 0
    for n in spec["nodes"]:
        if n["op"] in ("conv", "skipconv"):
            total += n["cout"] * n["cin"] * n["k"][0] * n["k"][1] + n["cout"]
        elif n["op"] == "dwconv":
            total += n["cin"] * n["k"][0] * n["k"][1] + n["cout"]
    return total
