"""What a profile costs before it runs: members, updates and weight traffic per experiment.

Batch-10 SGD is bound by memory bandwidth (PERFORMANCE.md): an update costs in proportion to the
weights it moves. So the unit here is the **5x1000-equivalent member-update**: one SGD update of
one member of the paper's network (784-1000x5-10, 4.79M weights), and a member with w weights
counts w / 4.79M of one. Divide by an engine's measured rate (``make bench``) to get a time.
Evaluation, recording and data generation are not counted: add some margin.

    python scripts/reproduce.py --profile paper --plan               # the table
    python scripts/reproduce.py --profile paper --plan --rate 25000  # one assumed rate
    python scripts/reproduce.py --profile paper --plan --bench results/bench/<gpu>.json

``--bench`` takes the stacked engine's measured rates (recording off) from a ``make bench`` JSON
and gives each experiment the rate of its own stack size K (log-linear between the measured K,
the nearest one outside them). Those rates are for the paper's network: a much smaller network is
bound by per-step overhead rather than bandwidth, so its estimate is optimistic.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from glorot import shapeset
from glorot.trainer import build_members

#: (n_in, n_classes) of the data sets whose shape does not come from the config
SHAPES = {"mnist": (784, 10), "shapeset": (shapeset.N_IN, shapeset.N_CLASSES)}


def n_weights(n_in: int, width: int, depth: int, n_out: int) -> int:
    """Weights and biases of an MLP n_in -> width x depth -> n_out."""
    sizes = [n_in] + [width] * depth + [n_out]
    return sum(a * b + b for a, b in zip(sizes[:-1], sizes[1:]))


#: weights (and biases) of the paper's network 784-1000x5-10: the unit of cost
PAPER_WEIGHTS = n_weights(784, 1000, 5, 10)


@dataclass
class Cost:
    experiment: str
    members: int
    updates: int
    weights: int  # per member

    @property
    def member_updates(self) -> int:
        return self.members * self.updates

    @property
    def equivalents(self) -> float:
        """5x1000-equivalent member-updates (see the module docstring)."""
        return self.member_updates * self.weights / PAPER_WEIGHTS

    def seconds(self, rate: float | dict[int, float]) -> float:
        """Training time at ``rate``: 5x1000-equivalent member-updates/s, one number or K -> rate."""
        return self.equivalents / (rate_at(rate, self.members) if isinstance(rate, dict) else rate)


def cost(experiment: str, cfg) -> Cost:
    """The training cost of one composed experiment config."""
    data = str(cfg.data.name)
    if data == "synthetic":
        n_in, n_out = int(cfg.data.synthetic.n_in), int(cfg.data.synthetic.n_classes)
    else:
        n_in, n_out = SHAPES[data]
    w = n_weights(n_in, int(cfg.model.width), int(cfg.model.depth), n_out)
    return Cost(experiment, len(build_members(cfg)), int(cfg.train.updates), w)


def bench_weights(network: str) -> int:
    """Weights per member of a bench JSON's ``network`` ("784-1000x5-10")."""
    try:
        n_in, hidden, n_out = network.split("-")
        width, depth = hidden.split("x")
        return n_weights(int(n_in), int(width), int(depth), int(n_out))
    except ValueError:
        raise ValueError(f"network {network!r} is not of the form N_IN-WIDTHxDEPTH-N_OUT") from None


