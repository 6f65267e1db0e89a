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
                     "--constraint", "/etc/xdg/pip/constraints.txt",
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
