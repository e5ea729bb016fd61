#!/usr/bin/python3
"""Independent reference for native/llm/: writes test/fixtures/gpt2-tiny/.

A tiny random GPT-2 and its tokenizer, built here in plain Python and PyTorch (no `transformers`), from
the architecture's description:

  - tokenizer: GPT-2's byte-to-unicode map, a hand-written scanner with the semantics of GPT-2's
    pre-tokenisation regex, a byte-level BPE trained on CORPUS (most frequent pair within pre-tokens,
    ties to the lowest (left id, right id), counts recomputed every step), and the rank-ordered merge loop
    for encoding;
  - model: token + learned position embeddings, pre-norm blocks (LayerNorm, causal multi-head attention
    with a fused qkv Conv1D, LayerNorm, MLP 4x with gelu_new), final LayerNorm, head tied to wte; the
    forward pass runs in float64 on the float32 weights;
  - safetensors written by hand (struct + json), names with Hugging Face's `transformer.` prefix and the
    attention-mask buffers h.N.attn.bias, as GPT2LMHeadModel checkpoints carry them.

Outputs: config.json, model.safetensors, vocab.json, merges.txt, dtypes.safetensors (F16 and BF16
tensors, for the reader's conversions) and expected.json (the BPE corpus and vocabulary size, token ids
of TEXTS, logits of SEQUENCES, the float32 values of the dtypes file).

Regenerate (deterministic; needs PyTorch, e.g. Debian's python3-torch):

    /usr/bin/python3 scripts/gpt2_fixture.py [test/fixtures/gpt2-tiny]
"""

import json
import math
import os
import struct
import sys
import unicodedata
from collections import Counter

import torch

EOT = "<|endoftext|>"
VOCAB_SIZE = 320
N_POSITIONS = 32
N_EMBD = 32
N_LAYER = 2
N_HEAD = 4
EPS = 1e-5
SEED = 1234

CORPUS = [
    "The quick brown fox jumps over the lazy dog. The dog sleeps; the fox runs away.",
    "She said it's the best café in town, and they'll open again at 9:30 tomorrow.",
    "Naïve résumé, crème brûlée and jalapeño: the menu's accents are all there.",
    "Numbers like 12, 345 and 6789 appear in the report; 42 is the answer.",
    "We've seen the river, we're near the bridge, I'm sure you'd like the view.",
    "  Indented lines,\ttabs and\n\nblank lines are whitespace too.   ",
    "The forest is quiet. The river is cold. The mountain is high and the sky is clear.",
    "Über straße, façade, déjà vu, coöperate: accents in the middle of words." + EOT + "A new document.",
    "Emoji 🙂 and 🚀 are four bytes each; 日本語 is three bytes per character.",
    "The the the, then there, these those: the most frequent pairs merge first.",
]

TEXTS = [
    "Hello world",
    "The quick brown fox jumps over the lazy dog.",
    "it's we're they'll I'm you'd he's",
    "café naïve résumé Über",
    "emoji 🙂🚀 and 日本語",
    "  leading spaces,\ttabs\nnewlines\n\n  and trailing   ",
    "numbers 12 345 6789 and 3.14",
    "first" + EOT + "second",
    "",
]

SEQUENCES = [
    [0, 5, 17, 260, 300, 12, 99, 1, 319, 280, 45, 7],
    [256, 42, 3, 3, 118, 200, 31],
]


def bytes_to_unicode():
    """GPT-2's map from each byte to a printable character."""
    printable = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1))
    printable += list(range(ord("®"), ord("ÿ") + 1))
    mapping = {b: chr(b) for b in printable}
    extra = 0
    for b in range(256):
        if b not in mapping:
            mapping[b] = chr(256 + extra)
            extra += 1
    return mapping


BYTE_ENCODER = bytes_to_unicode()
CONTRACTIONS = ["'s", "'t", "'re", "'ve", "'m", "'ll", "'d"]


def is_letter(c):
    return unicodedata.category(c).startswith("L")


def is_number(c):
    return unicodedata.category(c).startswith("N")


