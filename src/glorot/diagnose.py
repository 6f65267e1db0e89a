"""The diagnosis of a :mod:`glorot.watch` run, or of a run of the suite's own trainer: figures in the
paper's style and a short text.

::

    python -m glorot.diagnose runs/mynet                       # -> runs/mynet/diagnosis/
    python -m glorot.diagnose runs/mynet --out /tmp/d --steps 0 500 3000 --tensorboard runs/tb
    python -m glorot.diagnose results/runs/quick/run/<overrides>   # glorot.train ... record=paper: one per member
    python -m glorot.diagnose results/runs/quick/run               # every run of a sweep + diagnoses.md

writes ``diagnosis.md`` (the findings, per-layer tables, links to the figures) and the figures
(:mod:`glorot.watch_figures`) into ``--out``, prints the findings, and with ``--tensorboard`` writes
the records as TensorBoard events (:mod:`glorot.export`).

A ``glorot.train`` run folder (recorded with ``record=paper`` or ``record=init``) is read member by
member as a watch run of ``W<i>`` (the i-th weight layer: pre-activations, dC/ds, dC/dW) and ``h<i>``
(its activation) layers (:func:`suite_run`); a run of several members gets ``diagnosis/member<k>/``
each; a folder of runs (a sweep's root) gets each of its runs diagnosed and a table of them all,
``diagnoses.md``, under figures comparing their depth profiles (``depth_profiles.png``) and their
test-error curves (``test_error.png``, also for runs trained without records) (:func:`diagnose_sweep`).
This is how a sweep of your own (``glorot.train -m ...``) gets its per-layer figures: the plotting
stage (``glorot.plot``) draws the paper's figures from the suite's named experiments only.

What the findings say (each names the layer and the number):

* **trend across depth**: the per-layer factor of the std of ``dC/ds`` going *down* (from the last
  hidden layer towards the input; the output layer is left out: its dC/ds is softmax - onehot) and of
  the activations going *up*, fitted as a geometric trend (least squares on log std against the layer
  index). It is flagged as vanishing / exploding when the trend changes the std by more than x2 over the
  stack and by more than x1.1 per layer, or by more than x10 over the stack (:func:`trend_kind`; a
  gentler trend is said to be mild), with a fix: Glorot's ``init=normalized`` (``torch.nn.init.xavier_uniform_``) for
  tanh/sigmoid/softsign/linear networks, He's ``init=he`` (``torch.nn.init.kaiming_normal_``) for
  rectifier networks. With standard init (PyTorch's ``nn.Linear`` default, U[-1/sqrt(n), 1/sqrt(n)]),
  n Var[W] = 1/3 and the theory of Sec. 4.2 gives x0.58 per layer;
* **saturation** (tanh, sigmoid, softsign, hardtanh): a layer with more than 10% of its values
  saturated at some recorded step (the step and the share at init are given);
* **dead units** (ReLU and other rectifiers): a layer with more than 10% of its units never positive
  on the monitor set;
* **weight gradients**: the spread of std(dC/dW) across the hidden layers (Eq. 14: equal under
  normalized init), reported for information;
* **diverged** (a glorot.train member whose loss became non-finite): said first, with the update and
  the learning rate; only the records before it are read;
* **mean-field theory** (glorot.train members, at init): :mod:`glorot.theory`'s per-layer factors for
  the member's activation, init, depth, width and the run's monitor set, beside the measured ones
  (:func:`mean_field`), with its predicted ratios as a ``theory`` column of the tables.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from glorot.kinds import is_rectifier, share_stat
from glorot.watch_figures import (act_over_time, compare_curves, compare_profiles, depth_profile, fit_factor,
                                  histograms_per_layer, jacobian_over_time, shares_over_time, std_over_time)

log = logging.getLogger("glorot.diagnose")

#: a trend is flagged when it changes the std by more than ``TREND_LIMIT`` over the stack and by more
#: than ``LAYER_LIMIT`` per layer, or by more than ``STRONG_LIMIT`` over the stack whatever it does per
#: layer: Fig. 7's standard init (x0.58 per layer) is flagged at any depth, a trained He stack's
#: x1.06 per layer over 29 layers (x4.8) is a mild trend, x1.06 over 100 layers (x320) is flagged
TREND_LIMIT, LAYER_LIMIT, STRONG_LIMIT = 2.0, 1.1, 10.0
#: a layer is flagged when more than this share is saturated / dead
SHARE_LIMIT = 0.10
#: more flagged layers than this (of one kind) are said in one finding
MAX_LISTED = 3
#: at most this many members get the sweep's comparison figure (depth_profiles.png)
MAX_COMPARED = 12
SAT_RULE = {"tanh": "|z| > 0.99", "sigmoid": "z < 0.01 or z > 0.99", "softsign": "|z| > 0.9",
            "hardtanh": "at a bound", "hardsigmoid": "at a bound"}


class BadRun(ValueError):
    """The folder is not a readable glorot.watch run; the message says why."""


@dataclass
class WatchRun:
    path: Path
    info: dict
    stats: pd.DataFrame
    hist: pd.DataFrame
    jacobian: pd.DataFrame

    @property
    def layers(self) -> list[dict]:
        return self.info.get("layers", [])


@dataclass
class Finding:
    kind: str  # diverged | vanishing | exploding | saturated | dead | healthy | info
    text: str
    layer: str | None = None
    value: float = float("nan")
    #: what it is about, for the code that picks findings out (never their text): ``grad_s`` / ``act``
    #: (a trend), ``theory`` (the mean-field prediction), ``grad_w``, ``share``, ``diverged``
    about: str = ""
    step: int | None = None  # the recorded step it reads, where it reads one

    @property
    def flagged(self) -> bool:
        return self.kind in ("diverged", "vanishing", "exploding", "saturated", "dead")


def is_watch_run(path: str | Path) -> bool:
    """Whether ``path`` is a glorot.watch run folder (for ``glorot.plot`` to hand it over here)."""
    try:
        return json.loads((Path(path) / "run.json").read_text()).get("kind") == "watch"
    except (OSError, json.JSONDecodeError, AttributeError):
        return False


def load_run(path: str | Path, member: int | None = None) -> WatchRun:
    """Read a run folder: a watch run (run.json with ``kind: watch``, stats.parquet, hist.parquet,
    ...) or one of the suite's own (``glorot.train`` with ``record=paper`` or ``record=init``), whose
    member ``member`` (default: the first) is read as :func:`suite_run` says."""
    return load_runs(path, member, every=False)[0]


def load_runs(path: str | Path, member: int | None = None, every: bool = True) -> list[WatchRun]:
    """:func:`load_run` of every member of a glorot.train run (``every`` and no ``member``), the
    tables read once; a watch run is one."""
    path = Path(path)
    if not path.is_dir():
        raise BadRun(f"no run folder at {path} (glorot.train writes them below results/runs/<profile>/; train one "
                     "with record=paper, e.g. make train ARGS=\"activation=tanh record=paper\")")
    pj = path / "run.json"
    try:
        info = json.loads(pj.read_text())
    except FileNotFoundError:
        from glorot.results import find_runs  # noqa: PLC0415

        inside = [p for p in find_runs(path) if p != path]
        if inside:
            raise BadRun(f"{path} is no run folder but holds {len(inside)} (such as {inside[0]}): read one of "
                         f"them, or diagnose them all with python -m glorot.diagnose {path}") from None
        raise BadRun(f"{path} has no run.json: not a glorot.watch run (write one with glorot.watch(...)) "
                     "nor one of glorot.train's") from None
    except json.JSONDecodeError as e:
        raise BadRun(f"{pj} is not valid JSON ({e})") from None
    if not isinstance(info, dict) or info.get("kind") != "watch" and not (path / "members.csv").exists():
        kind = info.get("kind") if isinstance(info, dict) else None
        raise BadRun(f"{path} is neither a glorot.watch run (run.json kind={kind!r}) "
                     "nor one of glorot.train's (no members.csv)")
    if not (path / "stats.parquet").exists():
        if info.get("kind") == "watch":
            raise BadRun(f"{path} has no stats.parquet: the watch recorded nothing (call w.maybe_record(step))")
        raise BadRun(f"{path} has no stats.parquet: this run recorded nothing; train it with record=paper "
                     "(or record=init for the record at initialization alone)")
    from glorot.results import load  # noqa: PLC0415

    r = load(path, tables=("stats", "hist", "jacobian"))
    if info.get("kind") == "watch":
        if member not in (None, 0):
            raise BadRun(f"--member {member}: {path} is a glorot.watch run, of one model (member 0)")
        return [WatchRun(path, info, r.stats, r.hist, r.jacobian)]
    members = sorted(int(m) for m in r.members.member) if every and member is None else [member]
    return [suite_run(path, info, r, m) for m in members]


def _suite_key(layer: int, signal: str) -> tuple[str, int]:
    """The suite's layer i holds s_i = W_i h_(i-1) + b_i (signals pre, grad_s, grad_w, weight) and
    h_i = f(s_i) (signal act); a watch run names them as two layers: ``W<i>`` and ``h<i>``."""
    return (f"h{layer}", 2 * layer) if signal == "act" else (f"W{layer}", 2 * layer - 1)


def model_text(row) -> str:
    """A glorot.train member (a members.csv row) in words: "MLP 5 x 128, tanh, init standard, lr 0.1, seed 0"."""
    axes = "".join(f", {k} {row[k]}" for k in ("init", "lr", "seed") if k in row)
    return f"MLP {row.get('depth', '?')} x {row.get('width', '?')}, {row.get('activation', '?')}{axes}"


def suite_run(path: Path, info: dict, r, member: int | None = None) -> WatchRun:
    """One member of a ``glorot.train`` run as a watch run: its records renamed to the watch's
    layers (:func:`_suite_key`; Jacobian row l, dh_(l+1)/dh_l, goes to ``h<l>``) and the layers
    described from members.csv (activation, depth, width). A member that diverged (a non-finite loss
    at update d; the trainer freezes it there) keeps only its records before d. A rectifier's
    dead-unit share is in runs recorded since the recorder writes it (``dead``); older runs get no
    "dead" finding."""
    mem = r.members
    have = sorted(int(m) for m in mem.member)
    member = have[0] if member is None else member
    if member not in have:
        raise BadRun(f"--member {member}: {path} has members {', '.join(map(str, have))}")
    row = mem[mem.member == member].iloc[0]
    depth, width, act = int(row["depth"]), int(row["width"]), str(row["activation"])

    diverged = pd.to_numeric(pd.Series([row.get("diverged_at_update")]), errors="coerce").iloc[0]
    diverged = int(diverged) if str(row.get("status")) == "diverged" and np.isfinite(diverged) else None

    def rename(df: pd.DataFrame, jac: bool = False) -> pd.DataFrame:
        if df is None or df.empty:
            return pd.DataFrame()
        keep = (df.member == member) & ((df.step < diverged) if diverged is not None else True)
        df = df[keep].drop(columns=["depth"], errors="ignore")  # the model's depth (an axis)
        keys = [_suite_key(int(v), "act" if jac else sig)
                for v, sig in zip(df.layer, df.signal if "signal" in df else [""] * len(df))]
        df["layer"] = [k for k, _ in keys]
        df.insert(df.columns.get_loc("layer") + 1, "depth", [d for _, d in keys])
        return df

    monitor, data, no_data = None, None, None
    try:
        from omegaconf import OmegaConf  # noqa: PLC0415

        data = OmegaConf.load(path / "config.yaml").data
        monitor = data.monitor_size
        data = OmegaConf.to_yaml(data)
    except Exception as e:  # noqa: BLE001 (a missing or older config.yaml: the size is only shown, the theory left out)
        no_data = f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}"[:200]
    layers = []
    for i in range(1, depth + 1):
        shape = [monitor, width]
        layers += [{"layer": f"W{i}", "depth": 2 * i - 1, "role": "layer", "kind": "linear", "out_shape": shape},
                   {"layer": f"h{i}", "depth": 2 * i, "role": "act", "kind": act, "out_shape": shape}]
    layers.append({"layer": f"W{depth + 1}", "depth": 2 * depth + 1, "role": "layer", "kind": "linear"})
    return WatchRun(path, {
        "kind": "suite", "recorded_by": "glorot.train", "name": f"{path.name}, member {member}", "member": member,
        "model": model_text(row), "monitor_size": monitor, "layers": layers,
        "status": str(row.get("status", "")), "diverged_at": diverged, "lr": row.get("lr"),
        "activation": act, "init": str(row.get("init", "")), "depth": depth, "width": width,
        "final_test_error": row.get("final_test_error"), "data_config": data, "no_data_config": no_data,
    }, rename(r.stats), rename(r.hist), rename(r.jacobian, jac=True))


def mean_field(run: WatchRun) -> tuple[pd.DataFrame | None, str | None]:
    """glorot.theory's prediction at init for a glorot.train member (per hidden layer 1..depth:
    act_std, grad_s_std; for ReLU also dead, the share of units never positive on the monitor set), from
    its activation, init, depth, width and its data's monitor set; or
    (None, why) where there is none (a watch run, no config.yaml, the data not at hand, an init or
    activation the theory does not model)."""
    info = run.info
    if info.get("kind") != "suite":
        return None, None
    if info.get("data_config") is None:
        return None, info.get("no_data_config")
    from glorot import theory  # noqa: PLC0415

    try:
        q0, q0_train, n_in, n_out, _ = theory.monitor_set(info["data_config"])
        pred = theory.predict(info["activation"], info["init"], info["depth"], info["width"], q0, n_in=n_in,
                              n_out=n_out, q0_init=q0_train)
        pred = pred[pred.layer <= info["depth"]].set_index("layer")
        if info["activation"] == "relu" and bool((pred.sigma_w2 > 0).all()):  # random weights of any scale
            pred["dead"] = theory.monitor_dead_share(info["data_config"], int(info["depth"]))
    except Exception as e:  # noqa: BLE001 (the prediction is shown beside the record; its absence is said)
        return None, f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}"[:200]
    return pred, None


def theory_finding(stats: pd.DataFrame, layers: list[dict], pred: pd.DataFrame, info: dict) -> Finding | None:
    """The per-layer factors at init, measured (fitted as :func:`trend_findings` fits them) beside
    the same fit of the mean-field prediction."""
    first = int(stats.step.min())
    if first != 0:
        return None
    weight = [d["layer"] for d in layers if d["role"] == "layer"][:-1]
    acts = [d["layer"] for d in layers if d["role"] == "act"]
    g, a = _std(stats, "grad_s", 0, weight), _std(stats, "act", 0, acts)
    parts, value = [], float("nan")
    for what, meas, col, down in (("dC/ds", g, "grad_s_std", True), ("activations", a, "act_std", False)):
        want = pred[col].to_numpy(dtype=float)
        if len(meas) < 2 or np.isfinite(meas).sum() < 2 or len(want) != len(meas) or not np.isfinite(want).all():
            continue
        fm, fp = fit_factor(meas), fit_factor(want)
        if down:
            fm, fp = 1 / fm, 1 / fp
            value = fp
        parts.append(f"{what} x{_factor(fp)} per layer going {'down' if down else 'up'} (measured x{_factor(fm)})")
    if "dead" in pred:
        meas = pd.Series(_stat(stats, "act", "dead", 0, acts), index=acts)
        want = pred["dead"].to_numpy(dtype=float)
        if len(want) == len(acts) and np.isfinite(meas).all():
            parts.append(f"{want.mean():.0%} of the units dead on the monitor set, mean over the layers, rising to "
                         f"{want[-1]:.0%} at '{acts[-1]}' (measured {meas.mean():.0%} and {meas.iloc[-1]:.0%})")
    if not parts:
        return None
    said = " and ".join([", ".join(parts[:-1]), parts[-1]] if len(parts) > 1 else parts)  # "a, b and c"
    return Finding("info", f"step 0: mean-field theory (glorot.theory: {info['activation']}, init={info['init']}, "
                   f"{info['depth']} x {info['width']}, this monitor set's inputs) predicts {said}", None, value,
                   about="theory", step=0)


# --------------------------------------------------------------------------------------------
# findings
# --------------------------------------------------------------------------------------------


def _fix(kinds: list[str], init: str | None = None, first: bool = True) -> str:
    """What to try against a trend: the init that suits the activations (He's for rectifiers, the
    normalized one for the others), at the first record; later, the learning rate. Where the run's
    ``init`` already is that one, it says so instead of recommending it again."""
    relu_like = bool(kinds) and sum(map(is_rectifier, kinds)) * 2 >= len(kinds)
    fix = ("try init=he (torch.nn.init.kaiming_normal_(w, nonlinearity='relu'))" if relu_like
           else "try init=normalized (torch.nn.init.xavier_uniform_)")
    have = str(init or "").partition(":")[0]
    if have in (("he", "he_fan_out", "critical") if relu_like else ("normalized", "xavier_normal", "critical")):
        acts = "ReLU" if relu_like else "these activations"
        if not first:
            return f"during training: check the learning rate (init={init} already suits {acts})"
        if have == "critical":
            return "init=critical already sets chi = 1 at every layer: what is left compounds with depth (fewer layers)"
        return (f"init={init} already suits {acts}, and a deep stack compounds what is left: fewer layers, or "
                "init=critical (chi = 1 at every layer)")
    return fix if first else f"during training: check the learning rate and the init ({fix.removeprefix('try ')})"


def _factor(v: float) -> str:
    """A per-layer factor: two decimals (x0.57), or three digits when it is far from 1 (x1.09e+05)."""
    return f"{v:.2f}" if 0.01 <= v < 100 else f"{v:.3g}"


def _stat(stats: pd.DataFrame, signal: str, stat: str, step: int, keys: list[str]) -> np.ndarray:
    s = stats[(stats.signal == signal) & (stats.stat == stat) & (stats.step == step)].set_index("layer").value
    return s.reindex(keys).to_numpy(dtype=float)


def _std(stats: pd.DataFrame, signal: str, step: int, keys: list[str]) -> np.ndarray:
    return _stat(stats, signal, "std", step, keys)


def _caveat(descs: list[dict]) -> str:
    """A warning when the layers of a trend differ in kind or size (pooling, reshaping, widths)."""
    kinds = sorted({d["kind"] for d in descs})
    sizes = {int(np.prod(d["out_shape"][1:])) for d in descs if d.get("out_shape")}
    if len(kinds) > 1 or len(sizes) > 1:
        return (f" (caution: these layers differ in kind or size ({', '.join(kinds)}; {len(sizes)} sizes), so "
                "pooling, fan-in and shape changes are part of the factor, not only the init)")
    return ""


def trend_kind(per_layer: float, total: float) -> str:
    """``vanishing`` / ``exploding`` (flagged: :data:`TREND_LIMIT` and :data:`LAYER_LIMIT`, or
    :data:`STRONG_LIMIT`), ``mild`` (more than x2 over the stack, but gently) or ``level`` (also what
    a factor that is not a number gets, as before the mild trends were told apart)."""
    if np.isnan(per_layer) or np.isnan(total):
        return "level"
    big = max(total, 1 / total) if total > 0 else np.inf
    steep = max(per_layer, 1 / per_layer) if per_layer > 0 else np.inf
    if big > STRONG_LIMIT or (big > TREND_LIMIT and steep > LAYER_LIMIT):
        return "vanishing" if total < 1 else "exploding"
    return "mild" if big > TREND_LIMIT else "level"


def _healthy(trend: str) -> str:
    if trend == "mild":
        return (f"a mild trend, not flagged (within x{LAYER_LIMIT:g} per layer and x{STRONG_LIMIT:g} over the "
                "stack)")
    return "no vanishing or exploding trend"


def trend_findings(stats: pd.DataFrame, layers: list[dict], step: int, first: bool = True,
                   init: str | None = None) -> list[Finding]:
    """Vanishing / exploding trends of dC/ds (going down) and activations (going up) at ``step``;
    ``first``: ``step`` is the first record (the fix names an init; later, the learning rate);
    ``init``: the run's, when known (:func:`_fix`)."""
    by_key = {d["layer"]: d for d in layers}
    weight_layers = [d["layer"] for d in layers if d["role"] == "layer"]
    acts = [d for d in layers if d["role"] == "act"]
    act_keys = [d["layer"] for d in acts]
    fix = _fix([d["kind"] for d in acts], init, first)
    out: list[Finding] = []
    hidden = weight_layers[:-1] if len(weight_layers) >= 3 else weight_layers
    g = _std(stats, "grad_s", step, hidden)
    if len(hidden) >= 2 and np.isfinite(g).sum() >= 2:
        f_up = fit_factor(g)
        down = 1 / f_up
        total = down ** (len(hidden) - 1)
        span = (f"from '{hidden[-1]}' to '{hidden[0]}': x{total:.3g} over {len(hidden) - 1} layers"
                + _caveat([by_key[k] for k in hidden]))
        trend = trend_kind(down, total)
        if trend == "vanishing":
            out.append(Finding("vanishing", f"step {step}: dC/ds shrinks x{_factor(down)} per layer going down ({span}): "
                               f"the lower layers get vanishing gradients; {fix}", hidden[0], down, "grad_s", step))
        elif trend == "exploding":
            out.append(Finding("exploding", f"step {step}: dC/ds grows x{_factor(down)} per layer going down ({span}): "
                               f"exploding gradients in the lower layers; {fix}" + (", or smaller weights" if first else ""),
                               hidden[0], down, "grad_s", step))
        else:
            out.append(Finding("healthy", f"step {step}: dC/ds x{_factor(down)} per layer going down ({span}): "
                               + _healthy(trend), hidden[0], down, "grad_s", step))
    a = _std(stats, "act", step, act_keys)
    if len(act_keys) >= 2 and np.isfinite(a).sum() >= 2:
        up = fit_factor(a)
        total = up ** (len(act_keys) - 1)
        span = (f"from '{act_keys[0]}' to '{act_keys[-1]}': x{total:.3g} over {len(act_keys) - 1} layers"
                + _caveat(acts))
        trend = trend_kind(up, total)
        if trend == "vanishing":
            out.append(Finding("vanishing", f"step {step}: activations shrink x{_factor(up)} per layer going up ({span}): "
                               f"the upper layers see a vanishing signal; {fix}", act_keys[-1], up, "act", step))
        elif trend == "exploding":
            out.append(Finding("exploding", f"step {step}: activations grow x{_factor(up)} per layer going up ({span}); "
                               f"{fix}" + (", or smaller weights" if first else ""), act_keys[-1], up, "act", step))
        else:
            out.append(Finding("healthy", f"step {step}: activations x{_factor(up)} per layer going up ({span}): "
                               + _healthy(trend), act_keys[-1], up, "act", step))
    return out


