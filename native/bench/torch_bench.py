#!/usr/bin/env python3
"""PyTorch side of `npm run bench` (native/bench/main.ts runs it with /usr/bin/python3).

The same models as the engine's `cnn-ref` and `cnn-small` (conv3x3 + relu + maxpool2 stages, dense +
relu, dense logits; 28x28x1 input, 10 classes), the same batch sizes (64 for training with Adam
lr 1e-3, 256 for inference), random data, one thread; samples per second of wall-clock time or
(--clock cpu) of this process's CPU time. Prints one JSON object on stdout:
  {"torch": version, "threads": 1, "results": {name: samples_per_second, ...}}
Exits with status 3 (and a line on stderr) when torch cannot be imported.
"""
import argparse
import json
import statistics
import sys
import time

try:
    import torch
    from torch import nn
except ImportError as e:  # pragma: no cover - depends on the machine
    print(f"PyTorch not available ({e}): apt-get install python3-torch", file=sys.stderr)
    sys.exit(3)

ARCHS = {
    "cnn-ref": {"filters": [16, 32], "embedding": 64},
    "cnn-small": {"filters": [32, 64], "embedding": 128},
}


def build(arch: str) -> nn.Module:
    spec = ARCHS[arch]
    layers = []
    channels, size = 1, 28
    for f in spec["filters"]:
        layers += [nn.Conv2d(channels, f, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2)]
        channels, size = f, size // 2
    layers += [
        nn.Flatten(),
        nn.Linear(channels * size * size, spec["embedding"]),
        nn.ReLU(),
        nn.Linear(spec["embedding"], 10),
    ]
    return nn.Sequential(*layers)


CLOCKS = {"wall": time.perf_counter, "cpu": time.process_time}
clock = CLOCKS["wall"]


def throughput(step, batch: int, warmup: int, chunks: int, per_chunk: int) -> float:
    """Samples per second (of `clock`): the median over `chunks` timed runs of `per_chunk` calls,
    after `warmup`."""
    for _ in range(warmup):
        step()
    times = []
    for _ in range(chunks):
        t0 = clock()
        for _ in range(per_chunk):
            step()
        times.append(clock() - t0)
    return batch * per_chunk / statistics.median(times)


def bench_train(arch: str, args) -> float:
    torch.manual_seed(0)
    model = build(arch)
    model.train()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()
    batches = [(torch.rand(64, 1, 28, 28), torch.randint(0, 10, (64,))) for _ in range(2)]
    state = {"i": 0}

    def step():
        x, y = batches[state["i"] % 2]
        state["i"] += 1
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
        loss.item()

    return throughput(step, 64, args.warmup, args.chunks, args.train_steps)


def bench_infer(arch: str, args) -> float:
    torch.manual_seed(0)
    model = build(arch)
    model.eval()
    x = torch.rand(256, 1, 28, 28)

    def step():
        with torch.no_grad():
            model(x).numpy()

    return throughput(step, 256, args.warmup, args.chunks, args.infer_steps)


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--chunks", type=int, default=5)
    p.add_argument("--train-steps", type=int, default=4, help="training steps per timed chunk")
    p.add_argument("--infer-steps", type=int, default=2, help="inference batches per timed chunk")
    p.add_argument(
        "--clock",
        choices=sorted(CLOCKS),
        default="wall",
        help="wall-clock time, or this process's CPU time (robust to other load on the machine)",
    )
    args = p.parse_args()
    global clock
    clock = CLOCKS[args.clock]
    torch.set_num_threads(1)
    results = {}
    for arch in ARCHS:
        results[f"train {arch}"] = bench_train(arch, args)
    for arch in ARCHS:
        results[f"infer {arch}"] = bench_infer(arch, args)
    print(json.dumps({"torch": torch.__version__, "threads": torch.get_num_threads(), "results": results}))


if __name__ == "__main__":
    main()
