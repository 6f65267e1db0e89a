"""Shapeset-3x2 (paper Sec. 2.1), generated online and vectorized in torch.

Every example is a 32 x 32 grey image holding one or two objects (equally likely); each object is a
triangle, a parallelogram or an ellipse (drawn as a 20-gon). The label is the unordered set of
shapes present: 9 classes (:data:`CLASS_NAMES`). Pixels are scaled to [-1, 1] and flattened to 1024
inputs.

How one example is drawn (all its random numbers come from a counter-based hash of
``(domain, seed, step, example index, variable index)``, so an example is a pure function of these
and never depends on how many other examples or members are drawn with it):

* ``n_objects`` = 2 with probability 1/2; shape types ``t1``, ``t2`` uniform over the 3 shapes.
* Geometry of an object: per-axis scale ``s_x, s_y ~ U[0.2, 0.8] * 32`` pixels (the side of the
  shape's box before rotation), rotation ``theta ~ U[0, 2 pi)``, a shape parameter (triangle: apex
  position along the top edge ~ U[0, 1]; parallelogram: shear ~ U[-0.5, 0.5] of the width, so the
  rectangle is one case and mirror images occur; ellipse: none), then a translation uniform among
  those that keep every vertex inside the image [0, 32]^2 ("fully inside").
  A (scale, rotation) whose rotated extent exceeds 32 pixels cannot be placed: the first object
  tries :data:`FIT_TRIES` candidates and takes the first that fits (if none fits, which happens
  about once in 10^7 objects, the last candidate is shrunk uniformly until it fits).
* The second object (when there is one) keeps its type ``t2`` and tries up to
  :data:`SECOND_TRIES` (16) independent geometries; it takes the first that fits in the image and
  covers at most :data:`MAX_OVERLAP` (50%) of the first object's area (pixel counts on the raster:
  ``overlap <= 0.5 * area1``; the paper: the second object "does not overlap with the first by more
  than fifty percent of its area, to avoid hiding it entirely"). If no try succeeds the example
  keeps one object and its label becomes the first object's single-shape class, which would move
  probability from the pair classes to the single classes. Measured on 100,107 two-object draws:
  the first try succeeds 73% of the time, the mean is 1.4 tries, the most ever used was 12 and the
  fallback never happened, so the class frequencies are the theoretical ones (:data:`CLASS_PROBS`:
  single shapes 1/6 each, mixed pairs 1/9, same-shape pairs 1/18). The second object may lie mostly
  inside a larger first one (21% of two-object images); it is drawn on top with its own grey level,
  so it stays visible unless the two grey levels are nearly equal (difference < 0.05 on [0, 1] in
  4.4% of two-object images; the images carry no noise, so any difference is visible in principle).
  ``OVERLAP_OF = "smaller"`` switches to the stricter rule ``overlap <= 0.5 * min(area1, area2)``
  (both objects at least half free), under which 16 tries fail for 0.7% of two-object images.
* Rasterization: the pixel-centre grid ``(j + 0.5, i + 0.5)`` is mapped into each object's own
  frame by one affine map (a batched matmul); there a triangle or parallelogram is the intersection
  of four half-planes ``0 <= w <= 1, l0 + l1 w <= u <= r0 + r1 w`` and the 20-gon is tested against
  the one edge half-plane of the angular sector the pixel lies in (the same set as the intersection
  of all 20 half-planes, at the cost of one). The tests check the result against a direct 20-edge
  half-plane rasterization in image coordinates.
* Grey levels: background ~ U[0, 0.45], each object ~ U[0.55, 1]; with probability 1/2 all three
  are mapped g -> 1 - g (dark objects on a light background). The second object is drawn over the
  first.

Data sets: training examples are drawn fresh at every update by :class:`ShapesetSampler`
(``sampler(step, seeds, batch_size)``); validation, test and a small reference training sample are
fixed sets drawn from ``data.shapeset.seed`` in separate hash domains.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import Tensor

from glorot.dataset import Dataset

SIZE = 32  # image side in pixels
N_IN = SIZE * SIZE
SHAPES = ("triangle", "parallelogram", "ellipse")
ELLIPSE_SIDES = 20
SCALE_RANGE = (0.2, 0.8)  # per-axis scale, fraction of the image side
BACKGROUND_GREY = (0.0, 0.45)
OBJECT_GREY = (0.55, 1.0)
MAX_OVERLAP = 0.5
OVERLAP_OF = "first"  # overlap <= MAX_OVERLAP * area of: "first" object (default) | "smaller" object
FIT_TRIES = 4
SECOND_TRIES = 16
CHUNK = 2048  # examples per seed generated at once (memory bound)
TRY_GROUP = 4  # second-object tries rasterized together on a GPU
BLOCK_EXAMPLES = 4096  # the training sampler draws this many examples (several updates) at once

# classes: 3 single shapes, 3 mixed pairs, 3 same-shape pairs
_PAIRS = [(0, 1), (0, 2), (1, 2)]
CLASS_NAMES: tuple[str, ...] = (
    tuple(SHAPES)
    + tuple(f"{SHAPES[a]}+{SHAPES[b]}" for a, b in _PAIRS)
    + tuple(f"{s}+{s}" for s in SHAPES)
)
N_CLASSES = len(CLASS_NAMES)


def _class_table() -> list[list[int]]:
    """``_CLASS_OF[t1 + 1][t2 + 1]``: class of an example with shapes t1 and t2 (-1: no object)."""
    t = [[-1] * 4 for _ in range(4)]
    for s in range(3):
        t[s + 1][0] = s
        t[s + 1][s + 1] = 6 + s
    for c, (a, b) in enumerate(_PAIRS):
        t[a + 1][b + 1] = t[b + 1][a + 1] = 3 + c
    return t


_CLASS_OF = _class_table()


def _class_probs() -> tuple[float, ...]:
    """Theoretical class frequencies: 1 or 2 objects (1/2 each), each type uniform over 3."""
    p = [0.0] * N_CLASSES
    for t1 in range(3):
        p[_CLASS_OF[t1 + 1][0]] += 0.5 / 3
        for t2 in range(3):
            p[_CLASS_OF[t1 + 1][t2 + 1]] += 0.5 / 9
    return tuple(p)


CLASS_PROBS = _class_probs()
#: error of always answering the most frequent class (a single-shape class): 1 - 1/6 = 0.8333
MAJORITY_ERROR = 1.0 - max(CLASS_PROBS)

# hash domains of the fixed sets and of the online training stream
DOMAIN_TRAIN, DOMAIN_VALID, DOMAIN_TEST, DOMAIN_REFERENCE = 0, 1, 2, 3

# layout of the uniform random numbers of one example
_I_TWO, _I_T1, _I_T2, _I_BG, _I_G1, _I_G2, _I_SWAP = range(7)
_I_OBJ1 = 7  # FIT_TRIES x (sx, sy, theta, param), then (tx, ty)
_I_OBJ2 = _I_OBJ1 + 4 * FIT_TRIES + 2  # SECOND_TRIES x (sx, sy, theta, param, tx, ty)
N_UNIFORMS = _I_OBJ2 + 6 * SECOND_TRIES

_M32 = 0xFFFFFFFF


# --------------------------------------------------------------------------------------------
# Counter-based random numbers
# --------------------------------------------------------------------------------------------


def _mix32(x: Tensor) -> Tensor:
    """lowbias32 (C. Wellons): a bijective 32-bit integer hash, on int64 tensors in [0, 2^32).
    Products may wrap around in int64; their low 32 bits, all that is kept, are exact."""
    x = x ^ (x >> 16)
    x = (x * 0x7FEB352D) & _M32
    x = x ^ (x >> 15)
    x = (x * 0x846CA68B) & _M32
    return x ^ (x >> 16)


def _stream_keys(domain: int, seeds: Tensor, step) -> Tensor:
    """32-bit keys of (domain, seed, step): [K] for an int ``step``, [S, K] for a LongTensor [S]."""
    s = seeds.to(torch.int64)
    k = _mix32((s & _M32) ^ 0x243F6A88)
    k = _mix32(k ^ ((s >> 32) & _M32))
    k = _mix32(k ^ ((domain * 0x9E3779B9 + 0x13198A2E) & _M32))
    if isinstance(step, Tensor):
        st = step.to(device=seeds.device, dtype=torch.int64)[:, None]
        k = k[None, :]
    else:
        st = torch.tensor(int(step), dtype=torch.int64, device=seeds.device)
    k = _mix32(k ^ (st & _M32))
    return _mix32(k ^ ((st >> 32) & _M32) ^ 0xA4093822)


def uniforms(keys: Tensor, batch_size: int, n: int | None = None, offset: int = 0) -> Tensor:
    """Uniform numbers in [0, 1): float32 [*keys.shape, B, n], a pure function of (stream key,
    example index ``offset + b``, variable index), on ``keys.device``."""
    dev = keys.device
    n = N_UNIFORMS if n is None else n
    b = torch.arange(offset, offset + batch_size, device=dev, dtype=torch.int64)
    e = _mix32(keys[..., None] ^ _mix32((b * 0x85EBCA6B + 0x3C6EF372) & _M32))  # [..., B]
    j = (torch.arange(n, device=dev, dtype=torch.int64) * 0x9E3779B9 + 0x7F4A7C15) & _M32
    h = _mix32(e[..., None] ^ j)
    return (h >> 8).to(torch.float32) * (1.0 / (1 << 24))


# --------------------------------------------------------------------------------------------
# Geometry and rasterization
# --------------------------------------------------------------------------------------------


def _grid(device) -> Tensor:
    """Homogeneous pixel-centre coordinates [3, 1024]: rows x (column + 0.5), y (row + 0.5), 1."""
    c = torch.arange(SIZE, device=device, dtype=torch.float32) + 0.5
    y, x = torch.meshgrid(c, c, indexing="ij")
    return torch.stack([x.reshape(-1), y.reshape(-1), torch.ones(N_IN, device=device)])


def _shape_coeffs(types: Tensor, param: Tensor):
    """Half-plane coefficients of triangles/parallelograms in the object frame (u, w), w = v + 0.5:
    inside iff 0 <= w <= 1 and l0 + l1 w <= u <= r0 + r1 w. Ellipses get dummy values."""
    a = param
    tri = types == 0
    # triangle: base (-0.5, -0.5)-(0.5, -0.5), apex (a - 0.5, 0.5), a in [0, 1]
    # parallelogram: shear a in [-0.5, 0.5]; bottom edge starts at -0.5 + max(-a, 0), width 1 - |a|
    l0 = torch.where(tri, torch.full_like(a, -0.5), -0.5 + torch.clamp(-a, min=0))
    l1 = a
    r0 = torch.where(tri, torch.full_like(a, 0.5), l0 + 1 - a.abs())
    r1 = torch.where(tri, a - 1, a)
    return l0, l1, r0, r1


def canonical_vertices(types: Tensor, param: Tensor) -> Tensor:
    """Vertices [..., 20, 2] of the shapes in their own frame (box [-0.5, 0.5]^2, y up), padded to
    20 by repeating the last vertex (a repeated vertex adds a zero-length edge)."""
    l0, l1, r0, r1 = _shape_coeffs(types, param)
    lo = torch.full_like(param, -0.5)
    hi = torch.full_like(param, 0.5)
    # triangle / parallelogram corners (u, v), counter-clockwise with y up
    tri = torch.stack([torch.stack([l0, lo], -1), torch.stack([r0, lo], -1),
                       torch.stack([l0 + l1, hi], -1)], -2)  # apex: l0 + l1 = r0 + r1
    par = torch.stack([torch.stack([l0, lo], -1), torch.stack([r0, lo], -1),
                       torch.stack([r0 + r1, hi], -1), torch.stack([l0 + l1, hi], -1)], -2)
    pad = lambda v: torch.cat([v, v[..., -1:, :].expand(*v.shape[:-2], ELLIPSE_SIDES - v.shape[-2], 2)], -2)  # noqa: E731
    ang = torch.arange(ELLIPSE_SIDES, device=param.device, dtype=torch.float32) * (2 * math.pi / ELLIPSE_SIDES)
    ell = (0.5 * torch.stack([ang.cos(), ang.sin()], -1)).expand(*param.shape, ELLIPSE_SIDES, 2)
    t = types[..., None, None]
    return torch.where(t == 0, pad(tri), torch.where(t == 1, pad(par), ell))


def _rotscale(theta: Tensor, sx: Tensor, sy: Tensor, q: Tensor) -> Tensor:
    """Image-frame offsets R(theta) diag(sx, sy) q of frame points q [..., V, 2]."""
    c, s = theta.cos()[..., None], theta.sin()[..., None]
    x, y = q[..., 0] * sx[..., None], q[..., 1] * sy[..., None]
    return torch.stack([c * x - s * y, s * x + c * y], -1)


@dataclass
class Objects:
    """A batch of placed objects (all tensors have the same leading shape)."""

    types: Tensor  # int64 in {0, 1, 2}
    param: Tensor  # shape parameter
    sx: Tensor  # pixels
    sy: Tensor
    theta: Tensor
    tx: Tensor  # centre of the object's frame, pixels
    ty: Tensor

    def vertices(self) -> Tensor:
        """Vertices in image coordinates [..., 20, 2] (x = column, y = row, in [0, 32])."""
        q = canonical_vertices(self.types, self.param)
        return _rotscale(self.theta, self.sx, self.sy, q) + torch.stack([self.tx, self.ty], -1)[..., None, :]


def _place(types, param, sx, sy, theta, ux, uy):
    """Translation uniform among those that keep all vertices in [0, 32]^2; also says whether the
    rotated shape fits at all."""
    off = _rotscale(theta, sx, sy, canonical_vertices(types, param))  # [..., 20, 2]
    lo, hi = off.amin(-2), off.amax(-2)
    span = hi - lo
    fits = (span <= SIZE).all(-1)
    room = (SIZE - span).clamp(min=0)
    tx = -lo[..., 0] + ux * room[..., 0]
    ty = -lo[..., 1] + uy * room[..., 1]
    return tx, ty, fits, span


def _geometry(types: Tensor, u: Tensor):
    """(sx, sy, theta, param) from 4 uniforms [..., 4] for shapes ``types``."""
    a, b = SCALE_RANGE
    sx = SIZE * (a + (b - a) * u[..., 0])
    sy = SIZE * (a + (b - a) * u[..., 1])
    theta = 2 * math.pi * u[..., 2]
    param = torch.where(types == 1, u[..., 3] - 0.5, u[..., 3])
    return sx, sy, theta, param


def rasterize(obj: Objects, grid: Tensor) -> Tensor:
    """Masks bool [M, 1024] of a flat batch of M objects on the pixel-centre grid."""
    c, s = obj.theta.cos(), obj.theta.sin()
    # object frame: u = (c dx + s dy) / sx, v = (-s dx + c dy) / sy, w = v + 0.5
    iu, iv = 1 / obj.sx, 1 / obj.sy
    A = torch.stack([
        torch.stack([c * iu, s * iu, -(c * obj.tx + s * obj.ty) * iu], -1),
        torch.stack([-s * iv, c * iv, (s * obj.tx - c * obj.ty) * iv + 0.5], -1),
    ], -2)  # [M, 2, 3]
    uw = A @ grid  # [M, 2, 1024]
    u, w = uw[:, 0], uw[:, 1]
    coeffs = [t[:, None] for t in _shape_coeffs(obj.types, obj.param)]
    ell = obj.types == 2
    if u.device.type != "cpu":  # both tests on every object, no host synchronisation
        return torch.where(ell[:, None], _inside_polygon(u, w), _inside_lin(u, w, *coeffs))
    # on the CPU each object gets only its own test (the same arithmetic per pixel, hence the same
    # mask): a third of the work of computing both everywhere
    n_ell = int(ell.sum())
    if n_ell == 0:
        return _inside_lin(u, w, *coeffs)
    if n_ell == len(ell):
        return _inside_polygon(u, w)
    ie, il = ell.nonzero().squeeze(1), (~ell).nonzero().squeeze(1)
    out = torch.empty(u.shape, dtype=torch.bool)
    out[ie] = _inside_polygon(u[ie], w[ie])
    out[il] = _inside_lin(u[il], w[il], *(c[il] for c in coeffs))
    return out


def _inside_lin(u: Tensor, w: Tensor, l0: Tensor, l1: Tensor, r0: Tensor, r1: Tensor) -> Tensor:
    """Pixels (object frame u, w) inside a triangle or parallelogram (:func:`_shape_coeffs`)."""
    return (w >= 0) & (w <= 1) & (u >= torch.addcmul(l0, l1, w)) & (u <= torch.addcmul(r0, r1, w))


def _inside_polygon(u: Tensor, w: Tensor) -> Tensor:
    """Pixels inside the "ellipse": a 20-gon with vertices at angles 2 pi k / 20 and radius 1/2. It
    is symmetric under u -> -u, v -> -v and u <-> v, so fold the pixel into the sector [0, 45]
    degrees; there it is inside iff it is inside the half-planes of the edges with normals at 9, 27
    and 45 degrees (the edges that span the sector [0, 54] degrees; each is necessary, together
    sufficient)."""
    au, av = u.abs(), (w - 0.5).abs()
    hi, lo = torch.maximum(au, av), torch.minimum(au, av)
    apothem = 0.5 * math.cos(math.pi / ELLIPSE_SIDES)
    deg = math.pi / 180
    return ((hi * math.cos(9 * deg) + lo * math.sin(9 * deg) <= apothem)
            & (hi * math.cos(27 * deg) + lo * math.sin(27 * deg) <= apothem)
            & (hi + lo <= apothem / math.cos(45 * deg)))


# --------------------------------------------------------------------------------------------
# Examples
# --------------------------------------------------------------------------------------------


def _second_objects(t2: Tensor, u2: Tensor, m1: Tensor, two: Tensor, grid: Tensor, lazy: bool):
    """Place the second objects: try SECOND_TRIES geometries in order and keep the first that fits
    and overlaps the first object by at most MAX_OVERLAP of either area. Returns the chosen try
    (-1: none), its mask [N, 1024] (all False if none) and its Objects (try 0 where none)."""
    n = t2.shape[0]
    R = SECOND_TRIES
    u2 = u2.reshape(n, R, 6)
    area1 = m1.sum(-1)

    def candidates(rows: Tensor | slice, tries: Tensor | slice) -> tuple[Objects, Tensor]:
        """The geometry of tries ``tries`` of examples ``rows``, and whether each fits (elementwise
        arithmetic and exact min/max: the same values for any subset)."""
        uu = u2[rows, tries]
        tt = t2[rows, None].expand(uu.shape[:-1]) if uu.dim() == 3 else t2[rows]
        sx, sy, theta, param = _geometry(tt, uu[..., :4])
        tx, ty, fits, _ = _place(tt, param, sx, sy, theta, uu[..., 4], uu[..., 5])
        return Objects(tt, param, sx, sy, theta, tx, ty), fits

    def ok(m, a1, mm1):
        a2 = m.sum(-1)
        ov = (m & mm1).sum(-1)
        return (a2 > 0) & (ov <= MAX_OVERLAP * (torch.minimum(a1, a2) if OVERLAP_OF == "smaller" else a1))

    if lazy:  # place and rasterize try r only for the examples still waiting: ~1.4 tries per example
        chosen = torch.full((n,), -1, dtype=torch.int64, device=t2.device)
        mask = torch.zeros_like(m1)
        pending = two.clone()
        obj2, _ = candidates(slice(None), 0)  # try 0 where none is chosen (debug output only)
        obj2.types = t2.clone()
        for r in range(R):
            wait = pending.nonzero().squeeze(1)
            if not wait.numel():
                break
            cand, fits = candidates(wait, r)
            idx = wait[fits]
            if idx.numel():
                obj = Objects(*(getattr(cand, f)[fits] for f in Objects.__dataclass_fields__))
                m = rasterize(obj, grid)
                good = ok(m, area1[idx], m1[idx])
                gi = idx[good]
                chosen[gi] = r
                mask[gi] = m[good]
                pending[gi] = False
                for f in Objects.__dataclass_fields__:
                    getattr(obj2, f)[gi] = getattr(obj, f)[good]
        return chosen, mask, obj2
    # tries in groups, no host synchronisation (GPU); the same choice as the lazy path
    cand, fits = candidates(slice(None), slice(None))
    chosen = torch.full((n,), -1, dtype=torch.int64, device=t2.device)
    mask = torch.zeros_like(m1)
    found = torch.zeros_like(two)
    rows = torch.arange(n, device=m1.device)
    for g0 in range(0, R, TRY_GROUP):
        g1 = min(R, g0 + TRY_GROUP)
        part = Objects(*(getattr(cand, f)[:, g0:g1].reshape(-1) for f in Objects.__dataclass_fields__))
        m = rasterize(part, grid).reshape(n, g1 - g0, N_IN)
        good = ok(m, area1[:, None], m1[:, None, :]) & fits[:, g0:g1] & two[:, None]
        first = torch.argmax(good.to(torch.int8), 1)
        new = good.any(1) & ~found
        chosen = torch.where(new, g0 + first, chosen)
        mask = torch.where(new[:, None], m[rows, first], mask)
        found |= new
    pick = chosen.clamp(min=0)
    sel = lambda t: t.gather(1, pick[:, None]).squeeze(1)  # noqa: E731
    obj2 = Objects(t2, *(sel(getattr(cand, f)) for f in ("param", "sx", "sy", "theta", "tx", "ty")))
    return chosen, mask, obj2


def generate(seeds: Tensor, step: int | Tensor, batch_size: int, *, domain: int = DOMAIN_TRAIN,
             dtype: torch.dtype = torch.float32, debug: bool = False, lazy: bool | None = None,
             offset: int = 0):
    """``batch_size`` examples for each seed: x [K, B, 1024] in [-1, 1] (``dtype``), y [K, B] int64,
    on ``seeds.device``; a pure function of (domain, seed, step, example index). With ``step`` a
    LongTensor [S] of steps, all S batches at once: x [S, K, B, 1024], y [S, K, B].

    ``debug=True`` also returns a dict of per-example metadata: masks [K, B, 2, 1024] (object 2's is
    empty when the image holds one object), ``n_objects``, ``types`` [K, B, 2] (-1: absent),
    ``vertices`` [K, B, 2, 20, 2], ``grey`` [K, B, 3] (background, object 1, object 2 after the
    swap), ``swap``, ``second_try`` (-1: none), ``area`` [K, B, 2] and ``overlap`` (pixels).
    ``lazy`` (default: on CPU) rasterizes the second object's tries only while needed; both modes
    give the same examples."""
    seeds = torch.as_tensor(seeds).reshape(-1)
    dev = seeds.device
    if batch_size > CHUNK and not debug:  # bounded memory; examples depend on their index only
        parts = [generate(seeds, step, min(CHUNK, batch_size - lo), domain=domain, dtype=dtype, lazy=lazy,
                          offset=offset + lo) for lo in range(0, batch_size, CHUNK)]
        d = 2 if isinstance(step, Tensor) else 1
        return torch.cat([p[0] for p in parts], d), torch.cat([p[1] for p in parts], d)
    if lazy is None:
        lazy = dev.type == "cpu"
    keys = _stream_keys(domain, seeds, step)
    lead, B = tuple(keys.shape), batch_size
    n = keys.numel() * B
    u = uniforms(keys, B, offset=offset).reshape(n, N_UNIFORMS)
    grid = _grid(dev)

    two = u[:, _I_TWO] < 0.5
    t1 = (u[:, _I_T1] * 3).long().clamp(max=2)
    t2 = (u[:, _I_T2] * 3).long().clamp(max=2)

    # first object: the first of FIT_TRIES (scale, rotation) that fits; else shrink the last one
    g1 = u[:, _I_OBJ1:_I_OBJ1 + 4 * FIT_TRIES].reshape(n, FIT_TRIES, 4)
    tt = t1[:, None].expand(n, FIT_TRIES)
    sx, sy, theta, param = _geometry(tt, g1)
    _, _, fits, span = _place(tt, param, sx, sy, theta, torch.zeros_like(sx), torch.zeros_like(sx))
    first = torch.where(fits.any(1), torch.argmax(fits.to(torch.int8), 1), torch.full_like(t1, FIT_TRIES - 1))
    sel = lambda t: t.gather(1, first[:, None]).squeeze(1)  # noqa: E731
    sx, sy, theta, param, span = sel(sx), sel(sy), sel(theta), sel(param), span.gather(
        1, first[:, None, None].expand(n, 1, 2)).squeeze(1)
    shrink = torch.clamp(SIZE / span.amax(-1), max=1.0)
    sx, sy = sx * shrink, sy * shrink
    tx, ty, _, _ = _place(t1, param, sx, sy, theta, u[:, _I_OBJ1 + 4 * FIT_TRIES], u[:, _I_OBJ1 + 4 * FIT_TRIES + 1])
    obj1 = Objects(t1, param, sx, sy, theta, tx, ty)
    m1 = rasterize(obj1, grid)

    chosen, m2, obj2 = _second_objects(t2, u[:, _I_OBJ2:], m1, two, grid, lazy)
    has2 = chosen >= 0

    # grey levels, then the swap g -> 1 - g of background and objects together
    lo, hi = BACKGROUND_GREY
    bg = lo + (hi - lo) * u[:, _I_BG]
    lo, hi = OBJECT_GREY
    c1 = lo + (hi - lo) * u[:, _I_G1]
    c2 = lo + (hi - lo) * u[:, _I_G2]
    swap = u[:, _I_SWAP] < 0.5
    grey = torch.stack([bg, c1, c2], -1)
    grey = torch.where(swap[:, None], 1 - grey, grey)
    img = torch.where(m2, grey[:, 2:3], torch.where(m1, grey[:, 1:2], grey[:, 0:1]))
    x = (2 * img - 1).to(dtype).reshape(*lead, B, N_IN)

    cls = torch.tensor(_CLASS_OF, device=dev).reshape(-1)
    y = cls[(t1 + 1) * 4 + torch.where(has2, t2 + 1, torch.zeros_like(t2))].reshape(*lead, B)
    if not debug:
        return x, y
    masks = torch.stack([m1, m2], 1)
    info = {
        "masks": masks.reshape(*lead, B, 2, N_IN),
        "n_objects": (1 + has2.long()).reshape(*lead, B),
        "types": torch.stack([t1, torch.where(has2, t2, torch.full_like(t2, -1))], -1).reshape(*lead, B, 2),
        "vertices": torch.stack([obj1.vertices(), obj2.vertices()], 1).reshape(*lead, B, 2, ELLIPSE_SIDES, 2),
        "grey": grey.reshape(*lead, B, 3),
        "swap": swap.reshape(*lead, B),
        "second_try": chosen.reshape(*lead, B),
        "wanted_two": two.reshape(*lead, B),
        "area": masks.sum(-1).reshape(*lead, B, 2),
        "overlap": (m1 & m2).sum(-1).reshape(*lead, B),
    }
    return x, y, info


def fixed_set(n: int, seed: int, domain: int, chunk: int = 2000, dtype=torch.float32) -> tuple[Tensor, Tensor]:
    """A fixed set of ``n`` examples on the CPU: x [n, 1024], y [n]. Example i is the same for every
    ``n`` and ``chunk`` (its hash counter is its index)."""
    s = torch.tensor([int(seed)])
    xs, ys = [], []
    for lo in range(0, n, chunk):
        x, y = generate(s, 0, min(chunk, n - lo), domain=domain, dtype=dtype, offset=lo)
        xs.append(x[0])
        ys.append(y[0])
    if not xs:
        return torch.zeros(0, N_IN, dtype=dtype), torch.zeros(0, dtype=torch.int64)
    return torch.cat(xs), torch.cat(ys)


class ShapesetSampler:
    """The online training stream: ``sampler(step, seeds [K], batch_size) -> (x [K, B, 1024],
    y [K, B])`` on ``seeds.device``. Member ``seed``'s batch at ``step`` depends on (seed, step)
    only, so resuming (or stacking members differently) gives the same batches.

    Drawing costs a few milliseconds of fixed overhead per call, so the sampler draws the batches of
    the next ``max(1, BLOCK_EXAMPLES // (S B))`` updates in one call and serves them from a cache
    (the examples are the same as one call per update would give). Members with the same seed get
    the same stream, so only the S distinct seeds are drawn: a Table 1 stack of 6 configurations x
    4 learning rates x 3 seeds draws 3 streams, not 72."""

    def __init__(self, dtype: torch.dtype = torch.float32, block_examples: int = BLOCK_EXAMPLES):
        self.dtype = dtype
        self.block_examples = block_examples
        self._key = None
        self._lo = self._hi = 0
        self._x = self._y = None

    def to(self, device=None, dtype: torch.dtype | None = None) -> "ShapesetSampler":
        return ShapesetSampler(dtype or self.dtype, self.block_examples)

    def __call__(self, step: int, seeds: Tensor, batch_size: int) -> tuple[Tensor, Tensor]:
        step, b = int(step), int(batch_size)
        key = (id(seeds), tuple(seeds.shape), seeds.device, b)
        if key != self._key or not (self._lo <= step < self._hi):
            # members that share a seed share their stream: draw each distinct seed once
            uniq, self._inv = torch.unique(seeds.reshape(-1), sorted=True, return_inverse=True)
            n_steps = max(1, self.block_examples // max(1, uniq.numel() * b))
            steps = torch.arange(step, step + n_steps, device=seeds.device)
            self._x, self._y = generate(uniq, steps, b, domain=DOMAIN_TRAIN, dtype=self.dtype)
            self._key, self._lo, self._hi = key, step, step + n_steps
            self._seeds = seeds  # keep it alive so that its id is not reused
        i = step - self._lo
        return self._x[i].index_select(0, self._inv), self._y[i].index_select(0, self._inv)

    def __repr__(self) -> str:
        return f"ShapesetSampler(dtype={self.dtype})"


def load(cfg):
    """``glorot.data.load_dataset`` for ``data=shapeset``; ``cfg`` is the data config node.
    train_x/train_y are a fixed reference sample (not used for training: ``sampler`` is)."""
    s = cfg.shapeset
    seed = int(s.seed)
    n_ref = int(getattr(s, "n_reference", 1000))
    return Dataset(
        "shapeset",
        *fixed_set(n_ref, seed, DOMAIN_REFERENCE),
        *fixed_set(int(s.n_valid), seed, DOMAIN_VALID),
        *fixed_set(int(s.n_test), seed, DOMAIN_TEST),
        N_CLASSES,
        ShapesetSampler(),
    )


# --------------------------------------------------------------------------------------------
# Figure 1
# --------------------------------------------------------------------------------------------


def plot_samples(n: int = 24, seed: int = 0, cols: int = 8, domain: int = DOMAIN_TEST):
    """Figure 1: a grid of ``n`` examples with their labels (matplotlib Figure)."""
    import matplotlib.pyplot as plt  # noqa: PLC0415

    x, y = generate(torch.tensor([int(seed)]), 0, n, domain=domain)
    rows = math.ceil(n / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(1.5 * cols, 1.95 * rows), squeeze=False)
    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i < n:
            ax.imshow(x[0, i].reshape(SIZE, SIZE).numpy(), cmap="gray", vmin=-1, vmax=1,
                      interpolation="nearest")
            ax.set_title(CLASS_NAMES[int(y[0, i])].replace("+", "+\n"), fontsize=7)
    fig.suptitle(f"Shapeset-3x2: {n} samples (seed {seed})", fontsize=9)
    fig.tight_layout()
    return fig