def _share_text(stat: str, base: str, value: float) -> str:
    if stat == "sat":
        return f"{value:.0%} of its values saturated ({SAT_RULE.get(base, '')})"
    return f"{value:.0%} of its units dead (never positive on the monitor set)"


def _share_hint(stat: str, base: str, value: float, init: float) -> str:
    """What to try: for dead units, by whether the share was there at init or grew (10 points or
    more) during training."""
    if stat == "sat":
        return ("sigmoid's non-zero mean drives the top layers into saturation (Fig. 2): prefer tanh or softsign"
                if base == "sigmoid" else
                "try init=normalized, a smaller learning rate, or softsign (saturates more gently, Fig. 4)")
    at_init = ("with zero biases a ReLU stack loses units layer by layer whatever the weights' scale (the "
               "layers make the inputs alike; glorot.theory.dead_share predicts the share), negative biases more: "
               "fewer layers or LeakyReLU keep them")
    grew = "a smaller learning rate, or LeakyReLU"
    if np.isfinite(init) and value - init >= SHARE_LIMIT:
        return f"it grew during training: try {grew}"
    if np.isfinite(init) and init > SHARE_LIMIT:
        return at_init
    return f"{at_init}; {grew}"  # no record at init to tell


def share_findings(stats: pd.DataFrame, layers: list[dict]) -> list[Finding]:
    """Saturated (tanh/sigmoid/softsign/...) and dead (rectifier) layers at any recorded step: one
    finding per layer, or one for them all where more than :data:`MAX_LISTED` layers are flagged
    (a 30-layer ReLU net with a small monitor set would otherwise print 30 lines)."""
    first = stats.step.min()
    flagged: dict[str, list] = {"sat": [], "dead": []}
    n_layers = dict.fromkeys(flagged, 0)
    for d in layers:
        if d["role"] != "act":
            continue
        base, stat = d["kind"].partition(":")[0], share_stat(d["kind"])
        if stat is None:
            continue
        s = stats[(stats.layer == d["layer"]) & (stats.signal == "act") & (stats.stat == stat)]
        s = s.dropna(subset=["value"]).sort_values("step")
        if s.empty:
            continue
        n_layers[stat] += 1
        peak = s.loc[s.value.idxmax()]
        init = float(s[s.step == first].value.iloc[0]) if (s.step == first).any() else float("nan")
        if peak.value > SHARE_LIMIT:
            # "at init" only when the worst step is a later one: "at step 0 (12% at init)" said it twice
            when = "at init" if int(peak.step) == first else f"at step {int(peak.step)} ({init:.0%} at init)"
            flagged[stat].append((d, base, float(peak.value), when, init))
    out = []
    for stat, found in flagged.items():
        if not found:
            continue
        kind = "saturated" if stat == "sat" else "dead"
        text = lambda d, b, v, w, i: f"{_share_text(stat, b, v)} {w}: {_share_hint(stat, b, v, i)}"  # noqa: E731
        if len(found) > MAX_LISTED:
            worst = max(found, key=lambda f: f[2])
            names = [f[0]["layer"] for f in found]
            what = "of their values saturated" if stat == "sat" else "of their units dead"
            out.append(Finding(kind, f"{len(found)} of {n_layers[stat]} layers ('{names[0]}' ... '{names[-1]}') have "
                               f"more than {SHARE_LIMIT:.0%} {what}; the worst, '{worst[0]['layer']}' "
                               f"({worst[0]['kind']}): {text(*worst)}",
                               worst[0]["layer"], worst[2], "share"))
        else:
            out += [Finding(kind, f"layer '{f[0]['layer']}' ({f[0]['kind']}): {text(*f)}", f[0]["layer"], f[2], "share")
                    for f in found]
    return out


