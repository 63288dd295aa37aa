#!/usr/bin/env python3
"""Train the on-chain decoder LM (llama architecture, byte-level, ~5.4M parameters) and export it.

Offline tool: floats are fine here. What it writes (models/lm/lm.onnx, config.json, calibration.json,
samples.json, heldout.txt, tokenizer.json) is the input of the int8 compiler; models/lm/README.md
documents that contract. Deterministic: torch.manual_seed(0), one seeded batch generator, a fixed
number of steps.

Usage (Debian: python3-torch python3-onnx wordnet-base; onnxruntime from pip for the check):
    /usr/bin/python3 scripts/train_lm.py [--steps N] [--export-only] [--checkpoint PATH] [--out DIR]
"""
import argparse
import json
import math
import os
import sys
import time

# Oversubscribed threads were slower on this shared 2-core machine (2.7 s/step with 1 torch and 1 BLAS
# thread, 4.2 s with 2 and 2); set before torch loads its BLAS.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import onnx  # noqa: E402
import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402

WORDNET_DIR = "/usr/share/wordnet"
# The POS index of the held-out rule is the file's place in this list.
POS_FILES = ["noun", "verb", "adj", "adv"]
HELDOUT_MODULUS = 20
HELDOUT_FILE_LINES = 1500

VOCAB_SIZE = 257
BOS = 256
EOL = 10
D_MODEL = 288
N_LAYERS = 6
N_HEADS = 6
N_KV_HEADS = 2
HEAD_DIM = 48
FFN_HIDDEN = 768
NORM_EPS = 1e-5
ROPE_THETA = 10000.0
MAX_CONTEXT = 128

BATCH = 32
SEQ = 128
PEAK_LR = 2e-3
MIN_LR_RATIO = 0.1
WARMUP_FRACTION = 0.05
WEIGHT_DECAY = 0.1
GRAD_CLIP = 1.0
DEFAULT_STEPS = 720
OPSET = 17
CALIBRATION_SEQUENCES = 64
SAMPLE_PROMPTS = ["dog: ", "water: ", "run: ", "happy: ", "music: "]
SAMPLE_TOKENS = 64


# ---------------------------------------------------------------- corpus and tokenizer


def synset_line(data_line):
    """`<first lemma, _ → space>: <gloss>` from one line of a WordNet data.<pos> file."""
    fields = data_line.split(" ")
    lemma = fields[4].replace("_", " ")
    # data.adj marks some lemmas with a syntactic marker, e.g. "galore(ip)": not part of the lemma.
    for marker in ("(a)", "(p)", "(ip)"):
        if lemma.endswith(marker):
            lemma = lemma[: -len(marker)]
    gloss = data_line.split(" | ", 1)[1].rstrip()
    return int(fields[0]), f"{lemma}: {gloss}"


def load_corpus(wordnet_dir=WORDNET_DIR):
    """Train and held-out lines: held-out when (offset + POS index) % 20 == 0."""
    train, heldout = [], []
    for pos_index, pos in enumerate(POS_FILES):
        with open(os.path.join(wordnet_dir, f"data.{pos}"), encoding="utf-8") as f:
            for raw in f:
                if raw.startswith("  "):
                    continue  # license header
                offset, line = synset_line(raw.rstrip("\n"))
                (heldout if (offset + pos_index) % HELDOUT_MODULUS == 0 else train).append(line)
    return train, heldout


def encode_line(line):
    """BOS + UTF-8 bytes + '\\n': one training sample."""
    return [BOS] + list(line.encode("utf-8")) + [EOL]


def pack(lines):
    """All samples back to back, as one int64 token stream."""
    ids = []
    for line in lines:
        ids.extend(encode_line(line))
    return torch.tensor(ids, dtype=torch.int64)


def decode_ids(ids):
    """Text of token ids; BOS shows as <bos>, bytes are UTF-8 with replacement."""
    out, run = [], []
    for t in ids:
        if t == BOS:
            out.append(bytes(run).decode("utf-8", errors="replace") + "<bos>")
            run = []
        else:
            run.append(t)
    out.append(bytes(run).decode("utf-8", errors="replace"))
    return "".join(out)


# ---------------------------------------------------------------- model


def rms_norm(x, weight):
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + NORM_EPS) * weight


def rotate_half(x):
    half = x.shape[-1] // 2
    return torch.cat([-x[..., half:], x[..., :half]], dim=-1)


