"""PyTorch reference for `node dist/native/bench/gpt.js`: a GPT-2 of the same shape (nEmbd 128, 4 layers,
4 heads, vocab 1024, context 64, batch 16), forward (no grad) and Adam training-step throughput on random
tokens, one thread, in tokens per wall-clock second and per CPU second. The model is the forward pass of
scripts/gpt2_fixture.py with PyTorch's fused layer_norm and cross_entropy.

    OMP_NUM_THREADS=1 /usr/bin/python3 native/bench/torch_gpt_bench.py
"""

import math
import os
import sys
import time

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "scripts"))
import gpt2_fixture as fixture  # noqa: E402

E, L, H, V, T, B = 128, 4, 4, 1024, 64, 16


def main():
    torch.set_num_threads(1)
    fixture.N_EMBD, fixture.N_LAYER, fixture.N_HEAD, fixture.N_POSITIONS = E, L, H, T
    w = {k: v.clone().requires_grad_(True) for k, v in fixture.make_weights(V).items()}
    allowed = torch.tril(torch.ones(T, T, dtype=torch.bool))
    d = E // H

    def layer_norm(x, name):
        return torch.nn.functional.layer_norm(x, (E,), w[name + ".weight"], w[name + ".bias"], 1e-5)

    def forward(ids):
        x = w["wte.weight"][ids] + w["wpe.weight"][:T]
        for layer in range(L):
            p = f"h.{layer}."
            qkv = layer_norm(x, p + "ln_1") @ w[p + "attn.c_attn.weight"] + w[p + "attn.c_attn.bias"]
            q, k, v = (z.reshape(B, T, H, d).transpose(1, 2) for z in qkv.split(E, -1))
            scores = ((q @ k.transpose(-1, -2)) / math.sqrt(d)).masked_fill(~allowed, float("-inf"))
            y = (torch.softmax(scores, -1) @ v).transpose(1, 2).reshape(B, T, E)
            x = x + y @ w[p + "attn.c_proj.weight"] + w[p + "attn.c_proj.bias"]
            hidden = fixture.gelu_new(layer_norm(x, p + "ln_2") @ w[p + "mlp.c_fc.weight"] + w[p + "mlp.c_fc.bias"])
            x = x + hidden @ w[p + "mlp.c_proj.weight"] + w[p + "mlp.c_proj.bias"]
        return layer_norm(x, "ln_f") @ w["wte.weight"].T

    ids = torch.randint(0, V, (B, T))
    targets = torch.randint(0, V, (B, T))
    optimizer = torch.optim.Adam(list(w.values()), 1e-3)

    def train():
        optimizer.zero_grad()
        loss = torch.nn.functional.cross_entropy(forward(ids).reshape(-1, V), targets.reshape(-1))
        loss.backward()
        optimizer.step()

    def rates(f, n=5):
        f()
        f()
        cpu0, wall0 = time.process_time(), time.perf_counter()
        for _ in range(n):
            f()
        wall, cpu = (time.perf_counter() - wall0) / n, (time.process_time() - cpu0) / n
        return f"{B * T / wall:.0f} tokens/s ({B * T / cpu:.0f} per CPU second)"

    with torch.no_grad():
        print(f"PyTorch {torch.__version__}, 1 thread; forward: {rates(lambda: forward(ids))}")
    print(f"training step (Adam): {rates(train)}")


if __name__ == "__main__":
    main()
