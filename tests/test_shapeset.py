"""Shapeset-3x2 generator (glorot.shapeset): class frequencies, geometry, determinism, trainer use."""

from __future__ import annotations

import math

import pandas as pd
import pytest
import torch

from glorot import shapeset as S
from glorot.data import load_dataset

from helpers import compose_cfg, only_dir, run_train


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    """Small tensors: one thread is faster than two on the shared 2-core machine."""
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


@pytest.fixture(scope="module")
def drawn(one_thread):
    """600 examples with their metadata (3 seeds x 200)."""
    return S.generate(torch.tensor([0, 1, 2]), 5, 200, debug=True)


def test_constants():
    assert len(S.CLASS_NAMES) == len(set(S.CLASS_NAMES)) == 9
    assert math.isclose(sum(S.CLASS_PROBS), 1.0)
    assert math.isclose(S.MAJORITY_ERROR, 5 / 6)
    assert [S.CLASS_PROBS[S.CLASS_NAMES.index(c)] for c in ("triangle", "parallelogram+ellipse",
                                                             "ellipse+ellipse")] == pytest.approx([1 / 6, 1 / 9, 1 / 18])


def test_class_frequencies_match_theory():
    """12,000 examples; every class frequency within 4 binomial standard deviations of theory
    (a false alarm has probability ~6e-5 per class)."""
    _, y = S.generate(torch.tensor([10, 11, 12, 13]), 0, 3000)
    n = y.numel()
    freq = torch.bincount(y.flatten(), minlength=9).double() / n
    for c, p in enumerate(S.CLASS_PROBS):
        tol = 4 * math.sqrt(p * (1 - p) / n)
        assert abs(freq[c].item() - p) <= tol, (S.CLASS_NAMES[c], freq[c].item(), p, tol)


def test_labels_agree_with_drawn_shapes(drawn):
    x, y, info = drawn
    types, n_obj, masks = info["types"], info["n_objects"], info["masks"]
    # the number of distinct vertices says which shape was drawn
    v = info["vertices"].reshape(-1, 2, 20, 2)
    for t, verts in zip(types.reshape(-1, 2).tolist(), v):
        for o in range(2):
            if t[o] >= 0:
                distinct = len({(round(a, 4), round(b, 4)) for a, b in verts[o].tolist()})
                assert distinct == (3, 4, 20)[t[o]]
    for t, k, label in zip(types.reshape(-1, 2).tolist(), n_obj.flatten().tolist(), y.flatten().tolist()):
        names = sorted(S.SHAPES[i] for i in t if i >= 0)
        assert len(names) == k
        assert sorted(S.CLASS_NAMES[label].split("+")) == names
    area = info["area"].reshape(-1, 2)
    two = n_obj.flatten() == 2
    assert (area[:, 0] > 0).all() and (area[two, 1] > 0).all() and (area[~two, 1] == 0).all()
    assert masks.shape == (3, 200, 2, 1024)
    assert 0.3 < two.double().mean().item() < 0.7