def matrix(fan_in, fan_out, std):
    return nn.Parameter(torch.randn(fan_in, fan_out) * std)


class Recorder:
    """Collects |activation| tensors by key (and layer) for calibration; a no-op when disabled."""

    def __init__(self):
        self.values = {}

    def __call__(self, key, x, layer=None):
        name = key if layer is None else (key, layer)
        self.values.setdefault(name, []).append(x.detach().abs().flatten().float())


def no_record(key, x, layer=None):
    pass


class DecoderLayer(nn.Module):
    """Pre-norm block: GQA attention with rotary positions, then a SwiGLU FFN. Weights are [in, out]."""

    def __init__(self, layer_index):
        super().__init__()
        std = 0.02
        out_std = 0.02 / math.sqrt(2 * N_LAYERS)  # residual-branch outputs scaled down (GPT-2 init)
        self.layer_index = layer_index
        self.attn_norm = nn.Parameter(torch.ones(D_MODEL))
        self.wq = matrix(D_MODEL, N_HEADS * HEAD_DIM, std)
        self.wk = matrix(D_MODEL, N_KV_HEADS * HEAD_DIM, std)
        self.wv = matrix(D_MODEL, N_KV_HEADS * HEAD_DIM, std)
        self.wo = matrix(N_HEADS * HEAD_DIM, D_MODEL, out_std)
        self.ffn_norm = nn.Parameter(torch.ones(D_MODEL))
        self.w1 = matrix(D_MODEL, FFN_HIDDEN, std)
        self.w3 = matrix(D_MODEL, FFN_HIDDEN, std)
        self.w2 = matrix(FFN_HIDDEN, D_MODEL, out_std)

    def forward(self, h, cos, sin, past_k, past_v, record):
        i = self.layer_index
        batch, seq = h.shape[0], h.shape[1]
        x = rms_norm(h, self.attn_norm)
        record("attn_norm_out", x, i)
        q = (x @ self.wq).view(batch, seq, N_HEADS, HEAD_DIM).transpose(1, 2)
        k = (x @ self.wk).view(batch, seq, N_KV_HEADS, HEAD_DIM).transpose(1, 2)
        v = (x @ self.wv).view(batch, seq, N_KV_HEADS, HEAD_DIM).transpose(1, 2)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        record("q", q, i)
        record("k", k, i)
        record("v", v, i)
        if past_k is not None:
            k = torch.cat([past_k, k], dim=2)
            v = torch.cat([past_v, v], dim=2)
        present_k, present_v = k, v
        past_len = k.shape[2] - seq
        total = k.shape[2]
        # Query head h reads KV head h // (N_HEADS / N_KV_HEADS), as llama's repeat_kv.
        group = N_HEADS // N_KV_HEADS
        k = k[:, :, None].expand(batch, N_KV_HEADS, group, total, HEAD_DIM).reshape(batch, N_HEADS, total, HEAD_DIM)
        v = v[:, :, None].expand(batch, N_KV_HEADS, group, total, HEAD_DIM).reshape(batch, N_HEADS, total, HEAD_DIM)
        scores = (q @ k.transpose(2, 3)) * (1.0 / math.sqrt(HEAD_DIM))
        # Cache-relative causal mask: query row r sees cache slots 0 .. past_len + r.
        allowed = torch.arange(total)[None, :] <= (torch.arange(seq)[:, None] + past_len)
        scores = scores.masked_fill(~allowed, float("-inf"))
        attn = torch.softmax(scores, dim=-1) @ v
        attn = attn.transpose(1, 2).reshape(batch, seq, N_HEADS * HEAD_DIM)
        record("attn_out", attn, i)
        o = attn @ self.wo
        record("wo_out", o, i)
        h = h + o
        x = rms_norm(h, self.ffn_norm)
        record("ffn_norm_out", x, i)
        gate = x @ self.w1
        up = x @ self.w3
        silu_gate = F.silu(gate)
        hidden = silu_gate * up
        record("gate", gate, i)
        record("up", up, i)
        record("silu_gate", silu_gate, i)
        record("ffn_hidden", hidden, i)
        o = hidden @ self.w2
        record("w2_out", o, i)
        return h + o, present_k, present_v