def grad_w_findings(stats: pd.DataFrame, layers: list[dict], step: int) -> list[Finding]:
    weight_layers = [d["layer"] for d in layers if d["role"] == "layer"]
    hidden = weight_layers[:-1] if len(weight_layers) >= 3 else weight_layers
    g = pd.Series(_std(stats, "grad_w", step, hidden), index=hidden).dropna()
    g = g[np.isfinite(g) & (g > 0)]
    if len(g) < 2:
        return []
    ratio = g.max() / g.min()
    return [Finding("info", f"step {step}: std(dC/dW) varies x{ratio:.2f} across the hidden layers (largest "
                    f"'{g.idxmax()}' {g.max():.3g}, smallest '{g.idxmin()}' {g.min():.3g}; Eq. 14: equal "
                    "under normalized init)", str(g.idxmax()), float(ratio), "grad_w", step)]


def diagnose(stats: pd.DataFrame, layers: list[dict], init: str | None = None) -> list[Finding]:
    """Every finding of a run: trends at the first and the last recorded step, saturated and dead
    layers, the weight-gradient spread; ``init``: the run's (a glorot.train member's), so that a fix
    does not recommend the init it already has."""
    steps = sorted(stats.step.unique())
    if not steps:
        return []
    at = [steps[0]] if len(steps) == 1 else [steps[0], steps[-1]]
    out = []
    for s in at:
        out += trend_findings(stats, layers, s, first=s == steps[0], init=init)
    out += share_findings(stats, layers)
    for s in at:
        out += grad_w_findings(stats, layers, s)
    return out


