"""glorot.cli: the argument types every command line shares, and glorot.files.why_unwritable, which
they and the trainer's pre-run check use for output folders."""

from __future__ import annotations

import argparse
import os

import pytest

from glorot.cli import Parser, check_writable, choices_list, nonnegative_int, positive_float, positive_int
from glorot.files import why_unwritable


@pytest.mark.parametrize("parse,good,bad", [
    (positive_int, [("1", 1), ("250", 250)], ["0", "-3", "2.5", "x", ""]),
    (nonnegative_int, [("0", 0), ("7", 7)], ["-1", "1e3", "x"]),
    (positive_float, [("0.5", 0.5), ("25000", 25000.0), ("1e-3", 1e-3)], ["0", "-1", "nan", "inf", "-inf", "x"]),
])
def test_number_types_take_their_range_and_name_the_bad_value(parse, good, bad):
    for text, value in good:
        assert parse(text) == value
    for text in bad:
        with pytest.raises(argparse.ArgumentTypeError, match="is not valid; it must be") as e:
            parse(text)
        assert text in str(e.value)


def test_a_comma_list_of_choices_names_only_the_bad_items():
    parse = choices_list(("png", "pdf", "svg"), "formats")
    assert parse("png,svg") == ["png", "svg"] and parse("pdf") == ["pdf"]
    with pytest.raises(argparse.ArgumentTypeError, match=r"^'bmp', 'gif' is not valid; valid formats: png, pdf, svg$"):
        parse("png,bmp,gif")
    with pytest.raises(argparse.ArgumentTypeError):
        parse(",")


def test_the_parser_refuses_in_one_line_with_exit_2(capsys):
    p = Parser(prog="tool")
    p.add_argument("--jobs", type=positive_int)
    with pytest.raises(SystemExit) as e:
        p.parse_args(["--jobs", "0"])
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert err == "error: argument --jobs: 0 is not valid; it must be an integer >= 1 (see tool --help)\n"


def test_why_unwritable(tmp_path, capsys):
    assert why_unwritable(tmp_path / "new" / "deeper") is None  # created later, under a writable folder
    assert not (tmp_path / "new").exists()  # the probe leaves nothing
    assert list(tmp_path.iterdir()) == []
    f = tmp_path / "a-file"
    f.write_text("x")
    assert why_unwritable(f / "x") == f"{f} is a file"
    assert why_unwritable(f) == f"{f} is a file"
    if os.geteuid() != 0:  # root writes anywhere a permission bit forbids
        ro = tmp_path / "ro"
        ro.mkdir(0o555)
        assert why_unwritable(ro / "out").startswith(f"{ro} is not writable")
    p = Parser(prog="tool")
    with pytest.raises(SystemExit):
        check_writable(p, "--out", f / "x")
    assert capsys.readouterr().err == f"error: argument --out: cannot write {f / 'x'}: {f} is a file (see tool --help)\n"
    check_writable(p, "--out", None)  # not given: nothing to check


def test_device_names_what_this_machine_has(capsys):
    import torch  # noqa: PLC0415

    from glorot.cli import device  # noqa: PLC0415

    p = Parser(prog="tool")
    assert device(p, "--device", "cpu") == torch.device("cpu")
    assert device(p, "--device", "auto").type == ("cuda" if torch.cuda.is_available() else "cpu")
    refused = ["gpu0", "cuda:x", f"cuda:{torch.cuda.device_count()}"]  # the last: one past the last GPU
    if not torch.cuda.is_available():
        refused.append("cuda")
    for text in refused:
        with pytest.raises(SystemExit) as e:
            device(p, "--device", text)
        assert e.value.code == 2
        err = capsys.readouterr().err.splitlines()
        assert len(err) == 1 and err[0].startswith("error: argument --device: ") and text in err[0]
    # the trainer's train.device goes through the same check, with its own name for the setting
    from glorot.config import ConfigError  # noqa: PLC0415
    from glorot.trainer import resolve_device  # noqa: PLC0415

    assert resolve_device("auto") == device(p, "--device", "auto")
    for text in refused:
        with pytest.raises(ConfigError, match=f"^train.device=.*{text}.*(valid choices|use train.device=cpu)"):
            resolve_device(text)


@pytest.mark.parametrize("module,command", [("glorot.plan", "make plan"), ("glorot.campaign", "make campaign")])
def test_library_modules_run_as_commands_say_which_command_to_run(module, command):
    """``python -m glorot.plan`` printed nothing and exited 0; now one line names the command."""
    import subprocess  # noqa: PLC0415
    import sys  # noqa: PLC0415

    r = subprocess.run([sys.executable, "-m", module], capture_output=True, text=True, timeout=120)
    assert r.returncode != 0 and r.stdout == ""
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and command in lines[0] and "library module" in lines[0]
