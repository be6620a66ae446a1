#!/usr/bin/env python3
"""Checks ONNX files written by `grove export` with the onnx package's own checker.

Usage: /usr/bin/python3 scripts/onnx-check.py model.onnx [more.onnx ...]

Uses Debian's python3-onnx (apt-get install python3-onnx); grove never needs it at run time.
Prints one JSON line per file and exits 1 if any file fails the check.
"""
import json
import sys

import onnx
import onnx.checker
import onnx.shape_inference


def check(path):
    model = onnx.load(path)
    # full_check also runs strict shape inference over every node
    onnx.checker.check_model(model, full_check=True)
    inferred = onnx.shape_inference.infer_shapes(model, strict_mode=True)

    def shape(value):
        dims = value.type.tensor_type.shape.dim
        return [d.dim_param or d.dim_value for d in dims]

    return {
        "file": path,
        "ok": True,
        "onnx_version": onnx.__version__,
        "ir_version": model.ir_version,
        "opsets": {(o.domain or "ai.onnx"): o.version for o in model.opset_import},
        "ops": sorted({n.op_type for n in model.graph.node}),
        "inputs": [v.name for v in model.graph.input],
        "outputs": {v.name: shape(v) for v in inferred.graph.output},
    }


def main(paths):
    if not paths:
        print(__doc__, file=sys.stderr)
        return 2
    failed = False
    for path in paths:
        try:
            print(json.dumps(check(path)))
        except Exception as err:  # the checker raises its own error types; report them all alike
            failed = True
            print(json.dumps({"file": path, "ok": False, "error": f"{type(err).__name__}: {err}"}))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