def _halfplane_raster(verts: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Independent rasterizer: pixel centres inside every edge half-plane of the polygon (image
    coordinates, 20 edges, float64). Returns (inside [M, 1024], near an edge [M, 1024])."""
    c = torch.arange(32, dtype=torch.float64) + 0.5
    py, px = torch.meshgrid(c, c, indexing="ij")
    p = torch.stack([px.reshape(-1), py.reshape(-1)], -1)  # [1024, 2]
    v = verts.double()
    a, b = v, v.roll(-1, dims=-2)  # edges a -> b, [M, 20, 2]
    e = b - a
    length = e.norm(dim=-1).clamp(min=1e-12)
    d = p[None, None] - a[:, :, None]  # [M, 20, 1024, 2]
    cross = (e[:, :, None, 0] * d[..., 1] - e[:, :, None, 1] * d[..., 0]) / length[:, :, None]
    real = (length > 1e-9)[:, :, None]  # repeated vertices give zero-length edges
    pos = torch.where(real, cross >= 0, True).all(1)
    neg = torch.where(real, cross <= 0, True).all(1)
    near = torch.where(real, cross.abs() < 1e-3, False).any(1)
    return pos | neg, near


def test_masks_equal_direct_halfplane_rasterization(drawn):
    _, _, info = drawn
    masks = info["masks"].reshape(-1, 2, 1024)
    verts = info["vertices"].reshape(-1, 2, 20, 2)
    two = info["n_objects"].flatten() == 2
    for o, keep in ((0, torch.ones_like(two)), (1, two)):
        inside, near = _halfplane_raster(verts[keep, o])
        diff = inside != masks[keep, o]
        assert not (diff & ~near).any(), int((diff & ~near).sum())


def test_objects_inside_image_and_overlap_limit(drawn):
    _, _, info = drawn
    verts = info["vertices"].reshape(-1, 2, 20, 2)
    two = info["n_objects"].flatten() == 2
    assert (verts[:, 0] >= -1e-4).all() and (verts[:, 0] <= 32 + 1e-4).all()
    assert (verts[two, 1] >= -1e-4).all() and (verts[two, 1] <= 32 + 1e-4).all()
    area = info["area"].reshape(-1, 2)[two]
    overlap = info["overlap"].flatten()[two]
    assert (overlap <= S.MAX_OVERLAP * area[:, 0]).all()
    assert (overlap > 0).any()  # the limit is exercised, not just avoided


def test_scale_and_pixel_area_match_polygon(drawn):
    _, _, info = drawn
    verts = info["vertices"].reshape(-1, 2, 20, 2).double()
    area = info["area"].reshape(-1, 2)
    two = info["n_objects"].flatten() == 2
    x, y = verts[..., 0], verts[..., 1]
    shoelace = 0.5 * (x * y.roll(-1, -1) - x.roll(-1, -1) * y).sum(-1).abs()
    perimeter = (verts - verts.roll(-1, -2)).norm(dim=-1).sum(-1)
    for o, keep in ((0, torch.ones_like(two)), (1, two)):
        err = (area[keep, o].double() - shoelace[keep, o]).abs()
        assert (err <= 0.5 * perimeter[keep, o] + 2).all()
    # smallest possible object: triangle of 0.2 x 0.2 image sides -> 0.5 * 6.4^2 = 20.5 px^2
    assert shoelace[:, 0].min() >= 20.4 and shoelace[:, 0].max() <= 32 * 32


def test_grey_levels_and_pixels(drawn):
    x, _, info = drawn
    g = info["grey"].reshape(-1, 3)
    swap = info["swap"].flatten()
    bg, obj = g[:, 0], g[:, 1:]
    two = info["n_objects"].flatten() == 2
    plain_bg = torch.where(swap, 1 - bg, bg)
    plain_obj = torch.where(swap[:, None], 1 - obj, obj)
    assert ((plain_bg >= 0) & (plain_bg <= 0.45)).all()
    assert ((plain_obj >= 0.55) & (plain_obj <= 1)).all()
    assert 0.3 < swap.double().mean().item() < 0.7
    x = x.reshape(-1, 1024)
    assert x.min() >= -1 and x.max() <= 1
    m = info["masks"].reshape(-1, 2, 1024)
    expect = torch.where(m[:, 1], g[:, 2:3], torch.where(m[:, 0], g[:, 1:2], g[:, 0:1])) * 2 - 1
    assert torch.allclose(x, expect)
    # both objects visible: the first keeps at least half its pixels, the second all of its own
    visible1 = (m[:, 0] & ~m[:, 1]).sum(-1)
    assert (2 * visible1 >= m[:, 0].sum(-1)).all()
    assert (m[two, 1].sum(-1) > 0).all()


def test_deterministic_and_independent_of_stacking():
    s = torch.tensor([3, 4])
    x1, y1 = S.generate(s, 7, 20)
    x2, y2 = S.generate(s, 7, 20)
    assert torch.equal(x1, x2) and torch.equal(y1, y2)
    # member seed 4's batch does not depend on the other members or on the batch being split
    x3, _ = S.generate(torch.tensor([4, 9, 1]), 7, 20)
    assert torch.equal(x1[1], x3[0])
    xa, _ = S.generate(torch.tensor([4]), 7, 8)
    xb, _ = S.generate(torch.tensor([4]), 7, 12, offset=8)
    assert torch.equal(torch.cat([xa, xb], 1), x1[1:2])
    # different seeds and steps give different examples
    assert not torch.equal(x1[0], x1[1])
    x4, _ = S.generate(s, 8, 20)
    assert not torch.equal(x1, x4)
    # many steps at once == one step at a time; lazy (CPU) == grouped (GPU) second-object search
    xs, ys = S.generate(s, torch.arange(6, 9), 20)
    assert torch.equal(xs[1], x1) and torch.equal(ys[1], y1)
    xe, ye = S.generate(s, 7, 20, lazy=False)
    assert torch.equal(xe, x1) and torch.equal(ye, y1)


def test_sampler_and_dataset(tmp_path):
    cfg = compose_cfg("data=shapeset", "data.shapeset.n_valid=50", "data.shapeset.n_test=70",
                      "data.shapeset.n_reference=30")
    ds = load_dataset(cfg.data)
    assert (ds.train_x.shape, ds.valid_x.shape, ds.test_x.shape) == ((30, 1024), (50, 1024), (70, 1024))
    assert ds.n_classes == 9 and ds.n_in == 1024
    # fixed sets: the same for another size, different between splits
    v2, _ = S.fixed_set(20, 0, S.DOMAIN_VALID, chunk=7)
    assert torch.equal(v2, ds.valid_x[:20])
    assert not torch.equal(ds.valid_x[:20], ds.test_x[:20])
    d64 = ds.to("cpu", torch.float64)
    seeds = torch.tensor([0, 5])
    x, y = d64.sampler(3, seeds, 10)
    assert x.dtype == torch.float64 and x.shape == (2, 10, 1024) and y.shape == (2, 10)
    xg, yg = S.generate(seeds, 3, 10, dtype=torch.float64)
    assert torch.equal(x, xg) and torch.equal(y, yg)
    # a fresh sampler (as after a resume) gives the same batch at the same step
    x2, _ = ds.to("cpu", torch.float64).sampler(4, seeds, 10)
    assert torch.equal(x2, d64.sampler(4, seeds, 10)[0])
    # members that share a seed (a stack of configurations x seeds) draw each seed's stream once
    # and get exactly what drawing every member would give, in member order
    dup = torch.tensor([5, 0, 5, 5, 0])
    for step in (3, 4):
        xd, yd = ds.to("cpu", torch.float64).sampler(step, dup, 10)
        xg, yg = S.generate(dup, step, 10, dtype=torch.float64)
        assert torch.equal(xd, xg) and torch.equal(yd, yg)
    assert torch.equal(xd[0], xd[2]) and not torch.equal(xd[0], xd[1])


def test_plot_samples():
    import matplotlib

    matplotlib.use("Agg")
    fig = S.plot_samples(n=6, seed=1, cols=3)
    titles = [ax.get_title() for ax in fig.axes if ax.get_title()]
    assert len(titles) == 6 and all(t.replace("+\n", "+") in S.CLASS_NAMES for t in titles)


def test_trainer_smoke_with_shapeset(tmp_path):
    run_train("data=shapeset", "model=tiny", "profile=smoke", "train.updates=50", "train.progress=false",
              "data.shapeset.n_valid=300", "data.shapeset.n_test=300", f"results_dir={tmp_path}")
    run = only_dir(tmp_path)
    members = pd.read_csv(run / "members.csv")
    assert members.status.tolist() == ["ok"] and members.data.tolist() == ["shapeset"]
    assert 0 <= members.final_test_error[0] <= 1
    metrics = pd.read_csv(run / "metrics.csv")
    assert metrics.step.max() == 50
