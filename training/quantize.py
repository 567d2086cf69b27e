"""INT8 variant of a model folder: a quantise-dequantise (QDQ) ONNX model calibrated on CamVid train.

    /usr/bin/python3 -m training.quantize models/camvid-default models/camvid-default-int8 \
        --name camvid-default-int8 [--frames 100] [--calib percentile] [--percentile 99.99]

Steps:
  0. with `--conv-before-upsample`, each decoder skip `Conv1x1(Concat(Resize_nearest(a), b))` is
     rewritten as `Resize(Conv1x1(a)) + Conv1x1(b)` (the same function, cheaper);
  1. every activation tensor to be quantised is exposed as an extra graph output (onnx package);
  2. `--frames` CamVid *train* frames, spread evenly over the split, are preprocessed exactly as the
     runtime does (training/dump_frames.py) and run through onnxruntime-node
     (training/calibrate-int8.mjs), which returns each tensor's min/max and histogram;
  3. QuantizeLinear/DequantizeLinear pairs are inserted in the layout ONNX Runtime's CPU provider
     fuses into integer kernels (QLinearConv, QLinearAdd, QLinearConcat, uint8 Resize):
     * weights: int8, symmetric, per output channel (DequantizeLinear axis 0); biases int32 with
       scale = input scale x weight scale;
     * activations: uint8, asymmetric, per tensor. A Conv or Add whose only consumer is a Relu is
       quantised after the Relu (zero point 0), so ORT drops the Relu into the integer kernel;
       nearest Resize keeps its input's scale (ORT then resizes uint8 directly);
     * kept in float: ReduceMean (global context vector, 1x1) and, unless `--quantise-logits`,
       the final classifier's output (argmax on 256 logit levels flips near-ties);
  4. the card is copied with the new name and a description, `engines.onnx` only (TF.js cannot
     run QDQ graphs), and the quantisation settings in `training.quantization`;
  5. unless `--no-eval`, CamVid val is scored through the TypeScript runtime
     (`node bin/seg-stream.js eval`, needs `npm run build`) and written to the card's `metrics`.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from .data import DEFAULT_ROOT

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
# Ops whose outputs we quantise (their integer kernels, or cheap uint8 data movement).
QUANT_OUTPUT_OPS = {"Conv", "Add", "Relu", "Resize", "Concat", "ReduceMean"}


def consumers(graph: onnx.GraphProto) -> dict[str, list[tuple[int, int]]]:
    """tensor name -> [(node index, input slot)]."""
    out: dict[str, list[tuple[int, int]]] = {}
    for i, n in enumerate(graph.node):
        for j, t in enumerate(n.input):
            if t:
                out.setdefault(t, []).append((i, j))
    return out


def activations_to_quantise(model: onnx.ModelProto, quantise_logits: bool) -> list[str]:
    """Graph input plus node outputs that get a Q/DQ pair, in graph order."""
    g = model.graph
    cons = consumers(g)
    outputs = {o.name for o in g.output}
    names = [i.name for i in g.input if i.name not in {x.name for x in g.initializer}]
    for n in g.node:
        if n.op_type not in QUANT_OUTPUT_OPS:
            continue
        t = n.output[0]
        if t in outputs and not quantise_logits:
            continue
        users = cons.get(t, [])
        # Conv/Add -> Relu: quantise after the Relu only, so ORT folds the Relu into the kernel.
        if n.op_type in ("Conv", "Add") and len(users) == 1 and g.node[users[0][0]].op_type == "Relu":
            continue
        names.append(t)
    return names


def _attr(node: onnx.NodeProto, name: str, default=None):
    for a in node.attribute:
        if a.name == name:
            return helper.get_attribute_value(a)
    return default


def conv_before_upsample(model: onnx.ModelProto) -> tuple[onnx.ModelProto, int]:
    """Rewrites `Conv1x1(Concat(Resize_nearest(a), b))` as `Resize(Conv1x1(a)) + Conv1x1(b)`.

    A 1x1 convolution is the same linear map at every pixel and nearest upsampling only copies
    pixels, so the two commute: the result is the same function (up to float rounding), with the
    `a` half of the conv run at the lower resolution, fewer channels upsampled and no Concat.
    Returns the new model and the number of rewrites.
    """
    g = model.graph
    inits = {i.name: i for i in g.initializer}
    cons = consumers(g)
    producer = {o: i for i, n in enumerate(g.node) for o in n.output}
    replace: dict[int, list[onnx.NodeProto]] = {}
    drop: set[int] = set()
    new_inits: list[onnx.TensorProto] = []
    unused: set[str] = set()
    for ci, cat in enumerate(g.node):
        if cat.op_type != "Concat" or _attr(cat, "axis") != 1 or len(cat.input) != 2:
            continue
        users = cons.get(cat.output[0], [])
        if len(users) != 1:
            continue
        conv = g.node[users[0][0]]
        if conv.op_type != "Conv" or _attr(conv, "group", 1) != 1 or conv.input[1] not in inits:
            continue
        w = numpy_helper.to_array(inits[conv.input[1]])
        if w.shape[2:] != (1, 1) or list(_attr(conv, "strides", [1, 1])) != [1, 1]:
            continue
        if any(_attr(conv, "pads", [0, 0, 0, 0])):
            continue
        ri = producer.get(cat.input[0])
        rs = g.node[ri] if ri is not None else None
        if rs is None or rs.op_type != "Resize" or _attr(rs, "mode", b"nearest") != b"nearest" or len(cons.get(rs.output[0], [])) != 1:
            continue
        src = rs.input[0]
        ca = None
        for vi in list(g.value_info) + list(g.input):
            if vi.name == src:
                ca = vi.type.tensor_type.shape.dim[1].dim_value
        if not ca:
            continue
        base = conv.name or conv.output[0]
        wa, wb = w[:, :ca], w[:, ca:]
        new_inits += [numpy_helper.from_array(np.ascontiguousarray(wa), f"{conv.input[1]}_low"),
                      numpy_helper.from_array(np.ascontiguousarray(wb), f"{conv.input[1]}_skip")]
        low = helper.make_node("Conv", [src, f"{conv.input[1]}_low"], [f"{base}_low_output"], name=f"{base}_low",
                               kernel_shape=[1, 1], strides=[1, 1], pads=[0, 0, 0, 0], dilations=[1, 1], group=1)
        up = onnx.NodeProto()
        up.CopyFrom(rs)
        up.input[0] = f"{base}_low_output"
        up.output[0] = f"{base}_low_upsampled"
        skip_inputs = [cat.input[1], f"{conv.input[1]}_skip"] + ([conv.input[2]] if len(conv.input) > 2 else [])
        skip = helper.make_node("Conv", skip_inputs, [f"{base}_skip_output"], name=f"{base}_skip",
                                kernel_shape=[1, 1], strides=[1, 1], pads=[0, 0, 0, 0], dilations=[1, 1], group=1)
        add = helper.make_node("Add", [f"{base}_low_upsampled", f"{base}_skip_output"], [conv.output[0]], name=f"{base}_sum")
        drop |= {ri, ci}
        replace[users[0][0]] = [low, up, skip, add]
        unused.add(conv.input[1])
    if not replace:
        return model, 0
    out = onnx.ModelProto()
    out.CopyFrom(model)
    nodes = []
    for i, n in enumerate(g.node):
        if i in drop:
            continue
        nodes.extend(replace.get(i, [n]))
    del out.graph.node[:]
    out.graph.node.extend(nodes)
    kept = [i for i in g.initializer if i.name not in unused]
    del out.graph.initializer[:]
    out.graph.initializer.extend(kept + new_inits)
    del out.graph.value_info[:]
    onnx.checker.check_model(out)
    return out, len(replace)


def augmented(model: onnx.ModelProto, names: list[str]) -> onnx.ModelProto:
    """A copy whose graph outputs also include every tensor in `names` (for calibration)."""
    m = onnx.ModelProto()
    m.CopyFrom(model)
    have = {o.name for o in m.graph.output}
    for t in names:
        if t not in have:
            m.graph.output.append(helper.make_tensor_value_info(t, TensorProto.FLOAT, None))
    return m


def choose_range(s: dict, method: str, percentile: float) -> tuple[float, float]:
    """[lo, hi] for one tensor, always containing 0 (so 0 is exact, as padding needs)."""
    lo, hi = float(s["min"]), float(s["max"])
    if method == "percentile" and hi > lo:
        hist = np.asarray(s["hist"], dtype=np.float64)
        cdf = np.cumsum(hist) / hist.sum()
        width = (hi - lo) / len(hist)
        tail = (1.0 - percentile / 100.0) / 2.0
        lo_q = lo + width * float(np.searchsorted(cdf, tail))
        hi_q = lo + width * float(np.searchsorted(cdf, 1.0 - tail) + 1)
        lo, hi = max(lo, lo_q), min(hi, hi_q)
    lo, hi = min(lo, 0.0), max(hi, 0.0)
    if hi - lo < 1e-8:
        hi = lo + 1e-8
    return lo, hi


def uint8_params(lo: float, hi: float) -> tuple[float, int]:
    scale = (hi - lo) / 255.0
    zp = int(np.clip(round(-lo / scale), 0, 255))
    return scale, zp


def quantise(model: onnx.ModelProto, params: dict[str, tuple[float, int]]) -> onnx.ModelProto:
    """Inserts Q/DQ for the activations in `params` and int8 weights for Convs with a quantised input."""
    g = model.graph
    inits = {i.name: i for i in g.initializer}
    graph_outputs = {o.name for o in g.output}
    new_nodes: list[onnx.NodeProto] = []
    new_inits: list[onnx.TensorProto] = []
    dropped_inits: set[str] = set()
    renamed: dict[str, str] = {}  # graph output produced under a new name, then Q/DQ'd back to it

    def const(name: str, arr: np.ndarray) -> str:
        new_inits.append(numpy_helper.from_array(arr, name))
        return name

    def q_node(t: str) -> list[onnx.NodeProto]:
        scale, zp = params[t]
        s = const(f"{t}_scale", np.array(scale, dtype=np.float32))
        z = const(f"{t}_zero_point", np.array(zp, dtype=np.uint8))
        src = renamed.get(t, t)
        return [helper.make_node("QuantizeLinear", [src, s, z], [f"{t}_quantized"], name=f"{t}_QuantizeLinear")]

    def dq_for(t: str, k: str) -> tuple[onnx.NodeProto, str]:
        out = f"{t}_dequantized_{k}"
        return helper.make_node("DequantizeLinear", [f"{t}_quantized", f"{t}_scale", f"{t}_zero_point"], [out], name=f"{t}_DequantizeLinear_{k}"), out

    for t in params:
        if t in graph_outputs:
            renamed[t] = f"{t}_float"

    graph_inputs = [i.name for i in g.input]
    for t in graph_inputs:
        if t in params:
            new_nodes += q_node(t)
    for i, n in enumerate(g.node):
        node = onnx.NodeProto()
        node.CopyFrom(n)
        for j, t in enumerate(list(node.input)):
            if t in params:
                dq, out = dq_for(t, f"{i}_{j}")
                new_nodes.append(dq)
                node.input[j] = out
        if n.op_type == "Conv" and n.input[0] in params:
            x_scale = params[n.input[0]][0]
            w = numpy_helper.to_array(inits[n.input[1]]).astype(np.float64)
            w_scale = np.maximum(np.abs(w).reshape(w.shape[0], -1).max(axis=1), 1e-12) / 127.0
            wq = np.clip(np.round(w / w_scale.reshape(-1, 1, 1, 1)), -127, 127).astype(np.int8)
            wn = n.input[1]
            const(f"{wn}_quantized", wq)
            const(f"{wn}_scale", w_scale.astype(np.float32))
            const(f"{wn}_zero_point", np.zeros(w.shape[0], dtype=np.int8))
            new_nodes.append(helper.make_node("DequantizeLinear", [f"{wn}_quantized", f"{wn}_scale", f"{wn}_zero_point"], [f"{wn}_dequantized"], name=f"{wn}_DequantizeLinear", axis=0))
            node.input[1] = f"{wn}_dequantized"
            dropped_inits.add(wn)
            if len(n.input) > 2 and n.input[2]:
                bn = n.input[2]
                b = numpy_helper.to_array(inits[bn]).astype(np.float64)
                b_scale = (x_scale * w_scale).astype(np.float32)
                bq = np.round(b / b_scale.astype(np.float64)).astype(np.int32)
                const(f"{bn}_quantized", bq)
                const(f"{bn}_scale", b_scale)
                const(f"{bn}_zero_point", np.zeros(w.shape[0], dtype=np.int32))
                new_nodes.append(helper.make_node("DequantizeLinear", [f"{bn}_quantized", f"{bn}_scale", f"{bn}_zero_point"], [f"{bn}_dequantized"], name=f"{bn}_DequantizeLinear", axis=0))
                node.input[2] = f"{bn}_dequantized"
                dropped_inits.add(bn)
        for j, t in enumerate(list(node.output)):
            if t in renamed:
                node.output[j] = renamed[t]
        new_nodes.append(node)
        for t in n.output:
            if t in params:
                new_nodes += q_node(t)
                if t in graph_outputs:
                    dq = helper.make_node("DequantizeLinear", [f"{t}_quantized", f"{t}_scale", f"{t}_zero_point"], [t], name=f"{t}_DequantizeLinear_out")
                    new_nodes.append(dq)

    out = onnx.ModelProto()
    out.CopyFrom(model)
    del out.graph.node[:]
    out.graph.node.extend(new_nodes)
    kept = [i for i in g.initializer if i.name not in dropped_inits or any(
        t == i.name for nn in new_nodes for t in nn.input)]
    del out.graph.initializer[:]
    out.graph.initializer.extend(kept + new_inits)
    del out.graph.value_info[:]
    onnx.checker.check_model(out)
    return out


def calibrate(model: onnx.ModelProto, names: list[str], model_dir: str, card: dict, frames: int, root: str, tmp: str) -> dict:
    aug = os.path.join(tmp, "augmented.onnx")
    onnx.save(augmented(model, names), aug)
    data = os.path.join(tmp, "train.f32")
    subprocess.run([sys.executable, "-m", "training.dump_frames", model_dir, data, "--n", str(frames), "--split", "train", "--root", root],
                   cwd=REPO, check=True, stdout=subprocess.DEVNULL)
    stats = os.path.join(tmp, "stats.json")
    inp = card["input"]
    subprocess.run(["node", os.path.join(HERE, "calibrate-int8.mjs"), aug, data, str(inp["height"]), str(inp["width"]), stats],
                   check=True, stdout=subprocess.DEVNULL)
    with open(stats) as f:
        return json.load(f)


def evaluate(out_dir: str, root: str) -> dict:
    """CamVid val through the TypeScript runtime (the figure the runtime's users get)."""
    r = subprocess.run(["node", os.path.join(REPO, "bin", "seg-stream.js"), "eval", root, "--split", "val", "--model", out_dir, "--json", "--quiet"],
                       capture_output=True, text=True)
    if r.returncode != 0:
        raise SystemExit(f"seg-stream eval failed on {out_dir}: {r.stderr.strip()}")
    return json.loads(r.stdout)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model_dir", help="float model folder (model.json + ONNX)")
    ap.add_argument("out", help="new model folder")
    ap.add_argument("--name", help="card name (default: the source name + '-int8')")
    ap.add_argument("--frames", type=int, default=100, help="CamVid train frames for calibration, spread over the split")
    ap.add_argument("--calib", choices=("minmax", "percentile"), default="percentile")
    ap.add_argument("--percentile", type=float, default=99.99, help="share of each tensor's values kept inside its range")
    ap.add_argument("--quantise-logits", action="store_true", help="also quantise the classifier's output")
    ap.add_argument("--conv-before-upsample", action="store_true",
                    help="run the 1x1 conv after each skip Concat before the nearest upsampling (same function)")
    ap.add_argument("--float-out", help="also save the float graph (rewritten by --conv-before-upsample) as this ONNX file")
    ap.add_argument("--root", default=DEFAULT_ROOT)
    ap.add_argument("--stats", help="calibration statistics file: read when it exists, else written there")
    ap.add_argument("--no-eval", action="store_true", help="skip scoring CamVid val through the runtime")
    a = ap.parse_args()
    check_out(a.out)

    with open(os.path.join(a.model_dir, "model.json")) as f:
        card = json.load(f)
    src = card["name"]
    name = a.name or f"{src}-int8"
    model = onnx.load(os.path.join(a.model_dir, card["engines"]["onnx"]["file"]))
    rewrites = 0
    if a.conv_before_upsample:
        model, rewrites = conv_before_upsample(onnx.shape_inference.infer_shapes(model))
    if a.float_out:
        onnx.save(model, a.float_out)
    names = activations_to_quantise(model, a.quantise_logits)
    if a.stats and os.path.exists(a.stats):
        with open(a.stats) as f:
            stats = json.load(f)
    else:
        with tempfile.TemporaryDirectory(prefix="segstream-int8-") as tmp:
            stats = calibrate(model, names, a.model_dir, card, a.frames, a.root, tmp)
        if a.stats:
            with open(a.stats, "w") as f:
                json.dump(stats, f)
    missing = [t for t in names if t not in stats["tensors"]]
    if missing:
        raise SystemExit(f"{a.stats} has no statistics for {missing[:3]}...: delete it to recalibrate")
    params = {t: uint8_params(*choose_range(stats["tensors"][t], a.calib, a.percentile)) for t in names}
    # Nearest Resize moves values without changing them: same scale in and out lets ORT resize uint8.
    for n in model.graph.node:
        if n.op_type == "Resize" and n.input[0] in params and n.output[0] in params:
            params[n.output[0]] = params[n.input[0]]
    q = quantise(model, params)

    os.makedirs(a.out, exist_ok=True)
    tmp_file = os.path.join(a.out, ".model.onnx.tmp")
    onnx.save(q, tmp_file)
    os.replace(tmp_file, os.path.join(a.out, "model.onnx"))

    counts: dict[str, int] = {}
    for n in q.graph.node:
        counts[n.op_type] = counts.get(n.op_type, 0) + 1
    new = dict(card)
    new["name"] = name
    new["description"] = (
        f"INT8 variant of {src} for CPU (ONNX Runtime only; TF.js cannot run it): the same network with "
        f"int8 per-channel symmetric weights and uint8 per-tensor activations as a quantise-dequantise "
        f"ONNX graph, calibrated on {stats['frames']} CamVid train frames ({a.calib}"
        f"{f' {a.percentile}' if a.calib == 'percentile' else ''}; training/quantize.py). "
        f"ONNX Runtime fuses it into integer kernels (QLinearConv, QLinearAdd, QLinearConcat)."
    )
    new["engines"] = {"onnx": dict(card["engines"]["onnx"], file="model.onnx")}
    training = dict(card.get("training", {}))
    training["quantization"] = {
        "from": src,
        "recipe": f"/usr/bin/python3 -m training.quantize {a.model_dir} {a.out} --name {name} --frames {a.frames} --calib {a.calib}"
                  + (f" --percentile {a.percentile}" if a.calib == "percentile" else "") + (" --quantise-logits" if a.quantise_logits else "") + (" --conv-before-upsample" if a.conv_before_upsample else ""),
        "format": "QDQ (QuantizeLinear/DequantizeLinear), opset 13",
        "weights": "int8, symmetric, per output channel; bias int32 (input scale x weight scale)",
        "activations": "uint8, asymmetric, per tensor; Conv/Add followed by Relu quantised after the Relu",
        "calibration": {"data": "CamVid train", "frames": stats["frames"], "method": a.calib,
                        **({"percentile": a.percentile} if a.calib == "percentile" else {})},
        "float": ["ReduceMean (global context)"] + ([] if a.quantise_logits else ["classifier output (logits)"]),
        "convBeforeUpsample": rewrites,
        "quantisedTensors": len(params),
        "ops": counts,
    }
    new["training"] = training
    new.pop("metrics", None)
    write_card(a.out, new)
    if not a.no_eval:
        r = evaluate(a.out, a.root)
        metrics = {k: v for k, v in card.get("metrics", {}).items() if k in ("split", "protocol")}
        metrics.update({
            "mIoU": round(r["miou"], 2),
            "pixelAccuracy": round(r["pixelAccuracy"], 2),
            "classIoU": {k: round(v, 2) for k, v in r["perClass"].items()},
            "measuredWith": "seg-stream eval through onnxruntime-node (no Python ONNX Runtime here)",
            "floatModel": {"name": src, "mIoU": card.get("metrics", {}).get("mIoU")},
        })
        new["metrics"] = metrics
        write_card(a.out, new)
    print(json.dumps({"out": a.out, "quantisedTensors": len(params), "ops": counts,
                      "bytes": os.path.getsize(os.path.join(a.out, "model.onnx")),
                      **({"mIoU": new["metrics"]["mIoU"]} if "metrics" in new else {})}))


def check_out(out: str) -> None:
    """Only an empty folder or an earlier output of this script is written to."""
    if not os.path.isdir(out):
        return
    extra = set(os.listdir(out)) - {"model.json", "model.onnx"}
    card = os.path.join(out, "model.json")
    ours = os.path.exists(card) and "quantization" in json.load(open(card)).get("training", {})
    if extra or (os.path.exists(card) and not ours) or (not os.path.exists(card) and os.listdir(out)):
        raise SystemExit(f"{out} holds files this script did not write; choose an empty or new folder")


def write_card(out: str, card: dict) -> None:
    tmp = os.path.join(out, ".model.json.tmp")
    with open(tmp, "w") as f:
        json.dump(card, f, indent=2)
        f.write("\n")
    os.replace(tmp, os.path.join(out, "model.json"))


if __name__ == "__main__":
    main()
