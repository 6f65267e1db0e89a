"""The CUDA path of the trainer, the recorder and the benchmark, against the CPU path or the eager
step. Every test here needs CUDA (marker ``cuda``): skipped on the CI's CPU, run first thing in a
GPU window by scripts/gpu_window.sh (``pytest -m cuda``)."""

from __future__ import annotations

import json

import pandas as pd
import pytest
import torch

from helpers import only_dir, run_train
from test_benchmark import load_benchmark

pytestmark = [pytest.mark.cuda, pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")]

TINY = ["data=synthetic", "model=tiny", "profile=smoke", "train.dtype=float64", "train.updates=300",
        "stack.seeds=[0,1]", "stack.lrs=[0.01,0.1]", "record=paper"]


def _run(tmp_path, name, *extra):
    run_train(*TINY, f"results_dir={tmp_path / name}", *extra)
    d = only_dir(tmp_path / name)
    return d, pd.read_csv(d / "members.csv"), pd.read_csv(d / "metrics.csv")


def test_training_on_cuda_equals_training_on_the_cpu(tmp_path):
    """float64: the same run on the GPU and the CPU gives the same losses and records."""
    d_cpu, m_cpu, x_cpu = _run(tmp_path, "cpu", "train.device=cpu")
    d_gpu, m_gpu, x_gpu = _run(tmp_path, "gpu", "train.device=cuda")
    info = json.loads((d_gpu / "run.json").read_text())
    assert info["device"].startswith("cuda") and info["status"] == "complete"
    pd.testing.assert_series_equal(m_cpu.final_valid_loss, m_gpu.final_valid_loss, rtol=1e-8)
    pd.testing.assert_series_equal(x_cpu.loss, x_gpu.loss, rtol=1e-8)
    s_cpu, s_gpu = pd.read_parquet(d_cpu / "stats.parquet"), pd.read_parquet(d_gpu / "stats.parquet")
    assert len(s_cpu) == len(s_gpu)
    pd.testing.assert_series_equal(s_cpu.value, s_gpu.value, rtol=1e-6, atol=1e-9)


def test_cuda_graph_training_equals_eager_training(tmp_path):
    _, m_eager, x_eager = _run(tmp_path, "eager", "train.device=cuda")
    _, m_graph, x_graph = _run(tmp_path, "graph", "train.device=cuda", "train.cuda_graph=true")
    pd.testing.assert_series_equal(m_eager.final_valid_loss, m_graph.final_valid_loss, rtol=1e-10)
    pd.testing.assert_series_equal(x_eager.loss, x_graph.loss, rtol=1e-10)


def test_benchmark_on_cuda_has_every_peer(tmp_path):
    bench = load_benchmark()
    out = tmp_path / "bench.json"
    res = bench.main(["--depth", "2", "--width", "64", "--ks", "1,4", "--repeats", "2", "--warmup", "2",
                      "--device", "cuda", "--copy-mbytes", "64", "--budget-s", "3", "--json", str(out)])
    engines = {(r["engine"], r["k"]) for r in res["results"] if r["recording"] == "off"}
    assert engines == {("naive", 1), *[(e, k) for e in ("torch_func", "stacked", "stacked_graph") for k in (1, 4)]}
    saved = json.loads(out.read_text())
    assert saved["device_name"] == torch.cuda.get_device_name() and saved["copy_rate_GBps"] > 0
    if bench.peak_bandwidth(saved["device_name"]):
        assert all(r["peak_bw_fraction"] > 0 for r in saved["results"])