def _ratio(v: float, first: float) -> str:
    """v / first for the tables, "nan" where the first is 0 (a zero init: every unit alike)."""
    return f"{v / first:.3g}" if first != 0 else "nan"


def layer_table(stats: pd.DataFrame, layers: list[dict], step: int, pred: pd.DataFrame | None = None) -> str:
    """Markdown tables at ``step``: weight layers (std of s, dC/ds, dC/dW; ratios to the first
    layer) and activations (std of z, ratio to the first, saturated / dead share); with ``pred``
    (:func:`mean_field`, at init) the predicted ratios beside the measured ones."""
    st = stats[stats.step == step].pivot_table(index=["layer", "signal"], columns="stat", values="value")

    def get(k, sig, stat):
        try:
            return float(st.loc[(k, sig), stat])
        except KeyError:
            return float("nan")

    def theory(col: str, i: int) -> str:  # the prediction's ratio to its first layer; blank past the hidden ones
        if pred is None:
            return ""
        if i + 1 not in pred.index:
            return " |"
        return f" {_ratio(float(pred.loc[i + 1, col]), float(pred.loc[1, col]))} |"

    th = (" theory |", "---|") if pred is not None else ("", "")
    wl = [d for d in layers if d["role"] == "layer"]
    acts = [d for d in layers if d["role"] == "act"]
    rows = [f"| layer | kind | std s | std dC/ds | dC/ds / first |{th[0]} std dC/dW |",
            f"|---|---|---|---|---|{th[1]}---|"]
    g0 = get(wl[0]["layer"], "grad_s", "std") if wl else float("nan")
    for i, d in enumerate(wl):
        g = get(d["layer"], "grad_s", "std")
        rows.append(f"| {d['layer']} | {d['kind']} | {get(d['layer'], 'pre', 'std'):.3g} | {g:.3g} | {_ratio(g, g0)} |"
                    f"{theory('grad_s_std', i)} {get(d['layer'], 'grad_w', 'std'):.3g} |")
    rows += ["", f"| activation | kind | std z | std z / first |{th[0]} saturated | dead |",
             f"|---|---|---|---|{th[1]}---|---|"]
    a0 = get(acts[0]["layer"], "act", "std") if acts else float("nan")
    for i, d in enumerate(acts):
        a = get(d["layer"], "act", "std")
        sat, dead = get(d["layer"], "act", "sat"), get(d["layer"], "act", "dead")
        fmt = lambda v: "" if np.isnan(v) else f"{v:.1%}"  # noqa: E731
        dead_th = (f" ({pred.loc[i + 1, 'dead']:.1%})" if pred is not None and "dead" in pred and i + 1 in pred.index
                   and np.isfinite(dead) else "")  # runs recorded before the recorder wrote dead: none
        rows.append(f"| {d['layer']} | {d['kind']} | {a:.3g} | {_ratio(a, a0)} |{theory('act_std', i)} {fmt(sat)} | "
                    f"{fmt(dead)}{dead_th} |")
    if pred is not None:
        rows += ["", "theory: glorot.theory's mean-field prediction at init, as a ratio to its first layer"
                 + ("; in brackets beside dead, its share of units never positive on the monitor set "
                    "(glorot.theory.dead_share)." if "dead" in pred else ".")]
    return "\n".join(rows)