def is_space(c):
    return c.isspace()


def is_other(c):
    return not (is_space(c) or is_letter(c) or is_number(c))


def match_length(text, i):
    """Length of the pre-token at i, following the alternatives of GPT-2's regex in order:
    's|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+"""
    for c in CONTRACTIONS:
        if text.startswith(c, i):
            return len(c)
    n = len(text)
    for cls in (is_letter, is_number, is_other):
        start = i + 1 if text[i] == " " else i
        if start < n and cls(text[start]):
            j = start
            while j < n and cls(text[j]):
                j += 1
            return j - i
    j = i
    while j < n and is_space(text[j]):
        j += 1
    if j == n or j - 1 == i:
        return j - i  # \s+(?!\S) at the end of the text, or \s+ for a single space before a word
    return j - 1 - i  # \s+(?!\S): leave the run's last space to the next pre-token


def pretokenize(text):
    pieces = []
    i = 0
    while i < len(text):
        k = match_length(text, i)
        pieces.append(text[i : i + k])
        i += k
    return pieces


def byte_symbols(piece):
    return [BYTE_ENCODER[b] for b in piece.encode("utf-8")]


def merge_ids(symbols, a, b, new):
    out = []
    i = 0
    while i < len(symbols):
        if i + 1 < len(symbols) and symbols[i] == a and symbols[i + 1] == b:
            out.append(new)
            i += 2
        else:
            out.append(symbols[i])
            i += 1
    return out


def train_bpe(texts, vocab_size, min_frequency=2):
    vocab = sorted(BYTE_ENCODER.values(), key=ord)
    ids = {t: i for i, t in enumerate(vocab)}
    counts = Counter()
    for text in texts:
        for doc in text.split(EOT):
            counts.update(pretokenize(doc))
    words = [([ids[s] for s in byte_symbols(piece)], c) for piece, c in counts.items()]
    merges = []
    while len(vocab) + 1 < vocab_size:
        pairs = Counter()
        for symbols, c in words:
            for a, b in zip(symbols, symbols[1:]):
                pairs[(a, b)] += c
        if not pairs:
            break
        (a, b), count = max(pairs.items(), key=lambda kv: (kv[1], -kv[0][0], -kv[0][1]))
        if count < min_frequency:
            break
        text = vocab[a] + vocab[b]
        if text not in ids:
            ids[text] = len(vocab)
            vocab.append(text)
        merges.append((vocab[a], vocab[b]))
        words = [(merge_ids(symbols, a, b, ids[text]), c) for symbols, c in words]
    vocab.append(EOT)
    return vocab, merges


def bpe(piece, ranks):
    word = byte_symbols(piece)
    while len(word) > 1:
        candidates = [(ranks[p], k) for k, p in enumerate(zip(word, word[1:])) if p in ranks]
        if not candidates:
            break
        _, k = min(candidates)
        first, second = word[k], word[k + 1]
        merged = []
        i = 0
        while i < len(word):
            if i + 1 < len(word) and word[i] == first and word[i + 1] == second:
                merged.append(first + second)
                i += 2
            else:
                merged.append(word[i])
                i += 1
        word = merged
    return word


def encode(text, vocab, merges):
    ids = {t: i for i, t in enumerate(vocab)}
    ranks = {m: r for r, m in enumerate(merges)}
    out = []
    for n, part in enumerate(text.split(EOT)):
        if n > 0:
            out.append(ids[EOT])
        for piece in pretokenize(part):
            out.extend(ids[s] for s in bpe(piece, ranks))
    return out


def weight_names():
    names = ["wte.weight", "wpe.weight"]
    for layer in range(N_LAYER):
        for n in [
            "ln_1.weight", "ln_1.bias", "attn.c_attn.weight", "attn.c_attn.bias", "attn.c_proj.weight",
            "attn.c_proj.bias", "ln_2.weight", "ln_2.bias", "mlp.c_fc.weight", "mlp.c_fc.bias",
            "mlp.c_proj.weight", "mlp.c_proj.bias",
        ]:
            names.append(f"h.{layer}.{n}")
    return names + ["ln_f.weight", "ln_f.bias"]


