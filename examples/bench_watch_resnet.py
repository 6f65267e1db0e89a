"""The cost of one glorot.watch record step on a ResNet-18 (torchvision, random init, no download)
against one ordinary training step, measured side by side in one process (alternating, so that the
load of a shared machine hits both alike).

    python examples/bench_watch_resnet.py --size 224 --monitor 16 --batch 32 --repeats 3
"""

from __future__ import annotations

import statistics
import time

import torch
from torch import nn
from torchvision.models import resnet18

from glorot import watch
from glorot.cli import Parser, positive_int
from glorot.cli import device as cli_device


def main(argv=None) -> int:
    p = Parser(description=__doc__.split("\n\n")[0])
    p.add_argument("--size", type=positive_int, default=224, help="image side (default 224, ImageNet)")
    p.add_argument("--monitor", type=positive_int, default=16, help="monitor-set size (at most --batch)")
    p.add_argument("--batch", type=positive_int, default=32, help="training batch size")
    p.add_argument("--repeats", type=positive_int, default=3)
    p.add_argument("--threads", type=positive_int, default=torch.get_num_threads())
    p.add_argument("--device", default="cpu", help="auto | cpu | cuda | cuda:N")
    a = p.parse_args(argv)
    if a.monitor > a.batch:
        p.error(f"argument --monitor: {a.monitor} is larger than --batch {a.batch}; the monitor set is "
                f"the first examples of the batch")
    dev = cli_device(p, "--device", a.device)
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    model = resnet18(weights=None, num_classes=1000).to(dev)
    n_params = sum(q.numel() for q in model.parameters())
    x = torch.randn(a.batch, 3, a.size, a.size, device=dev)
    y = torch.randint(0, 1000, (a.batch,), device=dev)
    mx, my = x[: a.monitor].clone(), y[: a.monitor].clone()
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    variants = {"full": {}, "no_hist": {"hist": False}, "act_grad_s_only": {"signals": ["act", "grad_s"]}}
    watches = {k: watch(model, (mx, my), **kw) for k, kw in variants.items()}

    def sync():
        if dev.type == "cuda":
            torch.cuda.synchronize()

    def train_step():
        opt.zero_grad()
        nn.functional.cross_entropy(model(x), y).backward()
        opt.step()

    train_step()  # warm-up
    for w in watches.values():
        w.record(0)
    times = {"train": [], **{k: [] for k in watches}}
    for r in range(1, a.repeats + 1):
        for name in times:
            sync()
            t0 = time.perf_counter()
            if name == "train":
                train_step()
            else:
                watches[name].record(r)
            sync()
            times[name].append(time.perf_counter() - t0)
    w = watches["full"]
    n_calls = len(w.calls)
    n_vals = sum(len(t) for t in [w.tables()["stats"]])
    med = {k: statistics.median(v) for k, v in times.items()}
    print(f"ResNet-18 ({n_params / 1e6:.1f}M parameters), {a.size}x{a.size} images, {dev}, {a.threads} thread(s); "
          f"{n_calls} watched calls ({sum(c.role == 'layer' for c in w.calls)} conv/linear, "
          f"{sum(c.role == 'act' for c in w.calls)} relu)")
    print(f"training step, batch {a.batch}: median {med['train']:.2f} s  (all: "
          + ", ".join(f"{t:.2f}" for t in times["train"]) + ")")
    for k in watches:
        print(f"record step '{k}', monitor {a.monitor}: median {med[k]:.2f} s = {med[k] / med['train']:.2f} "
              "training steps  (all: " + ", ".join(f"{t:.2f}" for t in times[k]) + ")")
    print(f"stats rows per record step: {n_vals // len(w.steps)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
