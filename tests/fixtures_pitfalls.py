"""Synthetic tables with a known answer for the pitfall experiments (issue 7), in the schema of
``glorot.results.load``; ``fixtures_tables.make_data`` merges them in so that every figure and
verdict test covers them. ``ok=True``: every pitfall claim holds; ``ok=False``: each one fails."""

from __future__ import annotations

import numpy as np
import pandas as pd
from fixtures_tables import _members, _stat_rows

LINEAR_INITS = {"normal:0.0353553": 0.5, "normal:0.05": 1.0, "normal:0.0707107": 2.0}  # width 400
LEAKY_RATIO = {"he:0.25": 1.0, "he": 1.0625, "lecun": 0.53125}  # (1 + a^2)/2 n Var[W], a = 0.25


def _curves(m: pd.DataFrame, final: dict, dead: set = frozenset()) -> list[dict]:
    """Test/valid error curves from 0.9 to each member's final error; NaN after a divergence."""
    mt = []
    for r in m.itertuples():
        f = final[r.member]
        for step in range(0, 1001, 100):
            e = f + (0.9 - f) * np.exp(-step / 200)
            if r.member in dead and step > 0:
                e = np.nan
            for split in ("valid", "test"):
                mt.append(dict(member=r.member, step=step, examples_seen=step * 10, split=split,
                               loss=np.nan if np.isnan(e) else 1.0, error=e))
    return mt


def zeros(ok: bool, seeds):
    m = _members("pitfall_zeros", ["tanh"], ["zeros", "constant:0.005", "normalized"], [0.01], seeds, 5, 64)
    st = []
    err = {"zeros": 0.8865, "constant:0.005": 0.73, "normalized": 0.08} if ok else \
        {"zeros": 0.30, "constant:0.005": 0.20, "normalized": 0.08}
    for r in m.itertuples():
        for step in (0, 500, 1000):
            for l in range(1, 6):
                if r.init == "zeros":
                    spread = 0.0
                elif r.init == "normalized":
                    spread = 0.3
                else:
                    spread = 1e-9 * (1 + step / 500) if ok else 0.05 * (1 + step / 500)
                st += _stat_rows(r.member, step, l, "act", unit_spread=spread, std=0.3, mean=0.0)
    final = {r.member: err[r.init] for r in m.itertuples()}
    m["final_test_error"] = m.member.map(final)
    m["final_valid_error"] = m["final_test_error"]
    return m, st, [], [], _curves(m, final)


def scale(ok: bool, seeds):
    m = _members("pitfall_scale", ["tanh", "relu"], ["normal:0.01", "normal:1.0", "normalized", "he"], [0.01],
                 seeds, 10, 64)
    st, dead, final = [], set(), {}
    for r in m.itertuples():
        key = (r.activation, r.init)
        sat = 0.0
        if ok and r.init == "normal:0.01":
            fa, fg = 0.14, 0.14  # per-layer std factor going up (act) and going down (grad_s)
        elif ok and key == ("relu", "normal:1.0"):
            fa, fg = 10.0, 10.0
        elif ok and key == ("tanh", "normal:1.0"):
            fa, fg, sat = 1.0, 2.7, 0.84
        else:  # level (and, flipped, everything level: nothing vanishes, explodes or saturates)
            fa, fg = 0.97, 0.97
        for l in range(1, 11):
            st += _stat_rows(r.member, 0, l, "act", std=0.5 * fa ** (l - 1), mean=0.0, sat=sat)
            st += _stat_rows(r.member, 0, l, "grad_s", std=1e-2 * fg ** (10 - l), mean=0.0)
        learns = r.init in ("normalized", "he")
        final[r.member] = (0.07 if learns else 0.8865) if ok else (0.89 if learns else 0.1)
        if ok and key == ("relu", "normal:1.0"):
            dead.add(r.member)
    m["status"] = ["diverged" if k in dead else "ok" for k in m.member]
    m["diverged_at_update"] = [1 if k in dead else None for k in m.member]
    m["final_test_error"] = [np.nan if k in dead else final[k] for k in m.member]
    m["final_valid_error"] = m["final_test_error"]
    return m, st, [], [], _curves(m, final, dead)


def linear(ok: bool, seeds):
    m = _members("pitfall_linear", ["identity"], list(LINEAR_INITS), [0.01], seeds, 10, 400)
    st = []
    for r in m.itertuples():
        c = LINEAR_INITS[r.init] if ok else 1 / LINEAR_INITS[r.init]
        for l in range(1, 11):
            va, vg = 0.1 * c ** (l - 1), 1e-3 * c ** (10 - l)
            st += _stat_rows(r.member, 0, l, "act", var=va, std=np.sqrt(va), mean=0.0)
            st += _stat_rows(r.member, 0, l, "grad_s", var=vg, std=np.sqrt(vg), mean=0.0)
    return m, st, [], [], []


def leaky(ok: bool, seeds):
    m = _members("pitfall_leaky", ["leaky_relu:0.25"], list(LEAKY_RATIO), [0.01], seeds, 30, 500)
    st = []
    for r in m.itertuples():
        q = LEAKY_RATIO[r.init] if ok else {"he:0.25": 1.0625, "he": 1.0, "lecun": 0.53125}[r.init]
        for l in range(1, 31):
            vs, vg = 0.2 * q ** (l - 1), 2e-3 * q ** (30 - l)
            st += _stat_rows(r.member, 0, l, "pre", var=vs, std=np.sqrt(vs), mean=0.0)
            st += _stat_rows(r.member, 0, l, "grad_s", var=vg, std=np.sqrt(vg), mean=0.0)
    return m, st, [], [], []


def builders(ok: bool, seeds) -> dict:
    return {"pitfall_zeros": lambda: zeros(ok, seeds), "pitfall_scale": lambda: scale(ok, seeds),
            "pitfall_linear": lambda: linear(ok, seeds), "pitfall_leaky": lambda: leaky(ok, seeds)}
