"""scripts/install.py: pip's configuration, as `pip config list` prints it, becomes uv's options."""

import importlib.util
from pathlib import Path

import pytest

spec = importlib.util.spec_from_file_location("install", Path(__file__).resolve().parents[1] / "scripts" / "install.py")
install = importlib.util.module_from_spec(spec)
spec.loader.exec_module(install)

# what `pip config list` printed on the 2-core VM (config file + PIP_* variables)
VM = """:env:.cert='/etc/ssl/certs/ca-certificates.crt'
:env:.default-timeout='180'
:env:.disable-pip-version-check='1'
:env:.find-links='/opt/wheels'
global.cert='/etc/ssl/certs/ca-certificates.crt'
global.constraint='/etc/xdg/pip/constraints.txt'
global.extra-index-url='file:///opt/pypi/simple file:///opt/pypi-more/simple'
global.find-links='/opt/wheels'
""".splitlines()


def test_the_vms_pip_configuration_becomes_uvs():
    flags, env = install.uv_options(install.pip_config(VM))
    assert flags == ["--index-strategy", "unsafe-best-match",
                     "--constraints", "/etc/xdg/pip/constraints.txt",
                     "--extra-index-url", "file:///opt/pypi/simple", "--extra-index-url", "file:///opt/pypi-more/simple",
                     "--find-links", "/opt/wheels"]
    assert env == {"SSL_CERT_FILE": "/etc/ssl/certs/ca-certificates.crt", "UV_HTTP_TIMEOUT": "180"}


def test_environment_over_install_over_global():
    cfg = install.pip_config(["global.index-url='https://a/simple'", ":env:.index-url='https://c/simple'",
                              "install.index-url='https://b/simple'", "global.pre='true'", "global.no-index='0'",
                              "not a config line", "global.trusted-host=\"h1 h2\""])
    assert cfg == {"index-url": "https://c/simple", "pre": "true", "no-index": "0", "trusted-host": "h1 h2"}
    flags, env = install.uv_options(cfg)
    assert flags == ["--index-strategy", "unsafe-best-match", "--index-url", "https://c/simple",
                     "--prerelease", "allow", "--allow-insecure-host", "h1", "--allow-insecure-host", "h2"]
    assert env == {}
    assert "--no-index" in install.uv_options({"no-index": "yes"})[0]


def test_an_option_uv_is_not_told_about_means_pip():
    with pytest.raises(install.Unsupported, match="only-binary"):
        install.uv_options({"find-links": "/w", "only-binary": ":all:"})
    assert install.uv_options({})[0] == ["--index-strategy", "unsafe-best-match"]


def test_refuses_to_run_outside_a_virtual_environment(monkeypatch, capsys):
    monkeypatch.setattr(install.sys, "prefix", install.sys.base_prefix)
    assert install.main(["--installer", "pip"]) == 2
    assert "not a virtual environment" in capsys.readouterr().err


def test_pip_installs_when_uv_cannot_be_told_or_fails(monkeypatch):
    """An option uv has no equivalent for: no uv is installed and pip does the install; a uv that
    fails: pip does it; --installer uv: no pip fallback."""
    calls = []
    monkeypatch.setattr(install, "run", lambda cmd, env=None: calls.append(cmd[1:4]) or 0)
    monkeypatch.setattr(install, "compile_all", lambda skip=(): calls.append("compile"))
    config = {"out": "global.only-binary=':all:'\n"}
    monkeypatch.setattr(install.subprocess, "run",
                        lambda *a, **k: type("R", (), {"returncode": 0, "stdout": config["out"]})())
    assert install.main([]) == 0
    assert calls == [["-m", "pip", "install"], ["-m", "pip", "install"], "compile"]  # pip: upgrade, project
    calls.clear()
    config["out"] = "global.find-links='/w'\n"
    monkeypatch.setattr(install, "run", lambda cmd, env=None: calls.append(cmd[1:4]) or (1 if cmd[0].endswith("uv") else 0))
    assert install.main([]) == 0
    assert calls == [["-m", "pip", "install"], ["pip", "install", "-q"],  # uv installed, uv failed
                     ["-m", "pip", "install"], ["-m", "pip", "install"], "compile"]
    calls.clear()
    assert install.main(["--installer", "uv"]) == 1
    assert "compile" not in calls


def test_a_bad_installer_in_the_environment_is_refused(monkeypatch, capsys):
    monkeypatch.setenv("GLOROT_INSTALLER", "conda")
    assert install.main([]) == 2
    assert "GLOROT_INSTALLER='conda'; valid choices: auto, uv, pip" in capsys.readouterr().err


def test_the_project_alone_leaves_the_unimported_packages_uncompiled(monkeypatch, tmp_path):
    """`install.py ""` (make reproduce's install) compiles every file but those of NOT_IMPORTED's
    packages; the dev install (make setup, make test) compiles them too. Real compileall on a fake
    site-packages: which .py files got a .pyc."""
    import sysconfig

    site = tmp_path / "site-packages"
    files = ["torch/nn/a.py", "sympy/core/b.py", "sympy_like/c.py", "pip/d.py", "e.py", "mod_sympy/f.py",
             "pandas/tests/g.py", "numpy/linalg/tests/h.py", "torch/_dynamo/i.py", "torch/testing/_internal/j.py",
             "contests/k.py"]
    for f in files:
        (site / f).parent.mkdir(parents=True, exist_ok=True)
        (site / f).write_text("x = 1\n")
    monkeypatch.setattr(sysconfig, "get_path", lambda name: str(site))
    monkeypatch.setattr(install, "run", lambda cmd, env=None: 0)
    monkeypatch.setattr(install.subprocess, "run",
                        lambda *a, **k: type("R", (), {"returncode": 0, "stdout": ""})())

    def compiled():
        return sorted(str(p.parent.parent.relative_to(site) / p.name.split(".")[0]) for p in site.rglob("*.pyc"))

    assert install.main([""]) == 0
    assert compiled() == ["contests/k", "e", "mod_sympy/f", "sympy_like/c", "torch/nn/a", "torch/testing/_internal/j"]
    assert install.main([]) == 0  # the dev extras: everything
    assert len(compiled()) == len(files)