def make_weights(vocab_size):
    """Random float32 weights, larger than GPT-2's init so that every part (biases, LayerNorm gains,
    attention patterns) visibly moves the logits."""
    gen = torch.Generator().manual_seed(SEED)
    e = N_EMBD

    def randn(*shape, std=1.0, mean=0.0):
        return (torch.randn(*shape, generator=gen) * std + mean).float()

    w = {"wte.weight": randn(vocab_size, e, std=0.2), "wpe.weight": randn(N_POSITIONS, e, std=0.2)}
    for layer in range(N_LAYER):
        p = f"h.{layer}."
        w[p + "ln_1.weight"] = randn(e, std=0.1, mean=1.0)
        w[p + "ln_1.bias"] = randn(e, std=0.1)
        w[p + "attn.c_attn.weight"] = randn(e, 3 * e, std=0.25)
        w[p + "attn.c_attn.bias"] = randn(3 * e, std=0.1)
        w[p + "attn.c_proj.weight"] = randn(e, e, std=0.15)
        w[p + "attn.c_proj.bias"] = randn(e, std=0.05)
        w[p + "ln_2.weight"] = randn(e, std=0.1, mean=1.0)
        w[p + "ln_2.bias"] = randn(e, std=0.1)
        w[p + "mlp.c_fc.weight"] = randn(e, 4 * e, std=0.2)
        w[p + "mlp.c_fc.bias"] = randn(4 * e, std=0.1)
        w[p + "mlp.c_proj.weight"] = randn(4 * e, e, std=0.1)
        w[p + "mlp.c_proj.bias"] = randn(e, std=0.05)
    w["ln_f.weight"] = randn(e, std=0.1, mean=1.0)
    w["ln_f.bias"] = randn(e, std=0.1)
    return w


def layer_norm(x, weight, bias):
    mean = x.mean(-1, keepdim=True)
    var = ((x - mean) ** 2).mean(-1, keepdim=True)
    return (x - mean) / torch.sqrt(var + EPS) * weight + bias


def gelu_new(x):
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * torch.pow(x, 3.0))))


def forward(w, ids):
    """Logits [B, T, V] in float64 for a LongTensor of ids [B, T]."""
    w = {k: v.double() for k, v in w.items()}
    b, t = ids.shape
    e, h = N_EMBD, N_HEAD
    d = e // h
    x = w["wte.weight"][ids] + w["wpe.weight"][:t]
    allowed = torch.tril(torch.ones(t, t, dtype=torch.bool))
    for layer in range(N_LAYER):
        p = f"h.{layer}."
        a = layer_norm(x, w[p + "ln_1.weight"], w[p + "ln_1.bias"])
        qkv = a @ w[p + "attn.c_attn.weight"] + w[p + "attn.c_attn.bias"]
        q, k, v = (z.reshape(b, t, h, d).transpose(1, 2) for z in qkv.split(e, dim=-1))
        scores = (q @ k.transpose(-1, -2)) / math.sqrt(d)
        scores = scores.masked_fill(~allowed, float("-inf"))
        y = (torch.softmax(scores, dim=-1) @ v).transpose(1, 2).reshape(b, t, e)
        x = x + y @ w[p + "attn.c_proj.weight"] + w[p + "attn.c_proj.bias"]
        m = layer_norm(x, w[p + "ln_2.weight"], w[p + "ln_2.bias"])
        x = x + gelu_new(m @ w[p + "mlp.c_fc.weight"] + w[p + "mlp.c_fc.bias"]) @ w[
            p + "mlp.c_proj.weight"
        ] + w[p + "mlp.c_proj.bias"]
    x = layer_norm(x, w["ln_f.weight"], w["ln_f.bias"])
    return x @ w["wte.weight"].T


def tensor_bytes(t, dtype):
    t = t.contiguous()
    if dtype == "F32":
        return t.float().numpy().astype("<f4").tobytes()
    if dtype == "F16":
        return t.half().numpy().astype("<f2").tobytes()
    if dtype == "BF16":
        return t.bfloat16().view(torch.int16).numpy().astype("<i2").tobytes()
    raise ValueError(dtype)


