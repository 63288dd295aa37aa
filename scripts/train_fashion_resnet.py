"""A small ResNet (residual conv blocks with BatchNorm) on the real Fashion-MNIST training set
(Debian `dataset-fashion-mnist`, /usr/share/datasets/fashion-mnist).

Graph: Conv3×3(1→16)+BN+ReLU, MaxPool2 → residual block (16, 14×14) → residual block (16→32,
stride 2, 1×1 projection shortcut, 7×7) → global average pool → Linear(32→10).
Input `input` float32 [1, 1, 28, 28] = pixel / 255 (as the Fashion-MNIST fixtures); output `logits` [1, 10].

Run with the pyenv python3 (torch 2.13, onnx, onnxruntime, onnxscript; docs/models.md):
    python3 scripts/train_fashion_resnet.py                          # train, export, write the fixtures
    python3 scripts/train_fashion_resnet.py --image 0 --out x.pb     # test image 0 → the model's input (or x.png)
Writes test/fixtures/models/fashion_resnet.onnx (TorchScript exporter), fashion_resnet.dynamo.onnx
(dynamo exporter), fashion_test.pb / fashion_test_labels.pb (200 test images, uint8, evenly spaced),
fashion_calib.pb (the 64 training images `aivm model pack --calibration <idx folder> --samples 64`
takes) and its entry in real_models.json.
"""
import argparse
import os
import struct
import time
import zlib

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from export_common import FIXTURES, accuracy, export_both, ort_run, record, seed_everything, write_pb
from train_fashion_mnist import DEFAULT_DATA, load_split

SEED = 20261206
EPOCHS = 3


class Block(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.shortcut = nn.Sequential()
        if stride != 1 or cin != cout:
            self.shortcut = nn.Sequential(nn.Conv2d(cin, cout, 1, stride=stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        y = F.relu(self.bn1(self.conv1(x)))
        return F.relu(self.bn2(self.conv2(y)) + self.shortcut(x))


class SmallResNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(1, 16, 3, padding=1, bias=False), nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d(2))
        self.layer1 = Block(16, 16, 1)
        self.layer2 = Block(16, 32, 2)
        self.fc = nn.Linear(32, 10)

    def forward(self, x):
        x = self.layer2(self.layer1(self.stem(x)))
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


def write_png(path, pixels):
    """An 8-bit grayscale PNG (no image library needed: signature, IHDR, one zlib IDAT, IEND)."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    h, w = pixels.shape
    raw = b"".join(b"\x00" + pixels[r].tobytes() for r in range(h))
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0)) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--image", type=int, help="only write Fashion-MNIST test image IMAGE as the model's input (with --out) and exit")
    ap.add_argument("--out", help="the file --image writes: x.pb (TensorProto `input`, float32 [1, 1, 28, 28]) or x.png")
    args = ap.parse_args()
    if args.image is not None:
        x, y = load_split(DEFAULT_DATA, "t10k")
        if args.out.endswith(".png"):
            write_png(args.out, np.round(x[args.image, 0].numpy() * 255).astype(np.uint8))
            print(f"wrote {args.out}: test image {args.image} (label {int(y[args.image])}), 28×28 grayscale PNG")
        else:
            write_pb(args.out, "input", x[args.image:args.image + 1].numpy())
            print(f"wrote {args.out}: test image {args.image} (label {int(y[args.image])}) as input float32 [1, 1, 28, 28]")
        return
    seed_everything(SEED)
    train_x, train_y = load_split(DEFAULT_DATA, "train")
    test_x, test_y = load_split(DEFAULT_DATA, "t10k")
    model = SmallResNet()
    opt = torch.optim.Adam(model.parameters(), lr=2e-3)
    gen = torch.Generator().manual_seed(SEED)
    t0 = time.time()
    for epoch in range(EPOCHS):
        model.train()
        order = torch.randperm(len(train_x), generator=gen)
        for s in range(0, len(order), 128):
            idx = order[s:s + 128]
            opt.zero_grad()
            F.cross_entropy(model(train_x[idx]), train_y[idx]).backward()
            opt.step()
        print(f"epoch {epoch + 1}: {time.time() - t0:.0f} s")
    train_s = time.time() - t0
    model.eval()
    with torch.no_grad():
        logits = torch.cat([model(test_x[s:s + 500]) for s in range(0, len(test_x), 500)]).numpy()
    torch_acc = accuracy(logits, test_y.numpy())
    print(f"PyTorch test accuracy (10,000 images): {100 * torch_acc:.2f} %")

    files = export_both(model, test_x[:1], os.path.join(FIXTURES, "fashion_resnet"), "input")
    pick = np.arange(0, 10_000, 50)  # 200 test images, evenly spaced
    images = np.round(test_x[pick, 0].numpy() * 255).astype(np.uint8)
    write_pb(os.path.join(FIXTURES, "fashion_test.pb"), "input", images)
    write_pb(os.path.join(FIXTURES, "fashion_test_labels.pb"), "labels", test_y[pick].numpy())
    # The 64 training images `aivm model pack --calibration /usr/share/datasets/fashion-mnist --samples 64` takes.
    calib = np.arange(64) * (len(train_x) // 64)
    write_pb(os.path.join(FIXTURES, "fashion_calib.pb"), "input", np.round(train_x[calib, 0].numpy() * 255).astype(np.uint8))
    figures = {
        "data": "Debian dataset-fashion-mnist: 60,000 training images, 10,000 test images",
        "params": sum(p.numel() for p in model.parameters()),
        "trainSeconds": round(train_s),
        "torchAccuracyAllTest": round(100 * torch_acc, 2),
        "fixture": {"examples": len(pick)},
    }
    for exporter, (path, err) in files.items():
        full = ort_run(path, test_x.numpy())
        figures["fixture"][exporter] = {"file": os.path.basename(path), "bytes": os.path.getsize(path), "maxAbsDiffVsTorch": err,
                                        "ortAccuracyAllTest": round(100 * accuracy(full, test_y.numpy()), 2),
                                        "ortAccuracy": round(100 * accuracy(full[pick], test_y[pick].numpy()), 2)}
    record("fashion_resnet", figures)
    print(figures)


if __name__ == "__main__":
    main()
