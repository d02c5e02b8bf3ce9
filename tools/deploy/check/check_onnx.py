#!/usr/bin/python3
"""The ONNX project's own checker (Debian's python3-onnx) on a coex model.onnx:
    /usr/bin/python3 check_onnx.py MODEL.onnx
Prints one JSON line {ir_version, opset, nodes, initializers, ok}; exit 0 when the model passes
onnx.checker.check_model with full_check (shape inference included), 1 when not."""
import json
import sys

import onnx

model = onnx.load(sys.argv[1])
try:
    onnx.checker.check_model(model, full_check=True)
    ok, error = True, None
except Exception as e:  # the checker's ValidationError or an inference error
    ok, error = False, str(e)
print(json.dumps({"ir_version": model.ir_version,
                  "opset": [o.version for o in model.opset_import],
                  "nodes": len(model.graph.node),
                  "initializers": len(model.graph.initializer),
                  "ok": ok, "error": error}))
sys.exit(0 if ok else 1)