class DecoderLM(nn.Module):
    """forward(input_ids [B,S], start_pos [1], past_k_0, past_v_0, …) → (logits, present_k_0, present_v_0, …)."""

    def __init__(self):
        super().__init__()
        self.tok_emb = nn.Parameter(torch.randn(VOCAB_SIZE, D_MODEL) * 0.02)
        self.layers = nn.ModuleList([DecoderLayer(i) for i in range(N_LAYERS)])
        self.final_norm = nn.Parameter(torch.ones(D_MODEL))
        inv_freq = ROPE_THETA ** (-torch.arange(0, HEAD_DIM, 2, dtype=torch.float32) / HEAD_DIM)
        self.register_buffer("inv_freq", inv_freq, persistent=False)
        self.record = no_record

    def rotary(self, start_pos, seq):
        positions = (start_pos + torch.arange(seq)).to(torch.float32)
        freqs = positions[:, None] * self.inv_freq[None, :]
        angles = torch.cat([freqs, freqs], dim=-1)  # rotate_half layout: both halves share angle i
        return torch.cos(angles), torch.sin(angles)

    def forward(self, input_ids, start_pos, *past):
        seq = input_ids.shape[1]
        cos, sin = self.rotary(start_pos, seq)
        h = F.embedding(input_ids, self.tok_emb)
        presents = []
        for i, layer in enumerate(self.layers):
            self.record("resid", h, i)
            past_k = past[2 * i] if past else None
            past_v = past[2 * i + 1] if past else None
            h, present_k, present_v = layer(h, cos, sin, past_k, past_v, self.record)
            presents += [present_k, present_v]
        self.record("resid", h, N_LAYERS)
        x = rms_norm(h, self.final_norm)
        self.record("final_norm_out", x)
        logits = x @ self.tok_emb.t()
        self.record("logits", logits)
        return (logits, *presents)


def initializer_shapes():
    """The contract: ONNX initializer name → shape for every weight."""
    shapes = {"tok_emb": [VOCAB_SIZE, D_MODEL]}
    for i in range(N_LAYERS):
        p = f"layers.{i}."
        shapes[p + "attn_norm"] = [D_MODEL]
        shapes[p + "wq"] = [D_MODEL, N_HEADS * HEAD_DIM]
        shapes[p + "wk"] = [D_MODEL, N_KV_HEADS * HEAD_DIM]
        shapes[p + "wv"] = [D_MODEL, N_KV_HEADS * HEAD_DIM]
        shapes[p + "wo"] = [N_HEADS * HEAD_DIM, D_MODEL]
        shapes[p + "ffn_norm"] = [D_MODEL]
        shapes[p + "w1"] = [D_MODEL, FFN_HIDDEN]
        shapes[p + "w3"] = [D_MODEL, FFN_HIDDEN]
        shapes[p + "w2"] = [FFN_HIDDEN, D_MODEL]
    shapes["final_norm"] = [D_MODEL]
    return shapes


def zero_position():
    return torch.zeros(1, dtype=torch.int64)


def lm_loss(model, inputs, targets):
    logits = model(inputs, zero_position())[0]
    return F.cross_entropy(logits.reshape(-1, VOCAB_SIZE), targets.reshape(-1))


# ---------------------------------------------------------------- training


def learning_rate(step, steps):
    warmup = max(1, int(steps * WARMUP_FRACTION))
    if step < warmup:
        return PEAK_LR * (step + 1) / warmup
    progress = (step - warmup) / max(1, steps - warmup)
    return PEAK_LR * (MIN_LR_RATIO + (1 - MIN_LR_RATIO) * 0.5 * (1 + math.cos(math.pi * progress)))


def windows(stream, starts):
    """[len(starts), SEQ] inputs and next-token targets from the packed stream."""
    idx = starts[:, None] + torch.arange(SEQ + 1)[None, :]
    chunk = stream[idx]
    return chunk[:, :-1], chunk[:, 1:]


@torch.no_grad()
def heldout_loss(model, stream):
    """Mean next-token NLL (nats) over the stream cut into consecutive SEQ+1 windows (last one partial)."""
    model.eval()
    total, count = 0.0, 0
    for begin in range(0, stream.numel() - 1, SEQ):
        chunk = stream[begin : begin + SEQ + 1][None, :]
        logits = model(chunk[:, :-1], zero_position())[0]
        nll = F.cross_entropy(logits.reshape(-1, VOCAB_SIZE), chunk[:, 1:].reshape(-1), reduction="sum")
        total += nll.item()
        count += chunk.shape[1] - 1
    return total / count


