"""Install the project and its dev extras into the running virtual environment (``make setup``).

    .venv/bin/python scripts/install.py [--installer auto|uv|pip] [EXTRAS]

pip unpacks the wheels one after the other, on one core: about 6 GB of them (torch and the CUDA
libraries it depends on), 52 s on the 2-core VM. uv unpacks them on all cores: 22 s there
(measured 2026-12-06, AMD EPYC Zen 4, nothing else running, empty uv cache). So ``auto`` (the
default) installs uv with pip, then the project with ``uv pip install``, and falls back to pip
(as ``make setup`` did before) when uv cannot be had or fails, or when pip's configuration holds
an option this script does not know how to pass on.

uv is told what pip would be told: the options of ``pip config list`` (pip's configuration files and
``PIP_*`` variables: index-url, extra-index-url, find-links, constraint, cert, trusted-host, ...)
become uv's, and ``--index-strategy unsafe-best-match`` makes uv take the best version from any
index, as pip does (uv's default takes a package from the first index that has it, which picks
older releases from a local mirror). The same versions as pip's are installed (compared with
``pip freeze`` on the 2-core VM).

Then the bytecode of the installed files is compiled on all cores (``compileall``): some shells set
``PYTHONDONTWRITEBYTECODE=1``, and every process would then compile torch's imports again. With
the dev extras (``make setup``, ``make test``) every file is compiled; without them (``make
reproduce``, ``train``, ``figures``, ... install the project alone: ``install.py ""``) the big
packages that nothing the suite runs imports (:data:`NOT_IMPORTED`) are left out, and ``make
test`` compiles them with the dev extras when it needs them.
"""

from __future__ import annotations

import argparse
import os
import shlex
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

#: pip options passed on to ``uv pip install`` as flags, one per value (whitespace separates values)
FLAGS = {"index-url": "--index-url", "extra-index-url": "--extra-index-url", "find-links": "--find-links",
         "constraint": "--constraints", "trusted-host": "--allow-insecure-host"}
#: pip options passed on as uv's environment variables
ENV = {"cert": "SSL_CERT_FILE", "client-cert": "SSL_CLIENT_CERT", "timeout": "UV_HTTP_TIMEOUT",
       "default-timeout": "UV_HTTP_TIMEOUT", "proxy": "HTTPS_PROXY"}
#: pip options that change nothing uv installs
IGNORED = {"disable-pip-version-check", "no-cache-dir", "cache-dir", "progress-bar", "quiet", "verbose",
           "no-input", "no-color", "retries", "root-user-action", "require-virtualenv", "log",
           "no-warn-script-location", "break-system-packages", "user-agent"}
TRUE = {"1", "true", "yes", "on"}
INSTALLERS = ("auto", "uv", "pip")
#: installed with the project but imported by none of reproduce's processes: torch's optional
#: sympy, networkx and triton, the installers, every package's own test suite (pandas/tests alone
#: has 1,143 files) and torch's compiler and exporters. A sitecustomize hook listed the
#: site-packages modules of every process of `reproduce.py --profile smoke` (main, workers, plot):
#: none of these, and a smoke run with bytecode writing on added no .pyc. Their bytecode is compiled
#: with the dev extras only: 4,349 of the project's 9,949 files are compiled without them (79 of
#: 168 MB; 2026-12-06). torch.func's vmap/grad imports sympy, mpmath and triton, so make bench
#: (scripts/benchmark.py) takes the dev install; a torch.optim optimizer's first step imports
#: torch._dynamo and sympy (examples/watch_mnist.py: 2 s more per process in a shell with
#: PYTHONDONTWRITEBYTECODE=1, until make setup compiles them). Paths relative to site-packages.
NOT_IMPORTED = (r"(sympy|mpmath|networkx|triton|pip|setuptools)/", r".*/tests?/", r"torch/(_inductor|_dynamo|onnx)/")


class Unsupported(Exception):
    """pip's configuration holds an option this script cannot pass on to uv."""


def pip_config(lines: list[str]) -> dict[str, str]:
    """``pip config list`` output -> {option: value}, the environment over the ``install`` section
    over ``global`` (pip's order of precedence)."""
    rank = {"global": 0, "install": 1, ":env:": 2}
    found: dict[str, tuple[int, str]] = {}
    for line in lines:
        key, sep, value = line.strip().partition("=")
        section, dot, option = key.rpartition(".")
        if not sep or not dot or section not in rank:
            continue
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        if option not in found or rank[section] >= found[option][0]:
            found[option] = (rank[section], value)
    return {k: v for k, (_, v) in found.items()}


