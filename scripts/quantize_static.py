#!/usr/bin/env python3
"""Quantize the Fashion-MNIST fixture models with onnxruntime's own static quantization (QDQ format).

Offline tool: it writes the already-quantized ONNX fixtures that test/model/qdq.test.ts imports into
AIVM (which must take their scales and zero points as they are) and compares with onnxruntime-node
running the same int8 files. Calibration uses real Fashion-MNIST training images (Debian's
dataset-fashion-mnist); onnxruntime's MinMax calibrator, int8 activations and int8 symmetric weights
(its defaults), per tensor and per output channel.

Usage (python3 with onnx and onnxruntime; pip installs both from the local wheel mirror):
    python3 scripts/quantize_static.py [--data /usr/share/datasets/fashion-mnist] [--out test/fixtures]
"""
import argparse
import json
import os

import numpy as np
import onnx
import onnxruntime
from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static

from train_fashion_mnist import read_idx

DEFAULT_DATA = "/usr/share/datasets/fashion-mnist"
MODELS = "test/fixtures/models"
CALIBRATION_IMAGES = 500  # the first 500 training images, never the test images the comparison uses

# (source model, input shape per image, output file, per channel)
VARIANTS = [
    ("fashion_cnn.onnx", (1, 28, 28), "fashion_cnn_qdq.onnx", False),
    ("fashion_cnn.onnx", (1, 28, 28), "fashion_cnn_qdq_per_channel.onnx", True),
    ("fashion_mlp.onnx", (784,), "fashion_mlp_qdq.onnx", False),
]


class ImageReader(CalibrationDataReader):
    """Feeds calibration images one at a time, as pixel/255 (the fixtures' preprocessing)."""

    def __init__(self, images, input_name, shape):
        self.items = iter([{input_name: (img.astype(np.float32) / 255.0).reshape((1,) + shape)} for img in images])

    def get_next(self):
        return next(self.items, None)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default=DEFAULT_DATA)
    ap.add_argument("--out", default="test/fixtures")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    images = read_idx(os.path.join(args.data, "train-images-idx3-ubyte.gz"))[:CALIBRATION_IMAGES]
    made = []
    for source, shape, target, per_channel in VARIANTS:
        src = os.path.join(MODELS, source)
        model = onnx.load(src)
        # A fixed batch of 1: the quantizer and the importer then see static shapes.
        for v in list(model.graph.input) + list(model.graph.output):
            v.type.tensor_type.shape.dim[0].dim_value = 1
        fixed = os.path.join(args.out, target + ".float.tmp")
        onnx.save(model, fixed)
        out = os.path.join(args.out, target)
        try:
            quantize_static(
                fixed, out, ImageReader(images, model.graph.input[0].name, shape),
                quant_format=QuantFormat.QDQ, per_channel=per_channel,
                activation_type=QuantType.QInt8, weight_type=QuantType.QInt8,
            )
        finally:
            os.remove(fixed)
        ops = [n.op_type for n in onnx.load(out).graph.node]
        made.append({"file": target, "source": source, "per_channel": per_channel, "bytes": os.path.getsize(out), "nodes": len(ops),
                     "quantize_linear": ops.count("QuantizeLinear"), "dequantize_linear": ops.count("DequantizeLinear")})
    print(json.dumps({"onnxruntime": onnxruntime.__version__, "onnx": onnx.__version__, "calibration_images": CALIBRATION_IMAGES, "models": made}, indent=1))


if __name__ == "__main__":
    main()