def train(model, train_stream, steps, log):
    decay = [p for p in model.parameters() if p.dim() == 2]
    no_decay = [p for p in model.parameters() if p.dim() < 2]
    opt = torch.optim.AdamW(
        [{"params": decay, "weight_decay": WEIGHT_DECAY}, {"params": no_decay, "weight_decay": 0.0}],
        lr=PEAK_LR,
        betas=(0.9, 0.95),
    )
    batches = torch.Generator().manual_seed(0)
    model.train()
    recent, history = [], []
    started = time.time()
    for step in range(steps):
        for group in opt.param_groups:
            group["lr"] = learning_rate(step, steps)
        starts = torch.randint(0, train_stream.numel() - SEQ - 1, (BATCH,), generator=batches)
        inputs, targets = windows(train_stream, starts)
        loss = lm_loss(model, inputs, targets)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), GRAD_CLIP)
        opt.step()
        recent.append(loss.item())
        if (step + 1) % 50 == 0 or step + 1 == steps:
            elapsed = time.time() - started
            mean = sum(recent) / len(recent)
            history.append({"step": step + 1, "loss": mean, "seconds": round(elapsed, 1)})
            log(f"step {step + 1}/{steps} loss {mean:.4f} lr {learning_rate(step, steps):.2e} "
                f"{(step + 1) / elapsed:.3f} steps/s")
            recent = []
    return time.time() - started, history


# ---------------------------------------------------------------- outputs


def export_onnx(model, path):
    model.eval()
    names = [f"past_{kv}_{i}" for i in range(N_LAYERS) for kv in ("k", "v")]
    out_names = ["logits"] + [f"present_{kv}_{i}" for i in range(N_LAYERS) for kv in ("k", "v")]
    past_len, seq = 3, 5  # nonzero sample lengths so the trace keeps both axes symbolic
    args = (torch.zeros(1, seq, dtype=torch.int64), torch.tensor([past_len], dtype=torch.int64))
    args += tuple(torch.zeros(1, N_KV_HEADS, past_len, HEAD_DIM) for _ in names)
    dynamic = {"input_ids": {1: "S"}, "logits": {1: "S"}}
    dynamic.update({n: {2: "P"} for n in names})
    dynamic.update({n: {2: "P_plus_S"} for n in out_names[1:]})
    torch.onnx.export(
        model, args, path, opset_version=OPSET, input_names=["input_ids", "start_pos"] + names,
        output_names=out_names, dynamic_axes=dynamic, do_constant_folding=False,
    )
    graph = onnx.load(path)
    onnx.checker.check_model(graph)
    inits = {t.name: list(t.dims) for t in graph.graph.initializer}
    for name, shape in initializer_shapes().items():
        if inits.get(name) != shape:
            raise SystemExit(f"lm.onnx: initializer {name} is {inits.get(name)}, expected {shape}")
    for t in graph.graph.initializer:
        if t.data_location == onnx.TensorProto.EXTERNAL:
            raise SystemExit("lm.onnx: external data")


def run_onnx(session, ids, start, past):
    feeds = {"input_ids": np.array([ids], dtype=np.int64), "start_pos": np.array([start], dtype=np.int64)}
    for i in range(N_LAYERS):
        feeds[f"past_k_{i}"] = past[2 * i]
        feeds[f"past_v_{i}"] = past[2 * i + 1]
    out = session.run(None, feeds)
    return out[0], out[1:]


def empty_past():
    return [np.zeros((1, N_KV_HEADS, 0, HEAD_DIM), dtype=np.float32) for _ in range(2 * N_LAYERS)]


