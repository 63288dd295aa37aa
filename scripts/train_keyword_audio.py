"""A 1-D conv keyword spotter on real synthesized speech: the spoken digits "zero" … "nine".

Data: Debian's espeak-ng (`apt-get install espeak-ng`) speaks each word with 7 English accents ×
the espeak-ng voice variants, at random speeds (120–200 wpm) and pitches (25–75). Every 5th variant
is held out: the test speakers are voices the model never heard. Clips are resampled to 8 kHz, the
silence trimmed, peak-normalized, and placed at a random offset in a 1 s window with white noise
(training: SNR 10–30 dB and gain 0.25–1; test: the same draw, seeded). The synthesized clips are
cached in /tmp/aivm-keyword-clips.npz; synthesis draws from the same seeded generator as training's
augmentation, so only a run without the cache retraces the committed model's draws.

Model input: `audio` float32 [1, 1, 8000] — 1 s of 8 kHz mono samples in [-1, 1], raw (no feature
extraction outside the model). Output `logits` [1, 10], index = digit.

Run with the pyenv python3 (torch 2.13, onnx, onnxruntime, onnxscript; docs/models.md):
    python3 scripts/train_keyword_audio.py                                # train, export, write the fixtures
    python3 scripts/train_keyword_audio.py --calibration-dir DIR          # the committed calibration clips → DIR/calib_NNN.pb
    python3 scripts/train_keyword_audio.py --wav word.wav --out word.pb   # a recording → the model's input
Writes test/fixtures/models/keyword_cnn.onnx (TorchScript exporter), keyword_cnn.dynamo.onnx
(dynamo exporter), keyword_test.pb / keyword_test_labels.pb (200 held-out clips, int16 PCM),
keyword_calib.pb (64 training clips, int16 PCM) and its entry in real_models.json.
"""
import argparse
import os
import subprocess
import time

import numpy as np
import torch
import torch.nn as nn
from scipy.io import wavfile
from scipy.signal import resample_poly

from export_common import FIXTURES, accuracy, export_both, ort_run, record, seed_everything, write_calibration_dir, write_pb

SEED = 20261206
RATE = 8000
WORDS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
ACCENTS = ["en-us", "en-gb", "en-gb-scotland", "en-gb-x-rp", "en-029", "en-gb-x-gbclan", "en-gb-x-gbcwmd"]
CACHE = "/tmp/aivm-keyword-clips.npz"


def variants():
    out = subprocess.run(["espeak-ng", "--voices=variant"], capture_output=True, text=True, check=True).stdout
    return sorted(line.split()[4].removeprefix("!v/") for line in out.splitlines()[1:] if line.strip())


def speak(word, voice, speed, pitch):
    path = "/tmp/aivm-keyword.wav"
    subprocess.run(["espeak-ng", "-v", voice, "-s", str(speed), "-p", str(pitch), "-w", path, word], check=True)
    return trimmed(*read_wav(path))


def read_wav(path):
    """A WAV file as float mono samples in [-1, 1] and its rate."""
    rate, x = wavfile.read(path)
    x = x.astype(np.float64) / (32768 if x.dtype == np.int16 else 1)
    return (x.mean(axis=1) if x.ndim == 2 else x), rate


def trimmed(x, rate):
    """Resampled to 8 kHz, the silence before and after trimmed, peak-normalized, at most 1 s."""
    x = resample_poly(x, RATE, rate)
    loud = np.flatnonzero(np.abs(x) > 0.02 * np.abs(x).max())
    x = x[loud[0]:loud[-1] + 1] if len(loud) else x
    return (x / max(np.abs(x).max(), 1e-9)).astype(np.float32)[:RATE]


def model_input(path):
    """The model's input for a recorded WAV: trimmed, peak 0.7, centred in the 1 s window, [1, 1, 8000]."""
    clip = trimmed(*read_wav(path)) * 0.7
    out = np.zeros(RATE, np.float32)
    at = (RATE - len(clip)) // 2
    out[at:at + len(clip)] = clip
    return out[None, None]


def synthesize(rng):
    """Clips per split: a list of (waveform, label), spoken by disjoint voice variants."""
    names = variants()
    held = set(names[::5])
    clips = {"train": [], "test": []}
    for accent in ACCENTS:
        for v in names:
            split = "test" if v in held else "train"
            for label, word in enumerate(WORDS):
                if split == "train" and rng.random() > 0.35:
                    continue  # a third of the training combinations keeps synthesis near 3 minutes
                if split == "test" and rng.random() > 0.25:
                    continue
                clips[split].append((speak(word, f"{accent}+{v}", int(rng.integers(120, 201)), int(rng.integers(25, 76))), label))
    return clips


def place(clip, rng):
    """Random offset in a 1 s window, random gain, white noise at a random SNR."""
    out = np.zeros(RATE, np.float32)
    at = int(rng.integers(0, RATE - len(clip) + 1))
    gain = rng.uniform(0.25, 1.0)
    out[at:at + len(clip)] = clip * gain
    power = np.mean((clip * gain) ** 2)
    snr = rng.uniform(10, 30)
    out += rng.normal(0, np.sqrt(power / 10 ** (snr / 10)), RATE).astype(np.float32)
    return np.clip(out, -1, 1)


def to_int16(x):
    return np.round(np.clip(x, -1, 32767 / 32768) * 32768).astype(np.int16)