# --------------------------------------------------------------------------------------------
# the report
# --------------------------------------------------------------------------------------------


def pick_steps(steps: list[int], n: int = 3) -> list[int]:
    """Init, the last step and up to n - 2 steps between, evenly spaced on a log scale."""
    steps = sorted(int(s) for s in steps)
    if len(steps) <= n:
        return steps
    out = {steps[0], steps[-1]}
    pos = [s for s in steps if s > 0]
    for t in np.geomspace(max(pos[0], 1), pos[-1], n)[1:-1]:
        out.add(min(pos, key=lambda s: abs(np.log(s) - np.log(t))))
    return sorted(out)


def output_layers(layers: list[dict]) -> list[str]:
    """The last weight layer (the output layer, left out of trends) when there are three or more."""
    wl = [d["layer"] for d in layers if d["role"] == "layer"]
    return wl[-1:] if len(wl) >= 3 else []


def _xlim(stats: pd.DataFrame, signal: str, steps: list[int], exclude) -> float | None:
    """1.5 x the largest 98th percentile of |v| over the drawn layers and steps: the histograms'
    tails (and the clamped edge bins) stay out of the way of the bulk."""
    s = stats[(stats.signal == signal) & (stats.stat == "p98_abs") & stats.step.isin(steps)
              & ~stats.layer.isin(list(exclude))].value
    return float(1.5 * s.max()) if len(s) else None


