"""scripts/benchmark.py runs end to end on a tiny network and writes the JSON it promises."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def load_benchmark():
    spec = importlib.util.spec_from_file_location("benchmark", ROOT / "scripts" / "benchmark.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_benchmark_tiny_run_writes_json(tmp_path):
    bench = load_benchmark()
    out = tmp_path / "bench.json"
    res = bench.main(["--depth", "2", "--width", "32", "--ks", "1,3", "--member-updates", "12",
                      "--repeats", "2", "--warmup", "1", "--device", "cpu", "--copy-mbytes", "8",
                      "--record-every", "100", "--json", str(out)])
    saved = json.loads(out.read_text())
    assert saved["network"] == "784-32x2-10" and saved["device"] == "cpu"
    for key in ("date", "command", "device_name", "torch", "copy_rate_GBps", "bw_ceiling_member_updates_per_s"):
        assert saved[key], key
    rows = {(r["engine"], r["k"], r["recording"]): r for r in res["results"]}
    assert rows[("naive", 1, "off")]["ratio_to_naive"] == 1.0
    for k in (1, 3):
        r = rows[("stacked", k, "off")]
        assert r["member_updates_per_s"]["n"] == 2 and r["member_updates_per_s"]["median"] > 0
        assert r["ratio_to_naive"] > 0
    # bytes per update: 4 passes over the fp32 weights and biases
    assert saved["bytes_per_update"] == 4 * 4 * (784 * 32 + 32 + 32 * 32 + 32 + 32 * 10 + 10)


def test_benchmark_help():
    r = subprocess.run([sys.executable, str(ROOT / "scripts" / "benchmark.py"), "--help"],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and "--record-every" in r.stdout and "--json" in r.stdout
