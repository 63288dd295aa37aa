#!/usr/bin/env python3
"""Train the two Fashion-MNIST fixture models (an MLP and a small CNN) and export them to ONNX.

Offline tool: floats are fine here; what it writes (ONNX files, float accuracies) is the input of
the integer-only import pipeline. Deterministic: fixed seeds, deterministic algorithms, one fixed
shuffle generator, so a rerun on the same torch build reproduces the same weights.

Usage (Debian: apt-get install python3-torch python3-onnx dataset-fashion-mnist):
    /usr/bin/python3 scripts/train_fashion_mnist.py [--data /usr/share/datasets/fashion-mnist] [--out test/fixtures/models]
"""
import argparse
import gzip
import json
import os
import struct
import time

import numpy as np
import onnx
import torch
import torch.nn as nn
import torch.nn.functional as F

DEFAULT_DATA = "/usr/share/datasets/fashion-mnist"
SEED = 20260401
OPSET = 13


def read_idx(path):
    """Reads an idx(.gz) file (the MNIST container: magic, dims, big-endian u32 sizes, u8 data)."""
    with gzip.open(path, "rb") as f:
        raw = f.read()
    zero, dtype, ndim = struct.unpack(">HBB", raw[:4])
    if zero != 0 or dtype != 0x08:
        raise ValueError(f"{path}: not a u8 idx file")
    dims = struct.unpack(">" + "I" * ndim, raw[4 : 4 + 4 * ndim])
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def load_split(data_dir, prefix):
    images = read_idx(os.path.join(data_dir, f"{prefix}-images-idx3-ubyte.gz"))
    labels = read_idx(os.path.join(data_dir, f"{prefix}-labels-idx1-ubyte.gz"))
    # Inputs are pixel/255 in [0, 1]: the quantizer maps them back to u8 exactly (scale 1/255).
    x = torch.from_numpy(images.astype(np.float32) / 255.0).unsqueeze(1)  # [N,1,28,28]
    y = torch.from_numpy(labels.astype(np.int64))
    return x, y


class FashionMLP(nn.Module):
    """784 → 128 → ReLU → 10. Input is the flattened image [N,784]."""

    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(784, 128)
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x):
        return self.fc2(F.relu(self.fc1(x)))


class FashionCNN(nn.Module):
    """conv3x3(8) → ReLU → maxpool2 → conv3x3(16) → ReLU → maxpool2 → fc(784 → 10). Input [N,1,28,28]."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 8, 3, padding=1)
        self.conv2 = nn.Conv2d(8, 16, 3, padding=1)
        self.fc = nn.Linear(16 * 7 * 7, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        return self.fc(torch.flatten(x, 1))


def train(model, x, y, epochs, lr, batch, generator, flatten):
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    n = x.shape[0]
    for epoch in range(epochs):
        model.train()
        perm = torch.randperm(n, generator=generator)
        total = 0.0
        for i in range(0, n, batch):
            idx = perm[i : i + batch]
            xb = x[idx].reshape(len(idx), -1) if flatten else x[idx]
            loss = F.cross_entropy(model(xb), y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.item() * len(idx)
        print(f"  epoch {epoch + 1}/{epochs}: train loss {total / n:.4f}", flush=True)


@torch.no_grad()
def accuracy(model, x, y, flatten):
    model.eval()
    xb = x.reshape(x.shape[0], -1) if flatten else x
    pred = model(xb).argmax(dim=1)
    return (pred == y).sum().item(), x.shape[0]


def export(model, example, path, input_name):
    model.eval()
    torch.onnx.export(
        model,
        example,
        path,
        input_names=[input_name],
        output_names=["logits"],
        dynamic_axes={input_name: {0: "batch"}, "logits": {0: "batch"}},
        opset_version=OPSET,
        do_constant_folding=True,
    )
    onnx.checker.check_model(onnx.load(path))
    return os.path.getsize(path)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default=DEFAULT_DATA)
    ap.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "..", "test", "fixtures", "models"))
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()

    torch.manual_seed(SEED)
    torch.use_deterministic_algorithms(True)
    torch.set_num_threads(args.threads)
    generator = torch.Generator().manual_seed(SEED)

    x_train, y_train = load_split(args.data, "train")
    x_test, y_test = load_split(args.data, "t10k")
    os.makedirs(args.out, exist_ok=True)

    specs = [
        ("fashion_mlp", FashionMLP, True, 4, 1e-3, "input", [1, 784]),
        ("fashion_cnn", FashionCNN, False, 4, 2e-3, "input", [1, 1, 28, 28]),
    ]
    summary = {"dataset": "Fashion-MNIST (Debian dataset-fashion-mnist), t10k split", "torch": torch.__version__,
               "opset": OPSET, "seed": SEED, "models": {}}
    for name, cls, flatten, epochs, lr, input_name, example_shape in specs:
        torch.manual_seed(SEED)
        model = cls()
        t0 = time.time()
        print(f"{name}: training {epochs} epochs", flush=True)
        train(model, x_train, y_train, epochs, lr, 128, generator, flatten)
        correct, total = accuracy(model, x_test, y_test, flatten)
        path = os.path.join(args.out, f"{name}.onnx")
        size = export(model, torch.zeros(example_shape), path, input_name)
        acc = 100.0 * correct / total
        print(f"{name}: float test accuracy {acc:.2f}% ({correct}/{total}), {size} bytes, "
              f"{time.time() - t0:.0f} s", flush=True)
        summary["models"][name] = {
            "file": f"{name}.onnx",
            "input": {"name": input_name, "shape": ["batch"] + example_shape[1:], "dtype": "float32",
                      "preprocess": "pixel / 255"},
            "output": {"name": "logits", "shape": ["batch", 10]},
            "params": sum(p.numel() for p in model.parameters()),
            "epochs": epochs,
            "floatTestCorrect": correct,
            "floatTestTotal": total,
            "floatTestAccuracyPercent": round(acc, 2),
        }
    with open(os.path.join(args.out, "fashion_models.json"), "w") as f:
        json.dump(summary, f, indent=2)
        f.write("\n")


if __name__ == "__main__":
    main()