def figures(run: WatchRun, out: Path, steps: list[int], pred: pd.DataFrame | None = None) -> list[Path]:
    """The run's figures into ``out``; ``pred`` (:func:`mean_field`) adds the prediction to the depth
    profile."""
    layers = run.layers
    top = output_layers(layers)
    theory = None
    if pred is not None:
        theory = {sig: {_suite_key(int(i), sig)[0]: float(pred.loc[i, col]) for i in pred.index}
                  for sig, col in (("act", "act_std"), ("grad_s", "grad_s_std"))}
    made = [
        histograms_per_layer(run.hist, layers, "act", steps, out / "act_hist",
                             "Activation values per layer (Figs. 3, 4, 6)", stats=run.stats),
        histograms_per_layer(run.hist, layers, "grad_s", steps, out / "grad_s_hist",
                             "Back-propagated gradients dC/ds per hidden layer (Fig. 7)", exclude=top,
                             xlim=_xlim(run.stats, "grad_s", steps, top), stats=run.stats),
        histograms_per_layer(run.hist, layers, "grad_w", steps, out / "grad_w_hist",
                             "Weight gradients dC/dW per hidden layer (Fig. 8)", exclude=top,
                             xlim=_xlim(run.stats, "grad_w", steps, top), stats=run.stats),
        depth_profile(run.stats, layers, out / "depth_profile", [steps[0], steps[-1]] if len(steps) > 1 else steps,
                      exclude=top, theory=theory),
        std_over_time(run.stats, layers, out / "std_over_time"),
        act_over_time(run.stats, layers, out / "act_over_time"),
        shares_over_time(run.stats, layers, out / "shares_over_time"),
        jacobian_over_time(run.jacobian, out / "jacobian"),
    ]
    return [p for p in made if p is not None]


def recorded_steps(run: WatchRun, steps: list[int] | None = None) -> list[int]:
    """The run's recorded steps; a BadRun naming them when ``steps`` asks for one not among them."""
    recorded = sorted(int(s) for s in run.stats.step.unique())
    bad = [s for s in steps or () if s not in recorded]
    if bad:
        raise BadRun(f"--steps {bad} not recorded; recorded steps: {', '.join(map(str, recorded))}")
    return recorded


def report_members(runs: list[WatchRun], base: Path, steps: list[int] | None = None) -> list[tuple]:
    """:func:`report` of each run into ``base`` (one run) or ``base/member<k>`` (several members):
    (run, its folder, its findings) each."""
    return [(run, *report(run, base if len(runs) == 1 else base / f"member{run.info.get('member', 0)}", steps))
            for run in runs]