class KeywordCNN(nn.Module):
    """Raw-waveform 1-D conv net (M5-style, smaller): a strided 64-tap front end, three conv blocks
    with BatchNorm, global average pooling, one linear layer."""

    def __init__(self):
        super().__init__()

        def block(cin, cout, k, stride=1, pool=4):
            layers = [nn.Conv1d(cin, cout, k, stride=stride, padding=0 if stride > 1 else k // 2), nn.BatchNorm1d(cout), nn.ReLU()]
            return layers + ([nn.MaxPool1d(pool)] if pool else [])

        self.features = nn.Sequential(*block(1, 16, 64, stride=8), *block(16, 32, 3), *block(32, 32, 3), *block(32, 48, 3, pool=0))
        self.fc = nn.Linear(48, len(WORDS))

    def forward(self, audio):
        return self.fc(self.features(audio).mean(dim=2))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--calibration-dir", help="only write the committed calibration clips as .pb files here and exit")
    ap.add_argument("--wav", help="only convert this WAV file into the model's input (with --out) and exit")
    ap.add_argument("--out", help="the TensorProto file --wav writes (input `audio`, float32 [1, 1, 8000])")
    args = ap.parse_args()
    if args.wav:
        write_pb(args.out, "audio", model_input(args.wav))
        print(f"wrote {args.out}: audio float32 [1, 1, 8000] from {args.wav}")
        return
    if args.calibration_dir:
        write_calibration_dir(args.calibration_dir, "keyword_calib.pb", (1, 1, RATE), 1 / 32768)
        return
    seed_everything(SEED)
    rng = np.random.default_rng(SEED)
    t0 = time.time()
    if os.path.exists(CACHE):
        z = np.load(CACHE, allow_pickle=True)
        clips = {"train": list(z["train"]), "test": list(z["test"])}
    else:
        clips = synthesize(rng)
        np.savez(CACHE, train=np.array(clips["train"], dtype=object), test=np.array(clips["test"], dtype=object))
    print(f"clips: {len(clips['train'])} train, {len(clips['test'])} test (held-out voices); synthesis/cache {time.time() - t0:.0f} s")

    test_rng = np.random.default_rng(SEED + 1)
    test_x = np.stack([to_int16(place(c, test_rng)) for c, _ in clips["test"]])
    test_y = np.array([l for _, l in clips["test"]], np.int64)

    model = KeywordCNN()
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=30)
    t1 = time.time()
    for epoch in range(30):
        model.train()
        order = rng.permutation(len(clips["train"]))
        total = 0.0
        for s in range(0, len(order), 32):
            idx = order[s:s + 32]
            x = torch.from_numpy(np.stack([place(clips["train"][i][0], rng) for i in idx]))[:, None]
            y = torch.tensor([clips["train"][i][1] for i in idx])
            opt.zero_grad()
            loss = nn.functional.cross_entropy(model(x), y)
            loss.backward()
            opt.step()
            total += loss.item() * len(idx)
        sched.step()
        if epoch % 5 == 4:
            model.eval()
            with torch.no_grad():
                acc = accuracy(model(torch.from_numpy(test_x.astype(np.float32) / 32768)[:, None]).numpy(), test_y)
            print(f"epoch {epoch + 1}: loss {total / len(order):.3f}, held-out accuracy {100 * acc:.2f} %")
    train_s = time.time() - t1
    model.eval()
    x_test = torch.from_numpy(test_x.astype(np.float32) / 32768)[:, None]
    with torch.no_grad():
        torch_acc = accuracy(model(x_test).numpy(), test_y)

    stem = os.path.join(FIXTURES, "keyword_cnn")
    files = export_both(model, x_test[:1], stem, "audio")
    # The committed fixture: 200 held-out clips (int16 PCM; input = pcm / 32768) and 64 training clips for calibration.
    pick = np.random.default_rng(SEED + 2).permutation(len(test_x))[:200]
    write_pb(os.path.join(FIXTURES, "keyword_test.pb"), "audio", test_x[pick])
    write_pb(os.path.join(FIXTURES, "keyword_test_labels.pb"), "labels", test_y[pick])
    cal_rng = np.random.default_rng(SEED + 3)
    cal_idx = cal_rng.permutation(len(clips["train"]))[:64]
    calib = np.stack([to_int16(place(clips["train"][i][0], cal_rng)) for i in cal_idx])
    write_pb(os.path.join(FIXTURES, "keyword_calib.pb"), "audio", calib)
    fx = test_x[pick].astype(np.float32)[:, None] / 32768
    figures = {
        "data": "espeak-ng digits zero-nine, 7 accents x voice variants; every 5th variant held out",
        "trainClips": len(clips["train"]), "testClips": len(test_x),
        "params": sum(p.numel() for p in model.parameters()),
        "trainSeconds": round(train_s),
        "torchAccuracyAllTest": round(100 * torch_acc, 2),
        "fixture": {"examples": len(pick)},
    }
    for exporter, (path, err) in files.items():
        figures["fixture"][exporter] = {"file": os.path.basename(path), "bytes": os.path.getsize(path), "maxAbsDiffVsTorch": err,
                                        "ortAccuracy": round(100 * accuracy(ort_run(path, fx), test_y[pick]), 2)}
    record("keyword_cnn", figures)
    print(figures)


if __name__ == "__main__":
    main()