def rates_from_bench(path, engine: str = "stacked") -> dict[int, float]:
    """K -> median member-updates/s of ``engine`` ("stacked", or "stacked_graph": the CUDA-graph
    step) with recording off, from a bench JSON, in 5x1000-equivalent member-updates/s: a bench
    run on a smaller network (the JSON's ``network``) is scaled by its weights / PAPER_WEIGHTS."""
    try:
        d = json.loads(Path(path).read_text())
    except FileNotFoundError:
        raise ValueError(f"{path}: no such file (make bench writes one into results/bench/)") from None
    except (OSError, UnicodeDecodeError) as e:
        raise ValueError(f"{path}: cannot be read ({getattr(e, 'strerror', None) or e})") from None
    except json.JSONDecodeError as e:
        raise ValueError(f"{path}: not JSON ({e}); a `make bench` JSON is expected") from None
    try:
        scale = bench_weights(d["network"]) / PAPER_WEIGHTS if "network" in d else 1.0
        out = {int(r["k"]): float(r["member_updates_per_s"]["median"]) * scale for r in d["results"]
               if r["engine"] == engine and r["recording"] == "off"}
    except KeyError as e:
        raise ValueError(f"{path}: not a `make bench` JSON (it has no {e} field)") from None
    except (TypeError, ValueError, AttributeError) as e:
        raise ValueError(f"{path}: not a `make bench` JSON ({e})") from None
    if not out:
        raise ValueError(f"{path}: no {engine} rows with recording off")
    return out


def newest_bench(folder, accept: Callable[[dict], bool]) -> tuple[Path, dict] | None:
    """The newest benchmark JSON in ``folder`` (by its ``date``) that ``accept`` takes, and its
    contents; None without one."""
    found = []
    for path in sorted(Path(folder).glob("*.json")):
        try:
            d = json.loads(path.read_text())
        except (OSError, ValueError):
            continue
        if isinstance(d, dict) and accept(d):
            found.append((str(d.get("date", "")), path, d))
    return max(found, key=lambda f: f[:2])[1:] if found else None


def cpu_bench(folder) -> tuple[Path, dict] | None:
    """The newest CPU ``make bench`` JSON in ``folder`` and its contents, or None."""
    return newest_bench(folder, lambda d: d.get("device") == "cpu" and isinstance(d.get("results"), list))


def rate_at(rates: dict[int, float], k: int) -> float:
    """The rate at stack size k: log-linear in K between measured sizes, the nearest outside."""
    ks = sorted(rates)
    if k <= ks[0]:
        return rates[ks[0]]
    if k >= ks[-1]:
        return rates[ks[-1]]
    for a, b in zip(ks, ks[1:]):
        if a <= k <= b:
            t = (math.log(k) - math.log(a)) / (math.log(b) - math.log(a))
            return rates[a] + t * (rates[b] - rates[a])
    raise AssertionError(k)


def table(costs: list[Cost], rate: float | dict[int, float] | None = None) -> str:
    """A plain-text table of ``costs`` with a total; times when ``rate`` is given: one number
    (5x1000-equivalent member-updates/s) or K -> rate (:func:`rates_from_bench`)."""
    head = f"{'experiment':<20} {'members':>7} {'updates':>9} {'weights':>10} {'member-upd':>12} {'5x1000-eq':>12}"
    lines = [head + (f" {'time':>9}" if rate else "")]

    def row(name, members, updates, weights, mu, eq, secs):
        return f"{name:<20} {members:>7} {updates:>9} {weights:>10} {mu:>12,} {eq:>12,.0f}" + (
            f" {_hms(secs):>9}" if rate else "")

    secs = [c.seconds(rate) for c in costs] if rate else [0.0] * len(costs)
    for c, t in zip(costs, secs):
        lines.append(row(c.experiment, c.members, f"{c.updates:,}", f"{c.weights:,}", c.member_updates,
                         c.equivalents, t))
    lines.append(row("total", sum(c.members for c in costs), "", "", sum(c.member_updates for c in costs),
                     sum(c.equivalents for c in costs), sum(secs)))
    return "\n".join(lines)


def _hms(seconds: float) -> str:
    seconds = int(round(seconds))
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


if __name__ == "__main__":  # a library module: say where its table is printed rather than do nothing
    import sys

    sys.exit("glorot.plan is a library module; its table: make plan PROFILE=quick "
             "(python scripts/reproduce.py --plan --profile quick [--rate N | --bench JSON])")