def report(run: WatchRun, out: str | Path | None = None, steps: list[int] | None = None) -> tuple[Path, list[Finding]]:
    """Draw the figures and write ``diagnosis.md`` into ``out`` (default ``<run>/diagnosis``)."""
    from glorot.files import write_text  # noqa: PLC0415

    out = Path(out) if out is not None else run.path / "diagnosis"
    recorded = recorded_steps(run, steps)
    steps = sorted(steps) if steps else pick_steps(recorded)
    found = diagnose(run.stats, run.layers, run.info.get("init") or None)
    pred, no_pred = mean_field(run)
    tf = theory_finding(run.stats, run.layers, pred, run.info) if pred is not None else None
    if tf is not None:  # after the trends at init it stands beside
        at = [i for i, f in enumerate(found) if f.step == 0 and f.about in ("grad_s", "act")]
        found.insert(at[-1] + 1 if at else len(found), tf)
    d = run.info.get("diverged_at")
    if d is not None:
        found.insert(0, Finding("diverged", f"this member diverged at update {d} (a non-finite loss; the trainer "
                                f"froze it there): only its records before update {d} are read; try a smaller "
                                f"learning rate than {run.info.get('lr')}", None, float(d), "diverged"))
    out.mkdir(parents=True, exist_ok=True)
    figs = figures(run, out, steps, pred if tf is not None else None)
    info = run.info
    params = f", {info['n_params']:,} parameters" if info.get("n_params") else ""
    mode = f", mode {info['mode']}" if info.get("mode") else ""
    lines = [f"# Diagnosis of {info.get('name') or run.path.name} ({info.get('model')}{params})", "",
             f"Recorded by {info.get('recorded_by', 'glorot.watch')} on {info.get('monitor_size')} monitor "
             f"examples{mode}, at steps {', '.join(map(str, recorded))}.", ""]
    if info.get("kind") == "suite":
        lines += ["Layer `W<i>` is the i-th weight layer (s_i = W_i h_(i-1) + b_i: pre-activations, dC/ds, "
                  "dC/dW), `h<i>` its activation h_i = f(s_i); the last `W` is the output layer.", ""]
    lines += ["## Findings", ""]
    flagged = [f for f in found if f.flagged]
    if not flagged:
        lines.append("- Nothing flagged.")
    lines += [f"- **{f.kind}**: {f.text}" if f.flagged else f"- {f.text}" for f in found]
    if no_pred:
        lines += ["", f"(No mean-field prediction beside the record: {no_pred}.)"]
    for s in ([recorded[0], recorded[-1]] if len(recorded) > 1 else recorded):
        lines += ["", f"## Per layer at step {s}", "",
                  layer_table(run.stats, run.layers, s, pred if s == 0 and tf is not None else None)]
    lines += ["", "## Figures", ""] + [f"![{p.stem}]({p.name})" for p in figs]
    write_text(out / "diagnosis.md", "\n".join(lines) + "\n")
    return out, found


def sweep_runs(path: str | Path) -> list[Path]:
    """The run folders below ``path`` when ``path`` is no run folder itself (a sweep's root, say
    ``results/runs/quick/run``), else []."""
    from glorot.results import find_runs  # noqa: PLC0415

    path = Path(path)
    if not path.is_dir() or (path / "run.json").exists():
        return []
    return [d for d in find_runs(path) if d != path and (d / "run.json").exists()]


def _init_factors(found: list[Finding]) -> str:
    """"x0.57 (x0.58)": the measured per-layer factor of dC/ds going down at init and the mean-field
    one, from the findings ("" where there is no record at init)."""
    meas = next((f.value for f in found if f.step == 0 and f.about == "grad_s"), None)
    pred = next((f.value for f in found if f.step == 0 and f.about == "theory"), None)
    if meas is None or not np.isfinite(meas):
        return ""
    return f"x{_factor(meas)}" + (f" (x{_factor(pred)})" if pred is not None and np.isfinite(pred) else "")


def _percent(v) -> str:
    v = pd.to_numeric(pd.Series([v]), errors="coerce").iloc[0]
    return f"{v:.2%}" if np.isfinite(v) else ""


def diagnose_sweep(root: Path, dirs: list[Path], out: Path | None) -> Path:
    """Diagnose every run (every member) below ``root``: each into ``<run>/diagnosis`` (or
    ``out/<run's path below root>``), and one table of them all, ``diagnoses.md``, into ``out``
    (default ``root``), under ``depth_profiles.png`` (:func:`compare_profiles`) and ``test_error.png``
    (:func:`compare_curves`), each a line per member, up to :data:`MAX_COMPARED`. Runs that recorded
    nothing are listed member by member with their final test error."""
    from glorot.files import write_text  # noqa: PLC0415

    rows = ["| run | member | model | dC/ds per layer going down at init (theory) | test error | flagged | diagnosis |",
            "|---|---|---|---|---|---|---|"]
    index = (out if out is not None else root) / "diagnoses.md"
    compared: list[tuple] = []  # (member label, model text, (stats, output layers)), as curves
    n_members = 0
    curves: list[tuple] = []
    for i, d in enumerate(dirs, 1):
        rel = d.relative_to(root).as_posix()
        members = pd.read_csv(d / "members.csv") if (d / "members.csv").exists() else pd.DataFrame()
        curves += _test_curves(d, rel, members)
        if not (d / "stats.parquet").exists():
            finals = members.get("final_test_error", pd.Series(dtype=float))
            errs = ", ".join(filter(None, (_percent(v) for v in finals)))
            print(f"[{i}/{len(dirs)}] {rel}: no records (trained without record=paper or record=init)"
                  + (f"; final test error {errs}" if errs else ""), flush=True)
            rows += [f"| {rel} | {row.get('member', '')} | {model_text(row)} | | "
                     f"{_percent(row.get('final_test_error'))} | no records | |" for _, row in members.iterrows()
                     ] or [f"| {rel} | | | | | no records | |"]
            continue
        runs = load_runs(d)
        for run, folder, found in report_members(runs, (out / rel) if out is not None else d / "diagnosis"):
            flagged = [f for f in found if f.flagged]
            kinds = ", ".join(dict.fromkeys(f.kind for f in flagged)) or "nothing"
            print(f"[{i}/{len(dirs)}] {rel}" + (f" member {run.info['member']}" if len(runs) > 1 else "")
                  + f": {kinds}" + (f" (first: {flagged[0].text})" if flagged else ""), flush=True)
            link = urllib.parse.quote(os.path.relpath(folder / "diagnosis.md", index.parent), safe="/=,")
            rows.append(f"| {rel} | {run.info.get('member', 0)} | {run.info.get('model')} | {_init_factors(found)} | "
                        f"{_percent(run.info.get('final_test_error'))} | {kinds} | [diagnosis.md]({link}) |")
            n_members += 1
            if n_members <= MAX_COMPARED:  # more are not drawn: their records are not kept
                compared.append((_member_label(rel, run.info["member"], len(runs)), run.info.get("model"),
                                 (run.stats, output_layers(run.layers))))
    head = f"# Diagnoses of the runs below {root}\n\n"
    if n_members > MAX_COMPARED:
        head += (f"{n_members} members: more than {MAX_COMPARED} for one comparison figure; run glorot.diagnose "
                 "on a sub-folder to compare its runs.\n\n")
    elif len(compared) >= 2:
        head += _comparison(compare_profiles, compared, index.parent / "depth_profiles", "depth profiles of the runs",
                            "Depth profiles of the runs: a straight line on this log scale is a geometric trend")
    if len(curves) > MAX_COMPARED:
        head += f"{len(curves)} members: more than {MAX_COMPARED} for one figure of test-error curves.\n\n"
    elif curves:
        head += _comparison(compare_curves, curves, index.parent / "test_error", "test error of the runs",
                            "Test error during training, one line per member (x: diverged there)")
    write_text(index, head + "\n".join(rows) + "\n")
    return index