def verify_onnx(model, path, ids, log):
    """onnxruntime vs torch on the full sequence (P = 0), and token-by-token decoding with the cache."""
    try:
        import onnxruntime as ort
    except ImportError:
        hint = "pip install --target DIR onnxruntime, then PYTHONPATH=DIR"
        raise SystemExit(f"the lm.onnx check needs onnxruntime ({hint})") from None

    session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    with torch.no_grad():
        expected = model(torch.tensor([ids]), zero_position())[0].numpy()
    full, _ = run_onnx(session, ids, 0, empty_past())
    full_err = float(np.abs(full - expected).max())
    past, steps = empty_past(), []
    for pos, token in enumerate(ids):
        logits, past = run_onnx(session, [token], pos, past)
        steps.append(logits[0, 0])
    step_err = float(np.abs(np.stack(steps) - full[0]).max())
    # A prefill of half the tokens and one call for the rest exercises S > 1 with P > 0.
    half = len(ids) // 2
    _, past = run_onnx(session, ids[:half], 0, empty_past())
    rest, _ = run_onnx(session, ids[half:], half, past)
    chunk_err = float(np.abs(rest[0] - full[0, half:]).max())
    log(f"onnx check ({len(ids)} tokens): |ort - torch| {full_err:.2e}, |stepwise - full| {step_err:.2e}, "
        f"|prefill+chunk - full| {chunk_err:.2e}")
    if max(full_err, step_err, chunk_err) > 1e-4:
        raise SystemExit("lm.onnx does not match torch within 1e-4")
    return {"tokens": len(ids), "max_abs_ort_vs_torch": full_err, "max_abs_stepwise_vs_full": step_err,
            "max_abs_prefill_chunk_vs_full": chunk_err}


def calibration_starts(stream, count):
    """Offsets of `count` BOS tokens spread evenly over the stream (sequences start at position 0)."""
    bos = torch.nonzero(stream[: stream.numel() - SEQ - 1] == BOS).flatten()
    picks = torch.linspace(0, bos.numel() - 1, count).round().long()
    return bos[picks]


@torch.no_grad()
def calibrate(model, train_stream):
    model.eval()
    recorder = Recorder()
    model.record = recorder
    inputs, _ = windows(train_stream, calibration_starts(train_stream, CALIBRATION_SEQUENCES))
    for row in inputs:
        model(row[None, :], zero_position())
    model.record = no_record
    used = torch.unique(inputs)
    stats = {}

    def summarize(values):
        flat = torch.cat(values).numpy()
        return float(flat.max()), float(np.percentile(flat, 99.99))

    emb = model.tok_emb[used].abs().flatten()
    stats["embedding"] = float(emb.max())
    stats["embedding_p9999"] = float(np.percentile(emb.numpy(), 99.99))
    per_layer = ["attn_norm_out", "q", "k", "v", "attn_out", "wo_out", "ffn_norm_out", "gate", "up",
                 "silu_gate", "ffn_hidden", "w2_out"]
    for key in ["resid"] + per_layer:
        layers = N_LAYERS + 1 if key == "resid" else N_LAYERS
        pairs = [summarize(recorder.values[(key, i)]) for i in range(layers)]
        stats[key] = [p[0] for p in pairs]
        stats[key + "_p9999"] = [p[1] for p in pairs]
    for key in ["final_norm_out", "logits"]:
        stats[key], stats[key + "_p9999"] = summarize(recorder.values[key])
    stats["sequences"] = CALIBRATION_SEQUENCES
    stats["sequence_length"] = SEQ
    stats["used_tokens"] = int(used.numel())
    return stats


@torch.no_grad()
def greedy_samples(model):
    model.eval()
    samples = []
    for prompt in SAMPLE_PROMPTS:
        ids = [BOS] + list(prompt.encode("utf-8"))
        generated = []
        for _ in range(SAMPLE_TOKENS):
            logits = model(torch.tensor([ids + generated]), zero_position())[0]
            generated.append(int(logits[0, -1].argmax()))
        samples.append({"prompt": prompt, "prompt_ids": ids, "ids": generated, "text": decode_ids(generated)})
    return samples


