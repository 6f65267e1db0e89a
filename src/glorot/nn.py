"""The paper's network, stacked: K deep MLPs trained in lockstep as one network.

Every layer holds the weights of all K members as one tensor ``[K, n_out, n_in]`` (W is
``[n_out, n_in]`` as in PAPER.md, so ``n_in`` is the fan-in), and one batched matmul computes the
layer for every member. Members share depth, width and data, and may differ in activation, init
scheme, learning rate and seed.

Two ways through the same parameters:

* :meth:`StackedMLP.forward` is an ordinary autograd forward made of ``StackedLinear`` and
  ``StackedActivation`` modules, so hooks see ``s`` (pre-activation) and ``z = f(s)`` per layer. The
  recorder and the tests use it.
* :meth:`StackedMLP.sgd_step` is the hot loop: a hand-written backward with the plain SGD update
  folded into the weight-gradient product (``baddbmm_``), which moves each weight tensor fewer
  times than autograd + optimizer (see PERFORMANCE.md). A test checks it against autograd SGD.

Adding an activation: write its ``forward`` and its derivative (from s and z) in ``ACTIVATIONS``.
Adding an init scheme: add a function to ``INITS`` (one that needs the activation and the signal's
second moment, like ``critical``, is also listed in ``SIGNAL_INITS``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import torch
from torch import Tensor, nn


from glorot.activations import ACTIVATIONS, Activation, get_activation, split_spec  # noqa: F401 - re-exported
from glorot.activations import softsign_fn
from glorot.variance import SIGNAL_INITS, shape_variance  # noqa: F401 - SIGNAL_INITS re-exported


# --------------------------------------------------------------------------------------------
# Initialization schemes (PAPER.md's table; W is [n_out, n_in], n_in = fan-in)
# --------------------------------------------------------------------------------------------


def _uniform(shape, bound, g):
    return (torch.rand(shape, generator=g, dtype=torch.float64) * 2 - 1) * bound


def _normal(shape, std, g):
    return torch.randn(shape, generator=g, dtype=torch.float64) * std


def _orthogonal(shape, gain, g):
    n_out, n_in = shape
    a = torch.randn(max(n_out, n_in), min(n_out, n_in), generator=g, dtype=torch.float64)
    q, r = torch.linalg.qr(a)
    q = q * torch.sign(torch.diagonal(r))  # make the draw uniform (Haar) over orthogonal matrices
    if n_out < n_in:
        q = q.T
    return gain * q[:n_out, :n_in]


InitFn = Callable[[tuple[int, int], float | None, torch.Generator], Tensor]

#: name -> fn(shape, param, generator) returning a float64 [n_out, n_in] draw. Var[W] in comments.
INITS: dict[str, InitFn] = {
    # Eq. 1: U[-1/sqrt(n_in), 1/sqrt(n_in)], Var = 1/(3 n_in). Equals nn.Linear's default weight.
    "standard": lambda sh, p, g: _uniform(sh, 1 / math.sqrt(sh[1]), g),
    # Eq. 16: U[-sqrt(6/(n_in+n_out)), +...], Var = 2/(n_in+n_out).
    "normalized": lambda sh, p, g: _uniform(sh, math.sqrt(6 / (sh[0] + sh[1])), g),
    "xavier_normal": lambda sh, p, g: _normal(sh, math.sqrt(2 / (sh[0] + sh[1])), g),
    # He Eq. 10 with the leaky slope a (param, default 0): Var = 2 / ((1 + a^2) n_in).
    "he": lambda sh, p, g: _normal(sh, math.sqrt(2 / ((1 + (p or 0.0) ** 2) * sh[1])), g),
    "he_fan_out": lambda sh, p, g: _normal(sh, math.sqrt(2 / ((1 + (p or 0.0) ** 2) * sh[0])), g),
    "lecun": lambda sh, p, g: _normal(sh, math.sqrt(1 / sh[1]), g),  # Var = 1/n_in
    "orthogonal": lambda sh, p, g: _orthogonal(sh, 1.0 if p is None else p, g),  # param: gain
    "zeros": lambda sh, p, g: torch.zeros(sh, dtype=torch.float64),
    "constant": lambda sh, p, g: torch.full(sh, 0.01 if p is None else p, dtype=torch.float64),
    "normal": lambda sh, p, g: _normal(sh, 1.0 if p is None else p, g),  # param: std
    # chi = 1 at every layer (configs/init/critical.yaml): N(0, sigma_w2[l] / n_in) with
    # sigma_w2[l] = 1 / E[f'(s)^2] at the propagated q (glorot.theory.critical_sigma_w2). Needs the
    # activation and the input's second moment q0 (param, or the q0 the trainer measured): see init_weight.
    "critical": lambda sh, p, g, var=None: _normal(sh, math.sqrt(var), g),
}


def _critical_var(spec: str, n_in: int, layer: int | None, activation: str | None, q0: float | None) -> float:
    name, p = split_spec(spec)
    q = p if p is not None else q0
    if activation is None or q is None or layer is None:
        raise ValueError(f"init={spec!r} needs the activation, the layer and the input second moment q0 "
                         "(\"critical:<q0>\", or the q0 the trainer measures on the training data)")
    from glorot.theory import critical_sigma_w2  # noqa: PLC0415 - theory imports this module

    return float(critical_sigma_w2(activation, q, layer)[layer - 1]) / n_in


def init_variance(spec: str, n_in: int, n_out: int, *, layer: int | None = None, activation: str | None = None,
                  q0: float | None = None) -> float:
    """The Var[W] each scheme is meant to have (PAPER.md's table): an oracle for tests and plots.
    ``critical`` also needs the (1-based) layer, the activation and the input second moment q0."""
    name, p = split_spec(spec)
    if name in SIGNAL_INITS:
        return _critical_var(spec, n_in, layer, activation, q0)
    return shape_variance(spec, n_in, n_out)


def check_init(spec: str) -> None:
    name, _ = split_spec(spec)
    if name not in INITS:
        raise ValueError(f"unknown init {name!r}; valid choices: {', '.join(INITS)}")


def init_weight(spec: str, n_out: int, n_in: int, seed: int, layer: int, activation: str | None = None,
                q0: float | None = None) -> Tensor:
    """Draw one member's weight matrix. The draw depends only on (scheme, seed, layer), never on
    the member's place in a stack, so a stacked run equals separate runs with the same seeds.
    ``init=critical`` also depends on the member's activation and the input second moment q0."""
    name, p = split_spec(spec)
    check_init(spec)
    g = torch.Generator().manual_seed(1_000_003 * int(seed) + 7919 * int(layer) + 17)
    if name in SIGNAL_INITS:
        return INITS[name]((n_out, n_in), p, g, var=_critical_var(spec, n_in, layer, activation, q0))
    return INITS[name]((n_out, n_in), p, g)


# --------------------------------------------------------------------------------------------
# Stacked modules
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Member:
    """One model of a stack: the axes along which members may differ."""

    activation: str
    init: str
    lr: float
    seed: int


class StackedLinear(nn.Module):
    """s = x W^T + b for K members at once: x [K, B, n_in] -> s [K, B, n_out]."""

    def __init__(self, k: int, n_in: int, n_out: int, dtype=torch.float32, device=None):
        super().__init__()
        self.n_in, self.n_out = n_in, n_out
        self.weight = nn.Parameter(torch.empty(k, n_out, n_in, dtype=dtype, device=device))
        self.bias = nn.Parameter(torch.zeros(k, n_out, dtype=dtype, device=device))  # paper: b = 0

    def forward(self, x: Tensor) -> Tensor:
        return torch.baddbmm(self.bias.unsqueeze(1), x, self.weight.transpose(1, 2))


#: activations that can write into a slice of a larger tensor: the same kernel, hence the same bits
#: (torch.relu is clamp_min(s, 0) in ATen)
_INTO = {torch.tanh: torch.tanh, torch.sigmoid: torch.sigmoid,
         torch.relu: lambda s, out: torch.clamp_min(s, 0, out=out),
         softsign_fn: softsign_fn}


class StackedActivation(nn.Module):
    """z = f_k(s) per member k. Members sharing an activation form contiguous groups, each applied
    to its own slice of the member axis (one op per group, not per member)."""

    def __init__(self, acts: list[Activation]):
        super().__init__()
        self.acts = acts
        self.groups: list[tuple[Activation, int, int]] = []
        for k, a in enumerate(acts):
            # compare by label: two Activation objects built by separate factory calls hold
            # different lambdas and never compare equal, which made one group per member
            if self.groups and self.groups[-1][0].label == a.label:
                act, lo, _ = self.groups[-1]
                self.groups[-1] = (act, lo, k + 1)
            else:
                self.groups.append((a, k, k + 1))

    def _map(self, fn, *xs: Tensor) -> Tensor:
        if len(self.groups) == 1:
            return fn(self.groups[0][0], *xs)
        return torch.cat([fn(a, *(x[lo:hi] for x in xs)) for a, lo, hi in self.groups])

    def forward(self, s: Tensor) -> Tensor:
        if len(self.groups) == 1:
            return self.groups[0][0].fn(s)
        if s.requires_grad and torch.is_grad_enabled():  # out= does not differentiate
            return self._map(lambda a, s: a.fn(s), s)
        z = torch.empty_like(s)  # each group's z written in place, not concatenated from pieces
        for a, lo, hi in self.groups:
            into = _INTO.get(a.fn)
            if into is not None:
                into(s[lo:hi], out=z[lo:hi])
            else:
                z[lo:hi] = a.fn(s[lo:hi])
        return z

    def grad(self, s: Tensor, z: Tensor) -> Tensor:
        return self._map(lambda a, s, z: a.grad(s, z), s, z)

    def mul_grad_(self, g: Tensor, s: Tensor, z: Tensor) -> Tensor:
        """``g *= f'(s)`` in place, group by group: the same products as ``g.mul_(self.grad(s, z))``
        without building the whole f'(s) from the groups' pieces."""
        if len(self.groups) == 1:
            return g.mul_(self.groups[0][0].grad(s, z))
        for a, lo, hi in self.groups:
            g[lo:hi].mul_(a.grad(s[lo:hi], z[lo:hi]))
        return g


class StackedMLP(nn.Module):
    """K MLPs n_in -> width x depth -> n_out with softmax output, trained in lockstep."""

    def __init__(self, members: list[Member], n_in: int, width: int, depth: int, n_out: int,
                 dtype=torch.float32, device=None, q0: float | None = None, init: bool = True):
        """``q0``: the inputs' second moment mean_i x_i^2, needed only by ``init=critical``.
        ``init=False`` leaves the weights uninitialized (:meth:`subset` copies them in)."""
        super().__init__()
        self.q0 = q0
        self.members = list(members)
        k = len(self.members)
        self.k, self.depth, self.width = k, depth, width
        sizes = [n_in] + [width] * depth + [n_out]
        self.linears = nn.ModuleList(
            StackedLinear(k, a, b, dtype, device) for a, b in zip(sizes[:-1], sizes[1:])
        )
        acts = [get_activation(m.activation) for m in self.members]
        self.acts = nn.ModuleList(StackedActivation(acts) for _ in range(depth))
        self.register_buffer("lr", torch.tensor([m.lr for m in members], dtype=dtype, device=device))
        if init:
            self.reset_parameters()

    @torch.no_grad()
    def subset(self, idx: Tensor) -> "StackedMLP":
        """A new stack of the members ``idx`` (a 1-D index tensor), with copies of their weights."""
        w = self.linears[0].weight
        sub = StackedMLP([self.members[int(i)] for i in idx], self.linears[0].n_in, self.width, self.depth,
                         self.linears[-1].n_out, dtype=w.dtype, device=w.device, q0=self.q0, init=False)
        for mine, theirs in zip(sub.linears, self.linears):
            mine.weight.copy_(theirs.weight[idx])
            mine.bias.copy_(theirs.bias[idx])
        return sub

    @torch.no_grad()
    def put_subset(self, idx: Tensor, sub: "StackedMLP") -> None:
        """Copy the weights of ``sub`` (made by :meth:`subset` with ``idx``) back into their members."""
        for mine, theirs in zip(self.linears, sub.linears):
            mine.weight.index_copy_(0, idx, theirs.weight)
            mine.bias.index_copy_(0, idx, theirs.bias)

    @torch.no_grad()
    def reset_parameters(self) -> None:
        for layer, lin in enumerate(self.linears, start=1):
            for k, m in enumerate(self.members):
                lin.weight[k].copy_(init_weight(m.init, lin.n_out, lin.n_in, m.seed, layer, m.activation, self.q0))
            lin.bias.zero_()

    def forward(self, x: Tensor) -> Tensor:
        """x [K, B, n_in] (or [B, n_in], shared by all members) -> logits [K, B, n_out]."""
        if x.dim() == 2:
            x = x.unsqueeze(0).expand(self.k, -1, -1)
        h = x
        for i, lin in enumerate(self.linears):
            h = lin(h)
            if i < self.depth:
                h = self.acts[i](h)
        return h

    @torch.no_grad()
    def sgd_step(self, x: Tensor, y: Tensor, alive: Tensor) -> Tensor:
        """One plain-SGD update of every member on its own mini-batch; returns the loss [K].

        x [K, B, n_in], y [K, B]. Cost = mean NLL over the mini-batch (PAPER.md). ``alive`` [K] bool
        is updated in place: a member whose loss is NaN/inf is marked dead and gets no more
        updates from then on (it is frozen), while the others train on. No host sync.
        """
        b = x.shape[1]
        hs, ss = [x], []
        h = x
        for i, lin in enumerate(self.linears):
            s = torch.baddbmm(lin.bias.unsqueeze(1), h, lin.weight.transpose(1, 2))
            if i < self.depth:
                ss.append(s)
                h = self.acts[i](s)
                hs.append(h)
        logp = torch.log_softmax(s, dim=-1)
        nll = -logp.gather(-1, y.unsqueeze(-1)).squeeze(-1)  # [K, B]
        loss = nll.mean(1)
        alive.logical_and_(torch.isfinite(loss))
        # dC/ds at the output for C = mean NLL: (softmax - onehot) / B
        g = logp.exp()
        g.scatter_add_(-1, y.unsqueeze(-1), torch.full_like(g[..., :1], -1.0))
        g.div_(b)
        # On the CPU reading ``alive`` costs no device sync: while every member lives (the usual
        # case) the masks below are identities and are skipped, which gives the same bits.
        all_alive = x.device.type == "cpu" and bool(alive.all())
        scale = self.lr.view(-1, 1, 1) if all_alive else torch.where(
            alive, self.lr, torch.zeros_like(self.lr)).view(-1, 1, 1)
        keep = alive.view(-1, 1, 1)
        zero = torch.zeros((), dtype=g.dtype, device=g.device)
        for i in range(len(self.linears) - 1, -1, -1):
            lin = self.linears[i]
            g_prev = None
            if i > 0:  # back-propagate with this step's W, before it is updated
                g_prev = self.acts[i - 1].mul_grad_(torch.bmm(g, lin.weight), ss[i - 1], hs[i])
            if all_alive:
                u, h_in = g * scale, hs[i]
            else:
                u = torch.where(keep, g * scale, zero)
                h_in = hs[i] if i == 0 else torch.where(keep, hs[i], zero)  # 0 * NaN would unfreeze
            lin.weight.baddbmm_(u.transpose(1, 2), h_in, alpha=-1.0)  # W -= lr * g^T h
            lin.bias.sub_(u.sum(1))
            g = g_prev
        return loss


def sequential_from_stack(stack: StackedMLP, k: int) -> nn.Sequential:
    """Member k of a stack as a plain ``nn.Sequential`` of ``nn.Linear`` + activation modules (a
    copy of its current weights): the independent oracle the tests train beside the stack."""

    class _Act(nn.Module):
        def __init__(self, a: Activation):
            super().__init__()
            self.a = a

        def forward(self, s):
            return self.a.fn(s)

    act = get_activation(stack.members[k].activation)
    layers: list[nn.Module] = []
    for i, lin in enumerate(stack.linears):
        plain = nn.Linear(lin.n_in, lin.n_out, dtype=lin.weight.dtype)
        with torch.no_grad():
            plain.weight.copy_(lin.weight[k])
            plain.bias.copy_(lin.bias[k])
        layers.append(plain)
        if i < stack.depth:
            layers.append(_Act(act))
    return nn.Sequential(*layers)
