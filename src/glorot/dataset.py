"""The ``Dataset`` type: a data set as tensors on one device.

It lives in its own module, below both ``glorot.data`` (MNIST, synthetic) and ``glorot.shapeset``
(Shapeset-3x2), so neither has to import the other to build one. ``from glorot.data import Dataset``
keeps working.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable

if TYPE_CHECKING:  # torch is imported where it is used, so that a refusal (glorot.config) never waits for it
    from torch import Tensor


@dataclass
class Dataset:
    """A data set on one device. x: float [N, n_in]; y: int64 [N]."""

    name: str
    train_x: Tensor
    train_y: Tensor
    valid_x: Tensor
    valid_y: Tensor
    test_x: Tensor
    test_y: Tensor
    n_classes: int
    #: online data (Shapeset): ``sampler(step, seeds [K], batch_size) -> (x [K, B, n_in], y [K, B])``
    #: draws fresh training examples; None means batches are taken by index from ``train_x``.
    sampler: Callable | None = None

    @property
    def n_in(self) -> int:
        return self.train_x.shape[1]

    def split(self, name: str) -> tuple[Tensor, Tensor]:
        return getattr(self, f"{name}_x"), getattr(self, f"{name}_y")

    def monitor(self, size: int) -> tuple[Tensor, Tensor]:
        """The fixed monitor set: the first ``size`` test examples (PAPER.md: 300)."""
        return self.test_x[:size], self.test_y[:size]

    def to(self, device, dtype=None) -> "Dataset":
        import torch  # noqa: PLC0415

        dtype = torch.float32 if dtype is None else dtype
        f = lambda t: t.to(device=device, dtype=dtype if t.is_floating_point() else t.dtype)  # noqa: E731
        # an online sampler that can follow the dtype (shapeset.ShapesetSampler) is rebuilt for it
        sampler = self.sampler.to(device, dtype) if hasattr(self.sampler, "to") else self.sampler
        return Dataset(self.name, f(self.train_x), f(self.train_y), f(self.valid_x), f(self.valid_y),
                       f(self.test_x), f(self.test_y), self.n_classes, sampler)