def write_safetensors(path, tensors):
    """tensors: list of (name, torch tensor, dtype string)."""
    header = {"__metadata__": {"format": "pt"}}
    chunks = []
    offset = 0
    for name, t, dtype in tensors:
        data = tensor_bytes(t, dtype)
        header[name] = {"dtype": dtype, "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        chunks.append(data)
        offset += len(data)
    raw = json.dumps(header, separators=(",", ":")).encode("utf-8")
    raw += b" " * (-len(raw) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(raw)))
        f.write(raw)
        for c in chunks:
            f.write(c)


def write_text(path, text):
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.write(text)


def rounded(x):
    return float(f"{x:.7g}")


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join("test", "fixtures", "gpt2-tiny")
    os.makedirs(out, exist_ok=True)
    vocab, merges = train_bpe(CORPUS, VOCAB_SIZE)
    assert len(vocab) == VOCAB_SIZE, f"the corpus gave only {len(vocab)} tokens"
    write_text(os.path.join(out, "vocab.json"), json.dumps({t: i for i, t in enumerate(vocab)}, ensure_ascii=False) + "\n")
    write_text(os.path.join(out, "merges.txt"), "#version: 0.2\n" + "".join(f"{a} {b}\n" for a, b in merges))

    config = {
        "model_type": "gpt2",
        "architectures": ["GPT2LMHeadModel"],
        "vocab_size": VOCAB_SIZE,
        "n_positions": N_POSITIONS,
        "n_embd": N_EMBD,
        "n_layer": N_LAYER,
        "n_head": N_HEAD,
        "layer_norm_epsilon": EPS,
        "activation_function": "gelu_new",
        "bos_token_id": vocab.index(EOT),
        "eos_token_id": vocab.index(EOT),
    }
    write_text(os.path.join(out, "config.json"), json.dumps(config, indent=2) + "\n")

    weights = make_weights(VOCAB_SIZE)
    tensors = []
    for name in weight_names():
        tensors.append(("transformer." + name, weights[name], "F32"))
        if name.endswith("ln_1.weight"):
            mask = torch.tril(torch.ones(N_POSITIONS, N_POSITIONS)).view(1, 1, N_POSITIONS, N_POSITIONS)
            tensors.append(("transformer." + name.replace("ln_1.weight", "attn.bias"), mask, "F32"))
    write_safetensors(os.path.join(out, "model.safetensors"), tensors)

    gen = torch.Generator().manual_seed(SEED + 1)
    specials = torch.tensor([1.0, -2.0, 0.5, 65504.0, 6.1035156e-05, 5.9604645e-08, -0.0, 0.1, 3.14159, 1e-3])
    samples = torch.cat([specials, torch.randn(22, generator=gen) * 3])
    dtypes = [("half", samples.reshape(4, 8), "F16"), ("bfloat", samples.reshape(2, 16) * 1000, "BF16")]
    write_safetensors(os.path.join(out, "dtypes.safetensors"), dtypes)

    logits = [forward(weights, torch.tensor([seq])).squeeze(0).tolist() for seq in SEQUENCES]
    expected = {
        "bpeCorpus": CORPUS,
        "bpeVocabSize": VOCAB_SIZE,
        "tokenizer": [{"text": t, "ids": encode(t, vocab, merges)} for t in TEXTS],
        "sequences": SEQUENCES,
        "logits": [[[rounded(v) for v in row] for row in seq] for seq in logits],
        "dtypes": {
            name: {
                "shape": list(t.shape),
                "values": (t.half() if dtype == "F16" else t.bfloat16()).float().flatten().tolist(),
            }
            for name, t, dtype in dtypes
        },
    }
    write_text(os.path.join(out, "expected.json"), json.dumps(expected, ensure_ascii=False) + "\n")
    print(f"wrote {out}: vocab {len(vocab)}, {len(merges)} merges")


if __name__ == "__main__":
    main()