def write_json(path, value):
    with open(path, "w", encoding="utf-8") as f:
        json.dump(value, f, indent=1, ensure_ascii=False)
        f.write("\n")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=DEFAULT_STEPS)
    parser.add_argument("--out", default="models/lm")
    parser.add_argument("--checkpoint", default=None, help="default: <out>/cache/lm.pt")
    parser.add_argument("--export-only", action="store_true", help="load the checkpoint instead of training")
    parser.add_argument("--no-outputs", action="store_true", help="train and save the checkpoint only")
    args = parser.parse_args()
    checkpoint = args.checkpoint or os.path.join(args.out, "cache", "lm.pt")
    os.makedirs(os.path.dirname(checkpoint), exist_ok=True)

    def log(message):
        print(message, flush=True)

    torch.manual_seed(0)
    torch.set_num_threads(2)
    train_lines, heldout_lines = load_corpus()
    heldout_file = heldout_lines[:HELDOUT_FILE_LINES]
    train_stream = pack(train_lines)
    heldout_stream = pack(heldout_file)
    corpus = {
        "train_lines": len(train_lines), "train_tokens": train_stream.numel(),
        "heldout_lines": len(heldout_lines), "heldout_tokens": pack(heldout_lines).numel(),
        "heldout_file_lines": len(heldout_file), "heldout_file_tokens": heldout_stream.numel(),
    }
    log(f"corpus: {json.dumps(corpus)}")

    model = DecoderLM()
    if args.export_only:
        saved = torch.load(checkpoint)
        model.load_state_dict(saved["model"])
        meta = saved["meta"]
        log(f"loaded {checkpoint} ({meta['steps']} steps)")
    else:
        seconds, history = train(model, train_stream, args.steps, log)
        final_train = history[-1]["loss"]
        meta = {"steps": args.steps, "train_seconds": round(seconds, 1), "final_train_loss": final_train,
                "loss_history": history}
        heldout = heldout_loss(model, heldout_stream)
        meta["heldout_loss"] = heldout
        log(f"trained {args.steps} steps in {seconds:.1f} s; final train loss {final_train:.4f}; "
            f"held-out loss {heldout:.4f} nats/token, perplexity {math.exp(heldout):.3f}")
        torch.save({"model": model.state_dict(), "meta": meta}, checkpoint)
        log(f"saved {checkpoint}")
    if args.no_outputs:
        return

    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "heldout.txt"), "w", encoding="utf-8") as f:
        f.write("".join(line + "\n" for line in heldout_file))
    write_json(os.path.join(args.out, "tokenizer.json"), {"type": "bytes", "vocab_size": VOCAB_SIZE, "bos": BOS,
                                                           "eol": EOL})
    onnx_path = os.path.join(args.out, "lm.onnx")
    export_onnx(model, onnx_path)
    check_ids = heldout_stream[:MAX_CONTEXT].tolist()  # a full context, across line boundaries
    onnx_check = verify_onnx(model, onnx_path, check_ids, log)
    log(f"lm.onnx: {os.path.getsize(onnx_path)} bytes")
    write_json(os.path.join(args.out, "calibration.json"), calibrate(model, train_stream))
    with open(os.path.join(args.out, "samples.json"), "w", encoding="utf-8") as f:
        rows = [json.dumps(sample, ensure_ascii=False) for sample in greedy_samples(model)]
        f.write("[\n" + ",\n".join(rows) + "\n]\n")
    heldout = meta["heldout_loss"]
    config = {
        "architecture": "llama", "vocab_size": VOCAB_SIZE, "bos": BOS, "eol": EOL, "d_model": D_MODEL,
        "n_layers": N_LAYERS, "n_heads": N_HEADS, "n_kv_heads": N_KV_HEADS, "head_dim": HEAD_DIM,
        "ffn_hidden": FFN_HIDDEN, "max_context": MAX_CONTEXT, "rope_theta": ROPE_THETA,
        "rope_convention": "rotate_half", "norm_eps": NORM_EPS, "tied_embeddings": True,
        "attention_scale": 1 / math.sqrt(HEAD_DIM),
        "parameters": sum(p.numel() for p in model.parameters()),
        "initializers": initializer_shapes(),
        "onnx": {"file": "lm.onnx", "opset": OPSET, "bytes": os.path.getsize(onnx_path), "check": onnx_check},
        "corpus": corpus,
        "training": {
            "steps": meta["steps"], "batch": BATCH, "sequence_length": SEQ, "peak_lr": PEAK_LR,
            "min_lr_ratio": MIN_LR_RATIO, "warmup_fraction": WARMUP_FRACTION, "weight_decay": WEIGHT_DECAY,
            "grad_clip": GRAD_CLIP, "seconds": meta["train_seconds"], "final_train_loss": meta["final_train_loss"],
            "torch": torch.__version__, "threads": 2,
        },
        "heldout_eval": "heldout.txt packed (BOS + bytes + 10 per line) into consecutive 128-token windows",
        "heldout_loss_nats_per_token": heldout,
        "heldout_perplexity": math.exp(heldout),
    }
    write_json(os.path.join(args.out, "config.json"), config)
    log(f"wrote {args.out}/{{lm.onnx,config.json,calibration.json,samples.json,heldout.txt,tokenizer.json}}")


if __name__ == "__main__":
    sys.exit(main())