def uv_options(config: dict[str, str]) -> tuple[list[str], dict[str, str]]:
    """(flags, environment) that tell ``uv pip install`` what ``config`` (:func:`pip_config`) tells
    pip. Raises :class:`Unsupported` on an option it does not know."""
    flags = ["--index-strategy", "unsafe-best-match"]
    env: dict[str, str] = {}
    for option, value in sorted(config.items()):
        if option in FLAGS:
            for v in value.split():
                flags += [FLAGS[option], v]
        elif option in ENV:
            env.setdefault(ENV[option], value)
        elif option == "no-index":
            if value.lower() in TRUE:
                flags.append("--no-index")
        elif option == "pre":
            if value.lower() in TRUE:
                flags += ["--prerelease", "allow"]
        elif option not in IGNORED:
            raise Unsupported(f"pip option {option}={value!r}")
    return flags, env


def run(cmd: list[str], env: dict | None = None) -> int:
    print("+ " + " ".join(shlex.quote(c) for c in cmd), flush=True)
    return subprocess.call(cmd, cwd=ROOT, env={**os.environ, **(env or {})})


def with_uv(target: str) -> bool:
    """Install ``target`` with uv; False (having said why) where pip has to do it."""
    py = sys.executable
    out = subprocess.run([py, "-m", "pip", "config", "list"], capture_output=True, text=True)
    if out.returncode != 0:  # pip's configuration unknown: uv might install something else
        print("install: `pip config list` failed; installing with pip", flush=True)
        return False
    try:
        flags, env = uv_options(pip_config(out.stdout.splitlines()))
    except Unsupported as e:
        print(f"install: {e} has no uv equivalent here; installing with pip", flush=True)
        return False
    if run([py, "-m", "pip", "install", "-q", "uv"]) != 0:
        print("install: could not install uv; installing with pip", flush=True)
        return False
    uv = str(Path(py).parent / "uv")
    if run([uv, "pip", "install", "-q", "--python", py, *flags, "-e", target], env) != 0:
        print("install: uv failed; installing with pip", flush=True)
        return False
    return True


def with_pip(target: str) -> bool:
    py = sys.executable
    return (run([py, "-m", "pip", "install", "-q", "--upgrade", "pip"]) == 0
            and run([py, "-m", "pip", "install", "-q", "--no-compile", "-e", target]) == 0)


def compile_all(skip: tuple[str, ...] = ()) -> None:
    """The bytecode of every installed file but those whose path in site-packages matches one of
    the regular expressions ``skip`` at its start, on all cores (files already compiled are only
    checked). A file that does not compile (torch ships one in Python 3.12 syntax) is skipped, as
    pip skips it."""
    import compileall  # noqa: PLC0415
    import re  # noqa: PLC0415
    import sysconfig  # noqa: PLC0415

    purelib = sysconfig.get_path("purelib")
    rx = re.compile("^" + re.escape(purelib) + "/(" + "|".join(skip) + ")") if skip else None
    compileall.compile_dir(purelib, quiet=2, workers=0, rx=rx)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--installer", choices=INSTALLERS, default=os.environ.get("GLOROT_INSTALLER", "auto"),
                   help="auto: uv, else pip (default; or set GLOROT_INSTALLER); uv: uv only; pip: pip only")
    p.add_argument("extras", nargs="?", default="dev",
                   help='extras to install (default: dev; "" for the project alone, as make reproduce does)')
    a = p.parse_args(argv)
    if a.installer not in INSTALLERS:  # argparse does not check a default (GLOROT_INSTALLER)
        print(f"error: GLOROT_INSTALLER={a.installer!r}; valid choices: {', '.join(INSTALLERS)}", file=sys.stderr)
        return 2
    if sys.prefix == sys.base_prefix:
        print(f"error: {sys.executable} is not a virtual environment's python; run it as .venv/bin/python "
              "(make setup does)", file=sys.stderr)
        return 2
    target = f".[{a.extras}]" if a.extras else "."
    t0 = time.perf_counter()
    ok = a.installer != "pip" and with_uv(target)
    if not ok and a.installer == "uv":
        return 1
    how = "uv"
    if not ok:
        how = "pip"
        if not with_pip(target):
            return 1
    t1 = time.perf_counter()
    compile_all(() if a.extras else NOT_IMPORTED)
    print(f"install: {target} with {how} in {t1 - t0:.0f} s, bytecode in {time.perf_counter() - t1:.0f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
