"""PyTorch eager CPU baseline for `pnpm bench`: median SGD training-step time per workload.

Reads the workload list (JSON) on stdin, prints one JSON object on stdout. Run by the bench with Debian's
/usr/bin/python3 when torch is importable; the thread count is given so every runtime runs with the same one.
Also measures a 512x512 float32 matmul as the practical BLAS ceiling of this machine.
"""
import json
import sys
import time

import torch


class Residual(torch.nn.Module):
    def __init__(self, spec):
        super().__init__()
        w = spec["width"]
        self.stem = torch.nn.Linear(spec["inputSize"], w)
        self.blocks = torch.nn.ModuleList(
            torch.nn.ModuleList(torch.nn.Linear(w, w) for _ in range(spec["block"]["layers"])) for _ in range(spec["depth"])
        )
        self.head = torch.nn.Linear(w, spec["outputSize"])
        self.act = {"relu": torch.relu, "tanh": torch.tanh, "sigmoid": torch.sigmoid}[spec["block"]["activation"]]
        self.skip = spec["block"]["skip"] == "identity"

    def forward(self, x):
        h = self.act(self.stem(x))
        for block in self.blocks:
            f = h
            for lin in block:
                f = self.act(lin(f))
            h = h + f if self.skip else f
        return self.head(h)


class Recurrent(torch.nn.Module):
    def __init__(self, spec):
        super().__init__()
        cls = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU, "rnn": torch.nn.RNN}[spec["cell"]]
        self.rnn = cls(spec["inputSize"], spec["hiddenSize"], spec.get("numLayers", 1), batch_first=True)
        self.fc = torch.nn.Linear(spec["hiddenSize"], spec["outputSize"])

    def forward(self, x):
        out, _ = self.rnn(x)
        return self.fc(out[:, -1, :])


def median_ms(fn, min_time, min_iters):
    for _ in range(5):
        fn()
    times = []
    start = time.perf_counter()
    while len(times) < min_iters or time.perf_counter() - start < min_time:
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1e3)
    times.sort()
    return times[len(times) // 2], len(times)


def bench(w, min_time, min_iters):
    spec = w["spec"]
    torch.manual_seed(0)
    model = Residual(spec) if spec["kind"] == "residual" else Recurrent(spec)
    if spec["kind"] == "residual":
        x = torch.rand(w["batch"], spec["inputSize"])
    else:
        x = torch.rand(w["batch"], w["steps"], spec["inputSize"])
    y = torch.rand(w["batch"], spec["outputSize"])
    opt = torch.optim.SGD(model.parameters(), lr=1e-3)
    loss_fn = torch.nn.MSELoss()

    def step():
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()

    ms, n = median_ms(step, min_time, min_iters)
    return {"id": w["id"], "medianMs": ms, "iterations": n}


def matmul_gflops(min_time):
    a = torch.rand(512, 512)
    b = torch.rand(512, 512)
    ms, _ = median_ms(lambda: a @ b, min_time, 20)
    return 2 * 512**3 / (ms / 1e3) / 1e9


def blas_library():
    """Which BLAS the process actually loaded: Debian's torch links libblas.so.3, so read the mapped files."""
    with open("/proc/self/maps") as f:
        maps = f.read().lower()
    for name in ("openblas", "mkl", "blis", "atlas"):
        if name in maps:
            return name
    return "reference BLAS (slow: install libopenblas0-pthread)"


def main():
    req = json.load(sys.stdin)
    torch.set_num_threads(req["threads"])
    results = [bench(w, req["minTime"], req["minIterations"]) for w in req["workloads"]]
    print(json.dumps({
        "version": torch.__version__,
        "threads": torch.get_num_threads(),
        "blas": blas_library(),
        "matmul512Gflops": matmul_gflops(req["minTime"]),
        "results": results,
    }))


if __name__ == "__main__":
    main()
