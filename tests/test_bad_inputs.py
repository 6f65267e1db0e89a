"""Every wrong turn a newcomer can take, as a table run through the real entry points (issue 17).

Each row is a real subprocess: ``python -m glorot.train`` (or ``python -m glorot.data`` = ``make
data``, ``make data``, ``scripts/reproduce.py``, ``python -m glorot.plot``, and the other command
lines: ``glorot.theory``, ``glorot.diagnose``, ``glorot.export``, ``scripts/benchmark.py``,
``scripts/campaign.py``, ...) with one bad input, in its own temporary results
folder that already holds an earlier run. Each must end with exit status 2, exactly one line of
output starting with ``error:`` that names the bad value, and the results folder exactly as it was
(no run folder, no ``.hydra/``, no ``train.log``, the earlier run untouched). The test prints
"N bad inputs tried, N refused cleanly, 0 left anything behind" (the README's figure).
Rows run two at a time: most of the cost is each subprocess's Python start-up.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from glorot import config as C
from glorot import data as D
from helpers import CONFIGS, ROOT

REAL_MNIST = ROOT / "data" / D.MNIST_PICKLE
#: a small, quick base for the rows that do not test data (nothing trains if the checks pass late)
BASE = ["data=synthetic", "model=tiny", "profile=smoke", "train.updates=20"]


def options(group: str) -> list[str]:
    """The choices of a config group, read from configs/ (not spelt out here)."""
    return sorted(p.stem for p in (CONFIGS / group).glob("*.yaml"))


@dataclass
class Row:
    name: str
    args: list[str]
    expect: list[str]  # substrings of the one error line (the bad value first)
    tool: str = "train"  # train | data | reproduce | make | plot | python (any command line; see command())
    base: bool = True  # prepend BASE (train only)
    setup: str | None = None  # name of a setup step (a bad data folder, a read-only results dir, ...)
    env: dict = field(default_factory=dict)
    slow: bool = False  # in the slow table only (`make test-all`): more of a kind already in the fast one


def rows() -> list[Row]:
    acts, inits = options("activation"), options("init")
    r = [
        # misspelt keys, whatever the prefix (Hydra's own hint `+key` included)
        Row("typo", ["model.widht=10"], ["model.widht", "did you mean model.width?"]),
        Row("typo +", ["+model.widht=10"], ["model.widht", "+model.widht=10", "did you mean model.width?"]),
        Row("unknown flag", ["--nosuch"], ["--nosuch", "unrecognized arguments", "glorot.train --help"]),
        Row("typo ++", ["++model.widht=10"], ["model.widht", "did you mean model.width?"]),
        Row("typo + nested", ["+optim.lr_rate=0.1"], ["optim.lr_rate", "did you mean optim.lr?"], slow=True),
        Row("typo in a sweep", ["-m", "model.widht=8,16"], ["model.widht", "did you mean model.width?"]),
        Row("type in a sweep", ["-m", "model.width=abc,16"], ["abc", "Integer"], slow=True),
        # unknown choices in a group: one line with the valid ones (read from configs/)
        Row("activation", ["activation=relu6"], ["relu6", *acts]),
        Row("init", ["init=xavier"], ["xavier", *inits]),
        Row("data", ["data=nonexistent"], ["nonexistent", *options("data")]),
        Row("profile", ["profile=huge"], ["huge", *options("profile")], base=False),
        Row("experiment", ["experiment=fig99"], ["fig99", *options("experiment")]),
        Row("launcher", ["hydra/launcher=slurm"], ["slurm", "basic", "stacked"]),
        Row("launcher option", ["hydra/launcher=stacked", "hydra.launcher.max_memberz=3"],
            ["hydra.launcher.max_memberz", "did you mean hydra.launcher.max_members?"], slow=True),
        Row("launcher option +", ["-m", "hydra/launcher=stacked", "+hydra.launcher.keep_dirs=true"],
            ["hydra.launcher.keep_dirs", "did you mean hydra.launcher.keep_group_dirs?"]),
        Row("activation name", ["stack.activations=[tanh,swish]"], ["swish", "tanh"]),
        Row("init parameter", ["init.name=normal:abc"], ["abc", "number"], slow=True),
        # bad types
        Row("type int", ["model.depth=three"], ["three", "Integer"]),
        Row("type float", ["model.width=2.5"], ["2.5", "Integer"], slow=True),
        Row("type lr", ["optim.lr=abc"], ["abc", "Float"], slow=True),
        Row("type bool", ["train.resume=maybe"], ["maybe", "bool"], slow=True),
        Row("type list", ["stack.seeds=5"], ["stack.seeds=5", "list"]),
        Row("type list item", ["stack.seeds=[a]"], ["stack.seeds=[a]", "Integer"], slow=True),
        # out-of-range values of every numeric field
        Row("depth", ["model.depth=0"], ["model.depth=0", ">= 1"]),
        Row("width", ["model.width=-5"], ["model.width=-5", ">= 1"]),
        Row("lr", ["optim.lr=-1"], ["optim.lr=-1", "> 0"]),
        Row("lr nan", ["optim.lr=nan"], ["optim.lr=nan", "finite"], slow=True),
        Row("lrs inf", ["stack.lrs=[0.1,inf]"], ["inf", "stack.lrs", "finite"], slow=True),
        Row("batch", ["optim.batch_size=0"], ["optim.batch_size=0", ">= 1"]),
        Row("batch > train set", ["optim.batch_size=5000"], ["optim.batch_size=5000", "2000"]),
        Row("updates", ["train.updates=-3"], ["train.updates=-3", ">= 0"]),
        Row("eval every", ["train.eval_every_examples=0"], ["train.eval_every_examples=0", ">= 1"], slow=True),
        Row("checkpoint every", ["train.checkpoint_every=-1"], ["train.checkpoint_every=-1", ">= 0"]),
        Row("seed", ["seed=-1"], ["seed=-1"]),
        Row("seeds", ["stack.seeds=[0,-2]"], ["-2", "stack.seeds"], slow=True),
        Row("record every", ["record=paper", "record.every=0"], ["record.every=0", ">= 1"]),
        Row("record early", ["record.early=-1"], ["record.early=-1", ">= 0"], slow=True),
        Row("record bins", ["record.bins=0"], ["record.bins=0", ">= 1"], slow=True),
        Row("jacobian examples", ["record.jacobian_examples=0"], ["record.jacobian_examples=0", ">= 1"], slow=True),
        Row("jacobian members", ["record.jacobian_members=[3]"], ["record.jacobian_members=[3]", "1 member"]),
        Row("monitor size", ["data.monitor_size=0"], ["data.monitor_size=0", ">= 1"]),
        Row("monitor > test set", ["data.monitor_size=501"], ["data.monitor_size=501", "500"], slow=True),
        Row("synthetic classes", ["data.synthetic.n_classes=1"], ["data.synthetic.n_classes=1", ">= 2"]),
        Row("synthetic inputs", ["data.synthetic.n_in=0"], ["data.synthetic.n_in=0", ">= 1"], slow=True),
        Row("shapeset test set", ["data.shapeset.n_test=0"], ["data.shapeset.n_test=0", ">= 1"], slow=True),
        Row("profile width", ["profile.width=0"], ["profile.width=0", ">= 1"]),
        Row("profile updates", ["profile.updates=-1"], ["profile.updates=-1", ">= 0"], slow=True),
        Row("profile record every", ["profile.record_every=0"], ["profile.record_every=0", ">= 1"], slow=True),
        Row("dtype", ["train.dtype=float16"], ["float16", "float32, float64"]),
        Row("device", ["train.device=gpu"], ["gpu", "cpu"], slow=True),
        Row("device absent", ["train.device=cuda:7"], ["cuda:7", "train.device=cpu"]),
        Row("name", ["name=../../elsewhere"], ["../../elsewhere", "folder"], slow=True),
        # empty lists
        Row("empty lr grid", ["profile.lr_grid=[]"], ["profile.lr_grid=[]", "empty"]),
        Row("empty profile seeds", ["profile.seeds=[]"], ["profile.seeds=[]", "empty"], slow=True),
        Row("empty signals", ["record=paper", "record.signals=[]"], ["record.signals=[]", "empty"]),
        Row("bad signal", ["record.signals=[act,grad]"], ["grad", "grad_s"], slow=True),
        # repeated members
        Row("repeated seed", ["stack.seeds=[0,0]"], ["stack.seeds=[0, 0]", "repeat"]),
        Row("repeated lr", ["stack.lrs=[0.1,0.1]"], ["stack.lrs=[0.1, 0.1]", "repeat"]),
        Row("repeated activation", ["stack.activations=[tanh,relu,tanh]"], ["'tanh'", "repeat"], slow=True),
        Row("repeated job", ["-m", "seed=0,0"], ["seed=0", "same run"]),
        Row("bad job in a sweep", ["-m", "optim.lr=0.1,-1"], ["-1", "> 0"]),
        # data: missing, truncated, wrong checksum, unreadable, a directory, from every entry point
        Row("data missing", ["data.download=false"], ["mnist.pkl.gz", "does not exist", "glorot.data"],
            setup="data_missing"),
        Row("data truncated", [], ["mnist.pkl.gz", "truncated", "glorot.data"], setup="data_truncated"),
        Row("data checksum", [], ["mnist.pkl.gz", "corrupt", D.MNIST_SHA256, "glorot.data"], setup="data_corrupt"),
        Row("data unreadable", [], ["mnist.pkl.gz", "cannot be read", "rm "], setup="data_socket"),
        Row("data directory", [], ["mnist.pkl.gz", "is a directory", "mv "], setup="data_dir"),
        Row("data root is a file", [], ["is a file", "data.root"], setup="data_root_file", slow=True),
        Row("make data: directory", [], ["mnist.pkl.gz", "is a directory"], tool="make", setup="data_dir"),
        Row("glorot.data: unreadable", [], ["mnist.pkl.gz", "cannot be read"], tool="data", setup="data_socket"),
        Row("glorot.data: root is a file", [], ["is a file"], tool="data", setup="data_root_file", slow=True),
        Row("reproduce: data missing", ["data.download=false", "--only", "table1"],
            ["mnist.pkl.gz", "does not exist"], tool="reproduce", setup="data_missing"),
        # scripts/reproduce.py's own arguments and its overrides
        Row("reproduce: profile", ["--profile", "huge"], ["huge", "smoke", "quick"], tool="reproduce"),
        Row("reproduce: experiment", ["--only", "fig99"], ["fig99", "table1"], tool="reproduce", slow=True),
        Row("plot: claim", ["--only", "fig13,fig07"], ["fig13", "fig06", "table1"], tool="plot"),
        Row("plot: runs folder", ["--runs", "results/runs/quik"], ["results/runs/quik", "no such folder", "fig05"],
            tool="plot"),
        Row("reproduce: typo", ["+model.widht=3", "--only", "table1"], ["model.widht", "did you mean model.width?"],
            tool="reproduce"),
        Row("reproduce: repeated seed", ["stack.seeds=[1,1]", "--only", "table1"], ["stack.seeds=[1, 1]", "repeat"],
            tool="reproduce"),
        # the other command lines (tool "python": the arguments after the interpreter; {results} is the
        # row's results folder): argparse's two-line usage block, or a traceback, used to answer these
        Row("plan: --bench missing", ["scripts/reproduce.py", "--plan", "--bench", "{results}/none.json"],
            ["--bench", "none.json", "no such file", "make bench"], tool="python"),
        Row("plan: --bench not JSON", ["scripts/reproduce.py", "--plan", "--bench", "README.md"],
            ["--bench README.md", "not JSON"], tool="python", slow=True),
        Row("plan: --rate nan", ["scripts/reproduce.py", "--plan", "--rate", "nan"],
            ["--rate", "nan", "finite number > 0"], tool="python", slow=True),
        Row("reproduce: --rate without --plan", ["scripts/reproduce.py", "--results-dir", "{results}", "--rate", "5"],
            ["--rate", "--plan"], tool="python"),
        Row("reproduce: --out unwritable", ["scripts/reproduce.py", "--profile", "smoke", "--results-dir", "{results}",
                                            "--only", "init_tanh", "--out", "/dev/null/x"],
            ["--out", "/dev/null/x", "/dev/null is a file"], tool="python"),
        Row("plot: format", ["--only", "fig05", "--formats", "png,bmp"], ["'bmp'", "png", "pdf", "svg"], tool="plot"),
        Row("plot: dpi", ["--only", "fig05", "--dpi", "0"], ["--dpi", "0", "integer >= 1"], tool="plot", slow=True),
        Row("plot: no png", ["--only", "fig05", "--formats", "pdf"], ["--formats", "pdf", "png"], tool="plot",
            slow=True),
        Row("plot: --out unwritable", ["-m", "glorot.plot", "--runs", "{results}", "--only", "fig05", "--out",
                                       "/dev/null/x"], ["--out", "/dev/null/x", "/dev/null is a file"], tool="python"),
        Row("theory: activation", ["-m", "glorot.theory", "activation=gelux"], ["activation=gelux", *acts],
            tool="python"),
        Row("theory: typo", ["-m", "glorot.theory", "model.widht=10"], ["model.widht", "did you mean model.width?"],
            tool="python", slow=True),
        Row("theory: q0", ["-m", "glorot.theory", "--q0", "-1"], ["--q0", "-1", "finite number > 0"], tool="python"),
        Row("theory: max depth", ["-m", "glorot.theory", "--max-depth", "0"], ["--max-depth", "0", "integer >= 1"],
            tool="python", slow=True),
        Row("diagnose: --tensorboard unwritable", ["-m", "glorot.diagnose", "{results}", "--tensorboard", "/dev/null/x"],
            ["--tensorboard", "/dev/null/x", "/dev/null is a file"], tool="python"),
        Row("export: --tensorboard unwritable", ["-m", "glorot.export", "{results}", "--tensorboard", "/dev/null/x"],
            ["--tensorboard", "/dev/null/x", "/dev/null is a file"], tool="python", slow=True),
        Row("bench: device", ["scripts/benchmark.py", "--device", "gpu0", "--json", "{results}/b.json"],
            ["--device", "'gpu0'", "auto, cpu, cuda"], tool="python"),
        Row("bench: width", ["scripts/benchmark.py", "--width", "-3", "--json", "{results}/b.json"],
            ["--width", "-3", "integer >= 1"], tool="python", slow=True),
        Row("bench: repeats", ["scripts/benchmark.py", "--repeats", "0", "--json", "{results}/b.json"],
            ["--repeats", "0", "integer >= 1"], tool="python", slow=True),
        Row("campaign: rate", ["scripts/campaign.py", "status", "--results-dir", "{results}", "--rate", "-3"],
            ["--rate", "-3", "finite number > 0"], tool="python", slow=True),
        Row("bench_floor: jobs", ["scripts/bench_floor.py", "{results}", "--jobs", "0"], ["--jobs", "0", "integer >= 1"],
            tool="python", slow=True),
        Row("example watch_mnist: steps", ["examples/watch_mnist.py", "--steps", "0", "--out", "{results}/w"],
            ["--steps", "0", "integer >= 1"], tool="python"),
        Row("example watch_mnist: monitor", ["examples/watch_mnist.py", "--monitor", "99999", "--out", "{results}/w"],
            ["--monitor", "99999", "1 to 10000"], tool="python", slow=True),
        Row("example watch_mnist: --out unwritable", ["examples/watch_mnist.py", "--out", "/dev/null/x"],
            ["--out", "/dev/null/x", "/dev/null is a file"], tool="python", slow=True),
        Row("example bench_watch_resnet: monitor", ["examples/bench_watch_resnet.py", "--monitor", "64", "--batch", "8"],
            ["--monitor", "64", "--batch 8"], tool="python", slow=True),
    ]
    return r


# -- set-up steps (each gets the row's temporary folder) -------------------------------------------

def _mnist_copy(tmp: Path) -> Path:
    d = tmp / "d"
    d.mkdir()
    shutil.copy(REAL_MNIST, d / D.MNIST_PICKLE)
    return d


def setup_row(row: Row, tmp: Path, mounts: list[Path]) -> tuple[list[str], Path]:
    """Extra arguments for the row and the folder whose contents must not change."""
    results = tmp / "results"
    old = results / "runs" / "smoke" / "run" / "earlier"
    old.mkdir(parents=True)
    (old / "run.json").write_text('{"status": "complete"}\n')
    (old / "metrics.csv").write_text("member,step,split,error\n0,0,test,0.9\n")
    extra: list[str] = []
    s = row.setup or ""
    if s.startswith("data_"):
        d = tmp / "d"
        if s == "data_missing":
            d.mkdir()
        elif s == "data_truncated":
            d.mkdir()
            with open(REAL_MNIST, "rb") as f:
                (d / D.MNIST_PICKLE).write_bytes(f.read(1 << 20))
        elif s == "data_corrupt":
            d = _mnist_copy(tmp)
            with open(d / D.MNIST_PICKLE, "r+b") as f:
                f.seek(100_000)
                f.write(b"\x00" * 64)
        elif s == "data_socket":  # a file that cannot be read, even by root
            d.mkdir()
            sock = socket.socket(socket.AF_UNIX)
            sock.bind(str(d / D.MNIST_PICKLE))
            sock.close()
        elif s == "data_dir":
            (d / D.MNIST_PICKLE).mkdir(parents=True)
            (d / D.MNIST_PICKLE / "keep.txt").write_text("a user's file\n")
        elif s == "data_root_file":
            d.write_text("not a folder\n")
        if row.tool == "train":
            extra = ["data=mnist", f"data.root={d}"]
        elif row.tool == "reproduce":
            extra = [f"data.root={d}"]
        else:
            extra = [str(d)]
    elif s in ("readonly", "full"):
        results.mkdir(exist_ok=True)
        mnt = tmp / "mnt"
        mnt.mkdir()
        opts = "ro,size=1m" if s == "readonly" else "size=64k"
        r = subprocess.run(["mount", "-t", "tmpfs", "-o", opts, "tmpfs", str(mnt)], capture_output=True)
        if r.returncode != 0:
            raise RuntimeError(f"mount failed: {r.stderr.decode().strip()}")
        mounts.append(mnt)
        results = mnt
    elif s == "chmod":
        results.chmod(0o555)
    return extra, results


def snapshot(folder: Path, contents: bool = True) -> dict:
    """Every path below ``folder`` with, for files, size, mtime and contents' hash (folders' own
    mtimes are left out: a probe file created and removed changes them)."""
    import hashlib  # noqa: PLC0415

    out = {}
    if not folder.exists():
        return out
    for p in sorted(folder.rglob("*")):
        rel = str(p.relative_to(folder))
        if p.is_dir() and not p.is_symlink():
            out[rel] = "dir"
        else:
            st = p.lstat()
            digest = hashlib.sha1(p.read_bytes()).hexdigest() if contents and p.is_file() else None
            out[rel] = (st.st_size, st.st_mtime_ns, digest)
    return out


def command(row: Row, extra: list[str], results: Path) -> list[str]:
    if row.tool == "train":
        args = list(row.args)
        pre = ["-m"] if args[:1] == ["-m"] else []
        args = args[len(pre):]
        return [sys.executable, "-m", "glorot.train", *pre, *(BASE if row.base else []), *args, *extra,
                f"results_dir={results}"]
    if row.tool == "data":
        return [sys.executable, "-m", "glorot.data", *extra, *row.args]
    if row.tool == "make":
        return ["make", "-s", "-o", "setup", "data", f"DATA={extra[0]}", f"BIN={Path(sys.executable).parent}"]
    if row.tool == "python":
        return [sys.executable, *(a.replace("{results}", str(results)) for a in row.args)]
    if row.tool == "plot":  # the plotting stage on the earlier run, into the results folder
        return [sys.executable, "-m", "glorot.plot", "--runs", str(results), "--out", str(results / "out"), *row.args]
    # reproduce: overrides go before --only (which takes the rest)
    return [sys.executable, "scripts/reproduce.py", "--profile", "smoke", "--results-dir", str(results),
            "--skip-plots", *extra, *row.args]


def run_row(row: Row) -> dict:
    tmp = Path(tempfile.mkdtemp(prefix="glorot-bad-"))
    mounts: list[Path] = []
    try:
        extra, results = setup_row(row, tmp, mounts)
        before = snapshot(results)
        data_before = snapshot(tmp / "d") if (tmp / "d").is_dir() else None
        env = {**os.environ, "PYTHONUNBUFFERED": "1", **row.env}
        env.pop("HYDRA_FULL_ERROR", None)
        for k in ("MAKELEVEL", "MAKEFLAGS", "MFLAGS"):  # under `make test` make would say "make[1]: ***"
            env.pop(k, None)
        cmd = command(row, extra, results)
        p = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
        after = snapshot(results)
        lines = [ln for ln in (p.stdout + p.stderr).splitlines() if ln.strip()]
        if row.tool == "make":  # make adds its own "make: *** [...] Error 2" ("make[1]: ***" when nested)
            lines = [ln for ln in lines if not re.match(r"make(\[\d+\])?: \*\*\*", ln)]
        problems = []
        if p.returncode != 2:
            problems.append(f"exit {p.returncode}")
        if len(lines) != 1 or not lines[0].startswith("error: "):
            problems.append(f"{len(lines)} lines of output")
        missing = [e for e in row.expect if e not in (lines[0] if lines else "")]
        if missing:
            problems.append(f"message lacks {missing}")
        left = sorted(set(after) ^ set(before)) + sorted(k for k in before if k in after and after[k] != before[k])
        if data_before is not None and snapshot(tmp / "d") != data_before:
            left.append("the data folder changed")
        return {"row": row.name, "cmd": " ".join(cmd[1:] if cmd[0] == sys.executable else cmd),
                "problems": problems, "left": left, "output": "\n".join(lines[:20])}
    finally:
        for m in mounts:
            subprocess.run(["umount", str(m)], capture_output=True)
        shutil.rmtree(tmp, ignore_errors=True)


def _can_mount() -> bool:
    if os.geteuid() != 0 or not shutil.which("mount"):
        return False
    with tempfile.TemporaryDirectory() as d:
        if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", d], capture_output=True).returncode:
            return False
        subprocess.run(["umount", d], capture_output=True)
    return True


def environment_rows() -> list[Row]:
    """A read-only results folder and a full disk: real tmpfs mounts where this process may mount
    (root), else a folder without write permission (which root would ignore)."""
    if _can_mount():
        return [Row("read-only results dir", [], ["not writable", "Read-only file system"], setup="readonly"),
                Row("full disk", ["model=paper", "train.checkpoint_every=10"], ["not enough disk space", "MiB"],
                    setup="full")]
    if os.geteuid() != 0:
        return [Row("read-only results dir", [], ["not writable", "Permission denied"], setup="chmod")]
    return []


def check_table(table: list[Row], capsys) -> None:
    import resource  # noqa: PLC0415
    import time  # noqa: PLC0415

    repo_results = snapshot(ROOT / "results", contents=False)
    t0, cpu0 = time.perf_counter(), resource.getrusage(resource.RUSAGE_CHILDREN)
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(run_row, table))
    cpu1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = cpu1.ru_utime + cpu1.ru_stime - cpu0.ru_utime - cpu0.ru_stime
    bad = [r for r in results if r["problems"] or r["left"]]
    left = sum(1 for r in results if r["left"])
    clean = sum(1 for r in results if not r["problems"] and not r["left"])
    with capsys.disabled():
        print(f"\n{len(results)} bad inputs tried, {clean} refused cleanly, {left} left anything behind "
              f"({time.perf_counter() - t0:.0f} s wall, {cpu:.0f} s CPU in the subprocesses)")
    report = "\n".join(f"- {r['row']}: {'; '.join(r['problems'] + [f'left {x}' for x in r['left'][:5]])}\n"
                       f"    $ {r['cmd']}\n    {r['output']}" for r in bad)
    assert not bad, f"{len(bad)} of {len(results)} rows failed:\n{report}"
    assert snapshot(ROOT / "results", contents=False) == repo_results


def test_every_bad_input_is_refused_in_one_line_and_leaves_nothing_behind(capsys):
    table = [r for r in rows() if not r.slow] + environment_rows()
    kinds = {r.tool for r in table}
    assert len(table) >= 30 and kinds == {"train", "data", "make", "reproduce", "plot", "python"}
    check_table(table, capsys)


@pytest.mark.slow
def test_more_bad_inputs_of_the_same_kinds(capsys):
    check_table([r for r in rows() if r.slow], capsys)


def test_make_data_replaces_a_corrupt_file_after_saying_so(tmp_path):
    d = tmp_path / "d"
    d.mkdir()
    bad = d / D.MNIST_PICKLE
    with open(REAL_MNIST, "rb") as f:
        bad.write_bytes(f.read(1 << 20))  # a truncated download
    p = subprocess.run([sys.executable, "-m", "glorot.data", str(d)], cwd=ROOT, capture_output=True, text=True,
                       timeout=600)
    assert p.returncode == 0, p.stdout + p.stderr
    assert "truncated" in p.stdout and "replacing it with a fresh copy" in p.stdout
    assert D.sha256(bad) == D.MNIST_SHA256
    assert "MNIST ready" in p.stdout


def test_full_error_shows_hydras_message_and_still_exits_2(tmp_path):
    env = {**os.environ, "HYDRA_FULL_ERROR": "1"}
    p = subprocess.run([sys.executable, "-m", "glorot.train", "activation=relu6", f"results_dir={tmp_path}"],
                       cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert p.returncode == 2
    assert "Traceback" in p.stderr and "Config search path" in p.stderr  # Hydra's own message
    assert p.stderr.strip().splitlines()[-1].startswith("error: activation=relu6 is not a choice")
    assert not any(tmp_path.iterdir())


def test_a_refusal_inside_the_task_removes_only_the_folder_it_created(tmp_path):
    """The fallback for refusals that only the task can see (a disk that fills up, ...): a run folder
    created by this invocation and holding nothing but Hydra's files goes; one with a checkpoint
    (an interrupted run), or one that existed before, stays."""
    base = tmp_path / "results"
    base.mkdir()
    new = base / "runs" / "smoke" / "run" / "x=1"
    C.PLANNED[str(new)] = str(base)  # what the preflight records: `base` existed, `new` did not
    (new / ".hydra").mkdir(parents=True)
    (new / "train.log").write_text("")
    assert C.discard_new_run_dir(new)
    assert list(base.iterdir()) == []  # runs/smoke/run went too, `base` stays
    kept = base / "runs" / "smoke" / "run" / "x=2"
    C.PLANNED[str(kept)] = str(base)
    (kept / ".hydra").mkdir(parents=True)
    (kept / "checkpoint.pt").write_bytes(b"state")
    assert not C.discard_new_run_dir(kept) and (kept / "checkpoint.pt").exists()
    old = base / "old"
    old.mkdir()
    C.PLANNED[str(old)] = None  # existed before this invocation
    assert not C.discard_new_run_dir(old) and old.exists()


@pytest.mark.parametrize("key,near", [("model.widht", "model.width"), ("optim.batchsize", "optim.batch_size"),
                                      ("train.update", "train.updates"), ("recrod.every", "record.every")])
def test_suggestions_come_from_the_schema(key, near):
    assert f"did you mean {near}" in C.suggest(key, C.schema_keys())


def test_the_glorot_train_console_script_refuses_in_one_line(tmp_path):
    """pyproject's ``glorot-train`` script, called as pip's wrapper calls it (``from glorot.train
    import <fn>; sys.exit(<fn>())``) from a folder outside the checkout: the same one-line refusal,
    exit 2, as ``python -m glorot.train`` (it once pointed at the bare Hydra function, which could
    not even find configs/)."""
    import tomllib  # noqa: PLC0415

    target = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]["glorot-train"]
    module, fn = target.split(":")
    code = f"import sys; sys.argv[0] = 'glorot-train'; from {module} import {fn}; sys.exit({fn}())"
    results = tmp_path / "results"
    for bad, expect in ((["model.depth=0"], "model.depth=0"), (["+model.widht=3"], "did you mean model.width?")):
        p = subprocess.run([sys.executable, "-c", code, *BASE, *bad, f"results_dir={results}"], cwd=tmp_path,
                           capture_output=True, text=True, timeout=120)
        lines = [ln for ln in (p.stdout + p.stderr).splitlines() if ln.strip()]
        assert p.returncode == 2 and len(lines) == 1 and expect in lines[0], p.stdout + p.stderr
    assert not results.exists()
