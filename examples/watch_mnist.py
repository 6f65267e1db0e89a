"""Watch your own network with glorot: a small CNN and a plain nn.Sequential MLP on MNIST, each in an
ordinary PyTorch training loop, recorded with one ``with watch(...)`` block, then diagnosed.

    python examples/watch_mnist.py                    # 300 updates each (~12 s on the 2-core CPU, both models)
    python examples/watch_mnist.py --steps 3000 --every 500 --out runs/watch_mnist
    python -m glorot.diagnose runs/watch_mnist/mlp    # figures + diagnosis.md (this script runs it too)
    python -m glorot.export runs/watch_mnist/cnn --tensorboard runs/tb/cnn

The MLP keeps PyTorch's default nn.Linear init, which is the paper's "standard" init
U[-1/sqrt(n), 1/sqrt(n)]: with tanh its back-propagated gradients shrink about x0.58 per layer going
down (Sec. 4.2), and the diagnosis says so. ``--init normalized`` switches it to Glorot's init.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import torch
from torch import nn

from glorot import watch
from glorot.cli import Parser, check_writable, nonnegative_int, positive_float, positive_int
from glorot.data import DataError, load_mnist
from glorot.diagnose import load_run, report

MNIST_TEST = 10_000  # examples in the paper's test split, the monitor set's source


def cnn() -> nn.Module:
    return nn.Sequential(
        nn.Conv2d(1, 8, 5), nn.ReLU(), nn.MaxPool2d(2),       # 28 -> 24 -> 12
        nn.Conv2d(8, 16, 5), nn.ReLU(), nn.MaxPool2d(2),      # 12 -> 8 -> 4
        nn.Flatten(), nn.Linear(16 * 4 * 4, 64), nn.ReLU(), nn.Linear(64, 10),
    )


def mlp(depth: int = 5, width: int = 256, init: str = "default") -> nn.Module:
    mods: list[nn.Module] = []
    for i in range(depth):
        lin = nn.Linear(784 if i == 0 else width, width)
        if init == "normalized":
            nn.init.xavier_uniform_(lin.weight)
            nn.init.zeros_(lin.bias)
        mods += [lin, nn.Tanh()]
    return nn.Sequential(*mods, nn.Linear(width, 10))


def train(name: str, model: nn.Module, data, args, image: bool) -> Path:
    shape = (-1, 1, 28, 28) if image else (-1, 784)
    mx, my = data.test_x[: args.monitor].reshape(shape), data.test_y[: args.monitor]
    opt = torch.optim.SGD(model.parameters(), lr=args.lr)
    g = torch.Generator().manual_seed(args.seed)
    out = Path(args.out) / name
    t0 = time.perf_counter()
    # --- the only glorot lines: a with block and one call per step ---
    with watch(model, monitor=(mx, my), loss=nn.functional.cross_entropy, out=out, every=args.every) as w:
        for step in range(args.steps + 1):
            w.maybe_record(step, total=args.steps)
            if step == args.steps:
                break
            idx = torch.randint(0, len(data.train_y), (args.batch,), generator=g)
            xb, yb = data.train_x[idx].reshape(shape), data.train_y[idx]
            opt.zero_grad()
            loss = nn.functional.cross_entropy(model(xb), yb)
            loss.backward()
            opt.step()
            if (step + 1) % max(args.steps // 5, 1) == 0:
                print(f"  {name}: step {step + 1}/{args.steps}  loss {loss.item():.3f}  "
                      f"({time.perf_counter() - t0:.0f} s)", flush=True)
    with torch.no_grad():
        err = (model(data.valid_x.reshape(shape)).argmax(1) != data.valid_y).float().mean().item()
    rec = sum(w.seconds)
    print(f"  {name}: validation error {err:.2%}; {len(w.steps)} record steps took {rec:.1f} s of "
          f"{time.perf_counter() - t0:.1f} s")
    return out


def main(argv=None) -> int:
    p = Parser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--steps", type=positive_int, default=300,
                   help="updates per model (default 300: ~12 s for both on 2 CPU cores)")
    p.add_argument("--every", type=positive_int, default=100,
                   help="record every N updates (plus step 0 and log-spaced early)")
    p.add_argument("--batch", type=positive_int, default=32)
    p.add_argument("--lr", type=positive_float, default=0.1)
    p.add_argument("--monitor", type=positive_int, default=300,
                   help=f"monitor-set size: the first N test examples (at most {MNIST_TEST})")
    p.add_argument("--init", choices=["default", "normalized"], default="default", help="the MLP's init")
    p.add_argument("--models", nargs="+", choices=["cnn", "mlp"], default=["cnn", "mlp"])
    p.add_argument("--data", default="data", help="folder holding mnist.pkl.gz (fetched there if missing)")
    p.add_argument("--out", default="runs/watch_mnist")
    p.add_argument("--seed", type=nonnegative_int, default=0)
    a = p.parse_args(argv)
    if a.monitor > MNIST_TEST:
        p.error(f"argument --monitor: {a.monitor} is not valid; MNIST's test split has {MNIST_TEST} "
                f"examples (choose 1 to {MNIST_TEST})")
    check_writable(p, "--out", a.out)
    try:
        data = load_mnist(a.data)
    except DataError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    torch.manual_seed(a.seed)
    for name in a.models:
        model = cnn() if name == "cnn" else mlp(init=a.init)
        print(f"{name}: training {a.steps} updates with glorot.watch")
        run = train(name, model, data, a, image=name == "cnn")
        out, found = report(load_run(run))
        for f in found:
            print(("  ! " if f.flagged else "    ") + f.text)
        print(f"  -> {out / 'diagnosis.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