def _member_label(rel: str, member, n_members: int) -> str:
    """A member's name in a sweep: its run's folder, with ``#k`` when the run has several members."""
    return rel + (f" #{member}" if n_members > 1 else "")


def _comparison(draw, entries: list[tuple], stem: Path, alt: str, title: str) -> str:
    """One of the sweep's comparison figures (``draw``: :func:`compare_profiles` or
    :func:`compare_curves`) from ``entries`` (member label, model text, what ``draw`` takes of it),
    labelled by what sets the members apart; its markdown ("" when nothing was drawn)."""
    labels, shared = _short_labels([model or name for name, model, _ in entries], [name for name, _, _ in entries])
    fig = draw([(lab, *rest) for lab, (_, _, rest) in zip(labels, entries)], stem,
               title + (f"\n{shared}" if shared else ""))
    if fig is None:
        return ""
    print(f"wrote {fig}", flush=True)
    return f"![{alt}]({fig.name})\n\n"


def _test_curves(d: Path, rel: str, members: pd.DataFrame) -> list[tuple]:
    """(member label, model text, (examples seen, test error, diverged)) of each member of the run
    in ``d`` with a test-error curve in its metrics.csv."""
    if members.empty or not (d / "metrics.csv").exists():
        return []
    m = pd.read_csv(d / "metrics.csv")
    m = m[m.split == "test"] if "split" in m else m.iloc[:0]
    out = []
    for _, row in members.iterrows():
        c = m[m.member == row.get("member")].sort_values("examples_seen")
        if c.error.notna().any():
            out.append((_member_label(rel, row["member"], len(members)), model_text(row),
                        (c.examples_seen.to_numpy(), c.error.to_numpy(dtype=float),
                         str(row.get("status")) == "diverged")))
    return out


def _short_labels(models: list[str], names: list[str]) -> tuple[list[str], str]:
    """Each run's model description less the parts every run shares ("relu, init he" and "relu, init
    lecun" -> "init he", "init lecun"), and what they share (with the run folder, when all are
    members of one), for the figure's title; the runs' folders where that leaves nothing or two
    alike."""
    parts = [[p.strip() for p in str(m).split(",")] for m in models]
    common = set.intersection(*(set(p) for p in parts)) if parts else set()
    short = [", ".join(p for p in ps if p not in common) for ps in parts]
    if not (all(short) and len(set(short)) == len(short)):
        return names, ""
    folders = {n.split(" #")[0] for n in names}
    shared = ", ".join(p for p in parts[0] if p in common)
    return short, (f"{folders.pop()}: " if len(folders) == 1 else "") + shared


def main(argv: list[str] | None = None) -> int:
    from glorot.cli import Parser, check_writable, nonnegative_int  # noqa: PLC0415

    p = Parser(prog="python -m glorot.diagnose",
               description="Figures and a per-layer diagnosis of a run folder: a glorot.watch run, or one of "
                           "glorot.train's recorded with record=paper or record=init (one per member); given a "
                           "folder of runs (a sweep), each of them, a table of all (diagnoses.md) and figures comparing "
                           "them: their depth profiles (depth_profiles.png) and test-error curves (test_error.png; "
                           "a sweep trained without record=paper gets these and the table).")
    p.add_argument("run", help="the run folder written by glorot.watch(..., out=RUN) or by glorot.train, or a "
                               "folder holding run folders (a sweep)")
    p.add_argument("--out", default=None, help="where to write diagnosis.md and the figures (default RUN/diagnosis; "
                                               "a run of several members: one folder member<k> each)")
    p.add_argument("--member", type=nonnegative_int, default=None,
                   help="of a glorot.train run of several members, diagnose this one (default: each)")
    p.add_argument("--steps", type=nonnegative_int, nargs="+", default=None,
                   help="recorded steps to draw the histograms at (default: init, last and one between)")
    p.add_argument("--tensorboard", default=None, metavar="DIR", help="also write TensorBoard events into DIR")
    a = p.parse_args(argv)
    check_writable(p, "--out", a.out)
    check_writable(p, "--tensorboard", a.tensorboard)
    sweep = sweep_runs(a.run)
    if sweep:
        given = [f for f, v in (("--member", a.member), ("--steps", a.steps), ("--tensorboard", a.tensorboard)) if v]
        if given:
            p.error(f"argument {given[0]}: applies to one run, and {a.run} is a folder of {len(sweep)} runs "
                    f"(such as {sweep[0]}): give one of them")
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    if sweep:
        try:
            index = diagnose_sweep(Path(a.run), sweep, Path(a.out) if a.out is not None else None)
        except BadRun as e:
            print(f"error: {e}", file=sys.stderr)
            return 2
        print(f"wrote {index}")
        return 0
    try:
        runs = load_runs(a.run, a.member)
        recorded_steps(runs[0], a.steps)  # refused before anything is written
        if a.tensorboard:
            from glorot.export import check_tensorboard  # noqa: PLC0415

            check_tensorboard()
        done = report_members(runs, Path(a.out) if a.out is not None else Path(a.run) / "diagnosis", a.steps)
        if a.tensorboard:
            from glorot.export import export_tensorboard  # noqa: PLC0415

            n = export_tensorboard(runs[0].path, a.tensorboard)
            print(f"TensorBoard: {n['scalars']} scalars, {n['histograms']} histograms -> {a.tensorboard}")
    except BadRun as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except ImportError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    for run, out, found in done:
        if len(done) > 1:
            print(f"{run.info['name']} ({run.info['model']}):")
        for f in found:
            print(("! " if f.flagged else "  ") + f.text)
        print(f"wrote {out / 'diagnosis.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
