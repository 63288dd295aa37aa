"""Shared by scripts/train_fashion_resnet.py, train_keyword_audio.py and train_wordnet_pos.py
(docs/models.md, "Real models beyond Fashion-MNIST").

Runs under the pyenv python3 with torch 2.13 (CPU), onnx, onnxruntime and onnxscript: torch 2.13 has
both exporters, TorchScript (`torch.onnx.export(..., dynamo=False)`) and dynamo (`dynamo=True`).
Every model is exported both ways; both files are run in onnxruntime and compared with PyTorch.
"""
import json
import os
import random

import numpy as np
import onnx
import onnxruntime as ort
import torch
from onnx import numpy_helper

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURES = os.path.join(REPO, "test", "fixtures", "models")
SUMMARY = os.path.join(FIXTURES, "real_models.json")


def seed_everything(seed):
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.set_num_threads(1)  # the machine is shared: one core
    torch.use_deterministic_algorithms(True)


def export_both(model, example, stem, input_name, output_name="logits"):
    """Writes <stem>.onnx (TorchScript exporter, opset 17) and <stem>.dynamo.onnx (dynamo exporter,
    opset 18), both with a static batch of 1 (AIVM programs have static shapes), and checks each
    against PyTorch in onnxruntime on `example`. Returns {exporter: (path, max |ort - torch|)}."""
    model.eval()
    with torch.no_grad():
        ref = model(example).numpy()
    paths = {"torchscript": stem + ".onnx", "dynamo": stem + ".dynamo.onnx"}
    torch.onnx.export(model, (example,), paths["torchscript"], dynamo=False, opset_version=17,
                      input_names=[input_name], output_names=[output_name])
    prog = torch.onnx.export(model, (example,), dynamo=True, opset_version=18,
                             input_names=[input_name], output_names=[output_name])
    prog.save(paths["dynamo"], external_data=False)
    out = {}
    for exporter, path in paths.items():
        onnx.checker.check_model(onnx.load(path))
        got = ort_run(path, example.numpy())
        err = float(np.abs(got - ref).max())
        print(f"  {exporter}: {os.path.relpath(path, REPO)} ({os.path.getsize(path)} bytes), max |ort - torch| = {err:.2e}")
        assert err < 1e-3, f"{path} disagrees with PyTorch"
        out[exporter] = (path, err)
    return out


def ort_run(path, x):
    """onnxruntime fp32, one thread; rows one at a time (the files have a static batch of 1)."""
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    s = ort.InferenceSession(path, opts, providers=["CPUExecutionProvider"])
    name = s.get_inputs()[0].name
    return np.concatenate([s.run(None, {name: x[i:i + 1]})[0] for i in range(len(x))])


def write_pb(path, name, array):
    with open(path, "wb") as f:
        f.write(numpy_helper.from_array(np.ascontiguousarray(array), name).SerializeToString())


def read_pb(path):
    with open(path, "rb") as f:
        t = onnx.TensorProto()
        t.ParseFromString(f.read())
    return t.name, numpy_helper.to_array(t)


def write_calibration_dir(out_dir, fixture, shape, scale=None):
    """The committed calibration samples (a batched TensorProto under test/fixtures/models) as one
    TensorProto per sample (calib_000.pb, …) of the model's input shape, times `scale` as float32
    when given: what `aivm model pack --calibration DIR` reads."""
    name, batch = read_pb(os.path.join(FIXTURES, fixture))
    os.makedirs(out_dir, exist_ok=True)
    for i, s in enumerate(batch):
        x = s.reshape(shape)
        write_pb(os.path.join(out_dir, f"calib_{i:03d}.pb"), name, x if scale is None else (x * scale).astype(np.float32))
    print(f"wrote {len(batch)} calibration samples {list(shape)} to {out_dir}")


def record(name, figures):
    """Merges this model's figures into test/fixtures/models/real_models.json."""
    data = {}
    if os.path.exists(SUMMARY):
        with open(SUMMARY) as f:
            data = json.load(f)
    data[name] = figures
    with open(SUMMARY, "w") as f:
        json.dump(data, f, indent=2, sort_keys=True)
        f.write("\n")


def accuracy(logits, labels):
    return float((logits.argmax(1) == labels).mean())
