"""``python -m glorot.theory``: the mean-field prediction for the network a set of Hydra overrides
describes (the same configs as ``glorot.train``). Kept apart from the maths in ``glorot.theory`` so
that ``glorot.nn`` (init=critical) can import the theory without the theory importing the configs."""

from __future__ import annotations

import argparse
import math
import sys

import numpy as np
import pandas as pd

from glorot.cli import Parser, positive_float, positive_int
from glorot.nn import split_spec
from glorot.theory import critical_points, dead_share, depth_scales, moments, monitor_set, predict


# --------------------------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------------------------


def _compose(overrides: list[str]):
    from pathlib import Path  # noqa: PLC0415

    from hydra import compose, initialize_config_dir  # noqa: PLC0415

    from glorot.config import register  # noqa: PLC0415

    register()
    cfg_dir = Path(__file__).resolve().parents[3] / "configs"
    with initialize_config_dir(config_dir=str(cfg_dir), version_base="1.3"):
        return compose(config_name="config", overrides=overrides)


def main(argv: list[str] | None = None) -> int:
    p = Parser(
        prog="python -m glorot.theory",
        description="Mean-field prediction (wide limit, at initialization) of the per-layer std of "
                    "pre-activations s, activations z = f(s) and back-propagated gradients dC/ds, for the "
                    "network the given Hydra overrides describe (the same configs as glorot.train).",
        epilog="Examples:\n  python -m glorot.theory activation=gelu init=normalized model.depth=30\n"
               "  python -m glorot.theory activation=tanh init=critical model.depth=50 --q0 0.1\n"
               "  python -m glorot.theory experiment=depth30 activation=selu init=lecun",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("overrides", nargs="*", help="Hydra overrides, e.g. activation=tanh init=standard model.depth=5")
    p.add_argument("--q0", type=positive_float, default=None,
                   help="input second moment mean_i x_i^2 (default: computed from the data: per example of the "
                        "monitor set for the predictions, the training set's mean for init=critical)")
    p.add_argument("--max-depth", type=positive_int, default=1000, help="how deep to look for the depth scales (default 1000)")
    a = p.parse_args(argv)
    try:
        cfg = _compose(list(a.overrides))
    except Exception as e:  # noqa: BLE001 - a refusal in one line, as glorot.train gives it
        from glorot.train import explain  # noqa: PLC0415

        line = explain(e)
        if line is None:
            raise
        print(f"error: {line}", file=sys.stderr)
        return 2
    acts = list(cfg.stack.activations) or [cfg.activation.name]
    inits = list(cfg.stack.inits) or [cfg.init.name]
    from glorot.config import ConfigError, validate  # noqa: PLC0415

    try:
        validate(cfg)
    except ConfigError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    depth, width = int(cfg.model.depth), int(cfg.model.width)
    if a.q0 is not None:
        q0, q0_init, src = a.q0, a.q0, f"--q0 {a.q0:g}"
        from glorot.plan import SHAPES  # noqa: PLC0415

        n_in, n_out = (SHAPES.get(cfg.data.name) or (int(cfg.data.synthetic.n_in), int(cfg.data.synthetic.n_classes)))
    else:
        from omegaconf import OmegaConf  # noqa: PLC0415

        q0, q0_init, n_in, n_out, monitor_x = monitor_set(OmegaConf.to_yaml(cfg.data, resolve=True))
        src = (f"{cfg.data.name}: monitor set ({len(q0)} examples) mean x^2 {np.mean(q0):.4f} "
               f"(per example {np.min(q0):.4f}..{np.max(q0):.4f}); training set {q0_init:.4f} (init=critical)")
    pd.set_option("display.width", 200)
    dead = None  # the monitor set's dead-unit prediction, shared by every ReLU network here
    for act in acts:
        for init in inits:
            t = predict(act, init, depth, width, q0, n_in, n_out, q0_init=q0_init)
            print(f"== {act}, init={init}, {n_in}-{width}x{depth}-{n_out}; q0 from {src}")
            if not bool((t.sigma_w2 > 0).all()):
                print(f"init={init} gives weights of variance 0 (the same value everywhere): the mean-field theory of "
                      "random weights does not apply; every unit of a layer computes the same value, so training "
                      "never tells them apart (experiment=pitfall_zeros shows it)\n")
                continue
            print("mean-field prediction at init (wide limit, zero biases); layer {} is the output:".format(depth + 1))
            print(t.to_string(index=False, float_format=lambda v: f"{v:.4g}"))
            hid = t[t.layer <= depth]
            if act == "relu" and a.q0 is None:
                if dead is None:
                    dead = dead_share(monitor_x, depth)
                print(f"dead units (<= 0 on all {len(q0)} monitor examples; the same for every scale of random weights) "
                      "per layer: " + ", ".join(f"{v:.1%}" for v in dead[:12]) + (" ..." if depth > 12 else "")
                      + (f" {dead[-1]:.1%} at layer {depth}" if depth > 12 else ""))
            elif act == "relu":
                print("dead units: not predicted from --q0 (the share needs the inputs themselves, not their mean "
                      "square); leave out --q0 for the data set's monitor set")
            if depth > 1:
                print(f"ratio layer {depth} / layer 1: act std {hid.act_std.iloc[-1] / hid.act_std.iloc[0]:.4g}, "
                      f"dC/ds std {hid.grad_s_std.iloc[-1] / hid.grad_s_std.iloc[0]:.4g}")
            sw_hidden = float(t.sigma_w2.iloc[1]) if depth > 1 else float(t.sigma_w2.iloc[0])
            ds_ = depth_scales(act, sw_hidden, float(t.q.iloc[0]) / sw_hidden, a.max_depth)
            fmt = lambda v: f"{v}" if v is not None else f"> {a.max_depth}"  # noqa: E731
            if split_spec(init)[0] == "critical":
                print("depth scales: init=critical varies sigma_w2 per layer (chi = 1 at every layer: dC/ds level)")
            else:
                print(f"depth scales at sigma_w2 = {sw_hidden:.4g} (hidden layers), from q^1 = {t.q.iloc[0]:.4g}: "
                      f"second moment of s changes by e after {fmt(ds_['forward'])} layers, of dC/ds after "
                      f"{fmt(ds_['backward'])} layers")
            crit = 1.0 / moments(act, t.q.iloc[:depth].to_numpy()).d2
            print("sigma_w2 that keeps dC/ds level (chi = 1) at each layer's q: "
                  + ", ".join(f"{v:.4g}" for v in crit[: min(depth, 8)]) + (" ..." if depth > 8 else "")
                  + " (init=critical uses these)")
            pts = critical_points(act)
            if pts:
                print("constant sigma_w2 with chi = 1 at the forward fixed point q*: " + "; ".join(
                    ("any q*" if not math.isfinite(q) else f"q* = {q:.4g}") + f": sigma_w2 = {s:.4g}" for q, s in pts))
            else:
                print("constant sigma_w2 with chi = 1 at a fixed point: none for q* in [1e-6, 1e6]")
            print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
