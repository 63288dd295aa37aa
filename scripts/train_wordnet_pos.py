"""An LSTM text classifier on real English words: a word's part of speech (noun, verb, adjective,
adverb) from its letters, on WordNet 3.0 (Debian `wordnet-base`, /usr/share/wordnet/index.*).

Words: lower-case single words of 3–16 letters that WordNet lists under exactly one part of speech
(so the label is not ambiguous), 3,000 per class for training (adverbs have fewer: all but the
held-out ones), 400 per class held out for the test.

Model input: `chars` int64 [1, 16], letters a–z as 1–26, left-padded with 0 so the word ends at the
last step. Embedding(27, 16) → LSTM(16 → 64) → the last hidden state → Linear(64 → 4). Output `logits`
[1, 4] in the order noun, verb, adj, adv.

Run with the pyenv python3 (torch 2.13, onnx, onnxruntime, onnxscript; docs/models.md):
    python3 scripts/train_wordnet_pos.py                          # train, export, write the fixtures
    python3 scripts/train_wordnet_pos.py --calibration-dir DIR    # the committed calibration words → DIR/calib_NNN.pb
    python3 scripts/train_wordnet_pos.py --word quickly --out w.pb   # a word → the model's input
Writes test/fixtures/models/wordnet_pos_lstm.onnx (TorchScript exporter), wordnet_pos_lstm.dynamo.onnx
(dynamo exporter), wordnet_test.pb / wordnet_test_labels.pb (200 held-out words), wordnet_calib.pb
(64 training words) and its entry in real_models.json.
"""
import argparse
import os
import re
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from export_common import FIXTURES, accuracy, export_both, ort_run, record, seed_everything, write_calibration_dir, write_pb

SEED = 20261206
WORDNET = "/usr/share/wordnet"
POS = ["noun", "verb", "adj", "adv"]
LENGTH = 16


def words_by_pos():
    seen = {}
    for label, pos in enumerate(POS):
        with open(os.path.join(WORDNET, f"index.{pos}")) as f:
            for line in f:
                if line.startswith(" "):
                    continue  # the licence header
                w = line.split(" ", 1)[0]
                if re.fullmatch(r"[a-z]{3,16}", w):
                    seen.setdefault(w, set()).add(label)
    out = [[] for _ in POS]
    for w, labels in sorted(seen.items()):
        if len(labels) == 1:
            out[labels.pop()].append(w)
    return out


def encode(word):
    ids = [ord(c) - ord("a") + 1 for c in word]
    return [0] * (LENGTH - len(ids)) + ids


class PosLSTM(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(27, 16)
        self.lstm = nn.LSTM(16, 64, batch_first=True)
        self.fc = nn.Linear(64, len(POS))

    def forward(self, chars):
        _, (h, _) = self.lstm(self.embed(chars))
        return self.fc(h[-1])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--calibration-dir", help="only write the committed calibration words as .pb files here and exit")
    ap.add_argument("--word", help="only write this word as the model's input (with --out) and exit")
    ap.add_argument("--out", help="the TensorProto file --word writes (input `chars`, int64 [1, 16])")
    args = ap.parse_args()
    if args.word:
        write_pb(args.out, "chars", np.array([encode(args.word.lower())], np.int64))
        print(f"wrote {args.out}: chars int64 [1, 16] for {args.word!r}")
        return
    if args.calibration_dir:
        write_calibration_dir(args.calibration_dir, "wordnet_calib.pb", (1, LENGTH))
        return
    seed_everything(SEED)
    rng = np.random.default_rng(SEED)
    per_pos = words_by_pos()
    print("single-POS words:", {p: len(w) for p, w in zip(POS, per_pos)})
    train, test = [], []
    for label, ws in enumerate(per_pos):
        ws = [ws[i] for i in rng.permutation(len(ws))]
        test += [(w, label) for w in ws[:400]]
        train += [(w, label) for w in ws[400:3400]]
    tx = torch.tensor([encode(w) for w, _ in train])
    ty = torch.tensor([l for _, l in train])
    vx = torch.tensor([encode(w) for w, _ in test])
    vy = np.array([l for _, l in test])
    # Classes are unbalanced (adverbs are few): weight the loss by inverse frequency.
    counts = torch.bincount(ty, minlength=len(POS)).float()
    weight = counts.sum() / (len(POS) * counts)

    model = PosLSTM()
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    t0 = time.time()
    for epoch in range(12):
        model.train()
        order = torch.from_numpy(rng.permutation(len(tx)))
        for s in range(0, len(order), 64):
            idx = order[s:s + 64]
            opt.zero_grad()
            F.cross_entropy(model(tx[idx]), ty[idx], weight=weight).backward()
            opt.step()
        model.eval()
        with torch.no_grad():
            acc = accuracy(model(vx).numpy(), vy)
        print(f"epoch {epoch + 1}: held-out accuracy {100 * acc:.2f} % ({time.time() - t0:.0f} s)")
    train_s = time.time() - t0
    with torch.no_grad():
        torch_acc = accuracy(model(vx).numpy(), vy)

    files = export_both(model, vx[:1], os.path.join(FIXTURES, "wordnet_pos_lstm"), "chars")
    pick = np.random.default_rng(SEED + 2).permutation(len(vx))[:200]
    write_pb(os.path.join(FIXTURES, "wordnet_test.pb"), "chars", vx[pick].numpy())
    write_pb(os.path.join(FIXTURES, "wordnet_test_labels.pb"), "labels", vy[pick])
    calib = tx[np.random.default_rng(SEED + 3).permutation(len(tx))[:64]].numpy()
    write_pb(os.path.join(FIXTURES, "wordnet_calib.pb"), "chars", calib)
    figures = {
        "data": "WordNet 3.0 (Debian wordnet-base) index files: single-POS words",
        "trainWords": len(train), "testWords": len(test),
        "params": sum(p.numel() for p in model.parameters()),
        "trainSeconds": round(train_s),
        "torchAccuracyAllTest": round(100 * torch_acc, 2),
        "fixture": {"examples": len(pick), "words": [test[i][0] for i in pick[:12]]},
    }
    for exporter, (path, err) in files.items():
        figures["fixture"][exporter] = {"file": os.path.basename(path), "bytes": os.path.getsize(path), "maxAbsDiffVsTorch": err,
                                        "ortAccuracy": round(100 * accuracy(ort_run(path, vx[pick].numpy()), vy[pick]), 2)}
    record("wordnet_pos_lstm", figures)
    print(figures)


if __name__ == "__main__":
    main()
