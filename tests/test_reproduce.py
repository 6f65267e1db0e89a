"""`make reproduce PROFILE=smoke` end to end (the real script, into a temporary folder): every
expected file is produced, a second call skips the finished runs, and the notebook runs on the
results. Numbers at the smoke profile mean nothing; only the plumbing is checked here."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pandas as pd
import pytest
import yaml
from nbclient import NotebookClient

from glorot.figures import FIGURES
from glorot.judging import INCONCLUSIVE, NOT, REPRODUCED
from glorot.theory_claims import ACTIVATIONS
from glorot.verdicts import CHECKS
from helpers import ROOT

sys.path.insert(0, str(ROOT / "scripts"))
from reproduce import EXPERIMENTS  # noqa: E402


@pytest.fixture(scope="module")
def smoke(tmp_path_factory):
    base = tmp_path_factory.mktemp("smoke")
    out = base / "out"
    cmd = [sys.executable, "scripts/reproduce.py", "--profile", "smoke", "--results-dir", str(base),
           "--out", str(out)]
    r = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    # as this run wrote it (test_second_call_skips_finished_runs writes the summary again)
    (base / "first_summary.json").write_text((out / "reproduce_summary.json").read_text())
    return base, out, r


def test_every_experiment_ran_and_every_file_exists(smoke):
    base, out, _ = smoke
    for exp in EXPERIMENTS:
        assert (base / "runs" / "smoke" / exp / "members.csv").exists(), exp
    for spec in FIGURES:
        for ext in ("png", "pdf"):
            p = out / "figures" / f"{spec.stem}.{ext}"
            assert p.exists() and p.stat().st_size > 1000, p
    for name in ("table1.csv", "table1.md", "verdicts.csv", "index.html", "gallery.md"):
        assert (out / name).exists(), name
    v = pd.read_csv(out / "verdicts.csv")
    assert set(CHECKS) <= set(v.figure)
    assert set(v.verdict) <= {"reproduced", "not reproduced", "inconclusive", "missing"}
    assert "missing" not in set(v.verdict), v[v.verdict == "missing"]  # every run was there
    html = (out / "index.html").read_text()
    for spec in FIGURES:
        assert f"figures/{spec.stem}.png" in html
    # the summary states the thread count the runs trained with (the workers', not this process's)
    info = json.loads((base / "first_summary.json").read_text())
    used = {json.loads((base / "runs" / "smoke" / e / "run.json").read_text())["threads"] for e in EXPERIMENTS}
    assert used == {info["threads"]}, (info["mode"], used)


def test_depth30_is_one_verdict_and_a_context_row_per_activation(smoke):
    """depth30's real config at the smoke profile (7 activations x 5 inits, 1 seed), judged by the
    plot stage: one counted verdict, one context row per activation, all labelled smoke."""
    base, out, _ = smoke
    cfg = yaml.safe_load((base / "runs" / "smoke" / "depth30" / "config.yaml").read_text())
    assert cfg["model"]["width"] == 64 and cfg["model"]["depth"] == 30 and cfg["train"]["updates"] == 0
    v = pd.read_csv(out / "verdicts.csv")
    v = v[v.figure == "depth30"]
    assert (v.role == "verdict").sum() == 1 and len(v) == 1 + len(ACTIVATIONS)
    assert v.verdict.isin([REPRODUCED, NOT, INCONCLUSIVE]).all() and (v.profile == "smoke").all()
    assert "depth30" in (out / "gallery.md").read_text()


def test_second_call_skips_finished_runs(smoke):
    """A second call skips every run, and its summary keeps each run's earlier wall time, which the
    next run's order and time-left estimate read (it used to write the summary without them)."""
    from reproduce import previous_walls

    base, out, _ = smoke
    summary = out / "reproduce_summary.json"
    first = previous_walls(EXPERIMENTS, summary, "smoke")
    assert set(first) == set(EXPERIMENTS)
    r = subprocess.run([sys.executable, "scripts/reproduce.py", "--profile", "smoke", "--results-dir",
                        str(base), "--out", str(out), "--skip-plots"], cwd=ROOT, capture_output=True,
                       text=True, timeout=300)
    assert r.returncode == 0
    assert r.stdout.count("complete, skipped") == len(EXPERIMENTS)
    rows = json.loads(summary.read_text())["experiments"]
    assert {e["status"] for e in rows} == {"skipped"} and all(e["wall_s"] is None for e in rows)
    assert previous_walls(EXPERIMENTS, summary, "smoke") == first


def test_unknown_experiment_is_refused(tmp_path):
    r = subprocess.run([sys.executable, "scripts/reproduce.py", "--only", "fig99", "--results-dir",
                        str(tmp_path)], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and "fig99" in r.stderr and "init_tanh" in r.stderr


def test_only_takes_a_comma_separated_list_too(tmp_path):
    """``--only a,b`` (as Hydra writes a list) is ``--only a b``; a bad name in it is still refused."""
    base = [sys.executable, "scripts/reproduce.py", "--profile", "smoke", "--results-dir", str(tmp_path), "--plan"]
    r = subprocess.run([*base, "--only", "fig2_sigmoid,pitfall_linear"], cwd=ROOT, capture_output=True, text=True,
                       timeout=120)
    assert r.returncode == 0, r.stderr
    rows = [ln.split()[0] for ln in r.stdout.splitlines() if ln.split()[:1] and ln.split()[0] in EXPERIMENTS]
    assert rows == ["fig2_sigmoid", "pitfall_linear"], r.stdout
    r = subprocess.run([*base, "--only", "fig2_sigmoid,fig99"], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and "['fig99']" in r.stderr


def test_notebook_runs_on_smoke_results(smoke):
    base, _, _ = smoke
    nb = nbformat.read(ROOT / "notebooks" / "explore_results.ipynb", as_version=4)
    os.environ["GLOROT_RUNS"] = str(base / "runs" / "smoke")
    try:
        NotebookClient(nb, timeout=300, kernel_name="python3",
                       resources={"metadata": {"path": str(ROOT / "notebooks")}}).execute()
    finally:
        del os.environ["GLOROT_RUNS"]
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert not errors


def test_a_partial_run_keeps_the_whole_suites_summary(smoke):
    """``--only`` writes reproduce_summary_partial.*; the whole suite's summary (and with it the
    next run's time-left estimate) stays as the full run wrote it."""
    import json

    base, out, _ = smoke
    full = (out / "reproduce_summary.json").read_text()
    assert {r["experiment"] for r in json.loads(full)["experiments"]} == set(EXPERIMENTS)
    r = subprocess.run([sys.executable, "scripts/reproduce.py", "--profile", "smoke", "--results-dir",
                        str(base), "--out", str(out), "--skip-plots", "--only", "pitfall_linear"],
                       cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    assert (out / "reproduce_summary.json").read_text() == full
    part = json.loads((out / "reproduce_summary_partial.json").read_text())
    assert [e["experiment"] for e in part["experiments"]] == ["pitfall_linear"]
    assert part["mode"] == "in-process"  # complete already: no worker was needed, whatever --jobs was
    assert part["cpu"] and f"of {part['cpu']}," in (out / "reproduce_summary_partial.md").read_text()
    assert "pitfall_linear" in (out / "reproduce_summary_partial.md").read_text().splitlines()[0]
    assert "reproduce_summary_partial.md" in r.stdout


def test_a_partial_run_redraws_its_claims_and_keeps_the_rest(smoke, tmp_path):
    """``--only`` draws the claims of its experiments only, into the gallery that holds the others:
    the verdicts and the gallery equal the whole run's (before, the plot stage redrew everything,
    and on a results folder without the other runs turned their verdicts into "missing")."""
    import shutil

    base, out, _ = smoke
    copy = tmp_path / "out"
    shutil.copytree(out, copy)
    r = subprocess.run([sys.executable, "scripts/reproduce.py", "--profile", "smoke", "--results-dir",
                        str(base), "--out", str(copy), "--only", "pitfall_linear"],
                       cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    assert "the claims of pitfall_linear: pitfall_linear" in r.stdout
    assert (copy / "verdicts.csv").read_text() == (out / "verdicts.csv").read_text()
    rel = os.path.relpath(out, ROOT), os.path.relpath(copy, ROOT)
    assert ((copy / "gallery.md").read_text().replace(str(copy), "OUT").replace(rel[1], "OUT")
            == (out / "gallery.md").read_text().replace(str(out), "OUT").replace(rel[0], "OUT"))



def test_smoke_runs_do_not_replace_stronger_verdicts(smoke, tmp_path, capsys):
    """On a fresh clone after ``make reproduce PROFILE=smoke``, ``make figures`` drew the claims
    whose quick runs are not committed from the smoke runs, over the committed quick verdicts (27
    rows and Table 1). Now it is refused in one line that names them, and writes nothing."""
    import shutil

    from glorot import plot

    base, out, _ = smoke
    copy = tmp_path / "out"
    shutil.copytree(out, copy)
    v = pd.read_csv(copy / "verdicts.csv", dtype=str, keep_default_na=False)
    v.loc[v.profile == "smoke", "profile"] = "quick"  # as if drawn from quick runs
    v.to_csv(copy / "verdicts.csv", index=False)
    before = {f: f.read_bytes() for f in copy.rglob("*") if f.is_file()}
    args = ["--runs", str(base / "runs"), "--out", str(copy), "--formats", "png", "-q", "--jobs", "1"]
    assert plot.main([*args, "--only", "fig3,pitfall_linear"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "fig03" in err[0] and "pitfall_linear" in err[0] and "profile quick" in err[0] \
        and "profile smoke" in err[0] and "--allow-weaker" in err[0], err
    assert {f: f.read_bytes() for f in copy.rglob("*") if f.is_file()} == before
    assert plot.main([*args, "--only", "pitfall_linear", "--allow-weaker"]) == 0
    assert set(pd.read_csv(copy / "verdicts.csv").query("figure == 'pitfall_linear'").profile) == {"smoke"}


def test_bench_floor_reads_every_run_of_a_profile(smoke, tmp_path):
    """scripts/bench_floor.py times the products of every run folder of a finished profile."""
    import json

    base, _, _ = smoke
    out = tmp_path / "floor.json"
    r = subprocess.run([sys.executable, "scripts/bench_floor.py", str(base / "runs" / "smoke"), "--steps", "2",
                        "--old-wall", "100", "--json", str(out)], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    d = json.loads(out.read_text())
    rows = {e["experiment"]: e for e in d["experiments"]}
    assert set(rows) == set(EXPERIMENTS)
    assert rows["table1"]["train_gemm_s"] > 0 and rows["table1"]["eval_gemm_s"] > 0
    assert rows["init_tanh"]["svd_s"] > 0 and rows["init_tanh"]["train_gemm_s"] == 0
    assert d["floor_wall_s"] == sum(e["train_gemm_s"] + e["eval_gemm_s"] + e["svd_s"] for e in rows.values()) / 2
    assert d["max_ratio"] == 100 / d["floor_wall_s"]


def test_workers_are_told_their_share_and_stop_at_once():
    """reproduce.py starts its workers during the pre-run checks: they must see GLOROT_PARALLEL_JOBS
    (one thread each on 2 cores) while this process's environment stays as it was (the plot stage
    inherits it), and close() must stop workers that are still importing (a refusal, or nothing left
    to train) instead of leaving them to finish."""
    from multiprocessing.connection import wait

    from reproduce import Workers

    def ended(procs):  # the sentinel, not is_alive(): the pool's thread reaps them too
        return all(wait([p.sentinel], timeout=0) for p in procs)

    before = os.environ.get("GLOROT_PARALLEL_JOBS")
    workers = Workers(2)
    try:
        assert os.environ.get("GLOROT_PARALLEL_JOBS") == before
        procs = list(workers.ex._processes.values())
        assert len(procs) == 2  # both spawned at once, before any training is submitted
        assert workers.ex.submit(os.getenv, "GLOROT_PARALLEL_JOBS").result(timeout=300) == "2"
    finally:
        workers.close()
    assert ended(procs)
    early = Workers(2)
    procs = list(early.ex._processes.values())
    early.close()  # at once, while they import torch
    assert ended(procs)


def test_an_interrupt_stops_the_suite_in_one_line(tmp_path):
    """Ctrl-C (SIGINT to the process group) while the workers train: the runs in progress stop,
    no experiment starts after it (the pool hands each worker its next one ahead of time; before,
    the workers trained every remaining experiment), and reproduce.py ends with exit 130 and one
    line that says how to go on, without a traceback."""
    import signal

    cmd = [sys.executable, "scripts/reproduce.py", "--profile", "smoke", "--results-dir", str(tmp_path),
           "--out", str(tmp_path / "out"), "--skip-plots"]
    p = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                         start_new_session=True, preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    lines = []
    for line in p.stdout:  # the first experiment has started: interrupt
        lines.append(line)
        if ": training " in line or ": recording at initialization" in line:
            os.killpg(p.pid, signal.SIGINT)
            break
    lines += p.stdout.readlines()
    assert p.wait(timeout=120) == 130, "".join(lines[-30:])
    out = "".join(lines)
    assert "Traceback" not in out, out[-3000:]
    assert lines[-1].startswith("interrupted") and "run the same command" in lines[-1]
    runs = tmp_path / "runs" / "smoke"
    started = [d for d in runs.iterdir() if (d / "train.log").exists()] if runs.exists() else []
    assert len(started) <= 3, [d.name for d in started]  # of 13: the running ones and one handed out



def _children(pid: int) -> list[int]:
    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            out.append(int(stat.parent.name))
    return out


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_a_kill_of_the_suite_stops_its_workers_too(tmp_path):
    """SIGTERM to reproduce.py alone (``kill``, ``timeout``, a job's time limit; SIGHUP when its
    terminal closes): it stops as on Ctrl-C, exit 130 and one line, and its workers stop with it.
    Before, it died at once and its two workers trained on at full speed, orphaned, for minutes."""
    import contextlib
    import signal
    import time

    cmd = [sys.executable, "scripts/reproduce.py", "--profile", "smoke", "--results-dir", str(tmp_path),
           "--out", str(tmp_path / "out"), "--skip-plots", "train.updates=100000", "--only", "table1,saturation"]
    p = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                         start_new_session=True)
    lines, workers = [], []
    try:
        for line in p.stdout:  # a worker trains: kill the parent alone
            lines.append(line)
            if "glorot.trainer" in line and " training " in line and "x 100000 updates" in line:
                workers = [c for c in _children(p.pid) if "spawn_main" in Path(f"/proc/{c}/cmdline").read_text()]
                time.sleep(1.0)  # into its training loop
                os.kill(p.pid, signal.SIGTERM)
                break
        lines += p.communicate(timeout=60)[0].splitlines(keepends=True)  # orphans would hold the pipe
        assert p.returncode == 130, "".join(lines[-30:])
        out = "".join(lines)
        assert "Traceback" not in out and "interrupted at update" in out, out[-3000:]
        assert lines[-1].startswith("interrupted") and "run the same command" in lines[-1]
        assert len(workers) == 2
        deadline = time.time() + 10
        while any(_alive(w) for w in workers) and time.time() < deadline:
            time.sleep(0.2)
        assert not any(_alive(w) for w in workers), workers
    finally:
        for pid in [p.pid, *workers]:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


def test_lines_hands_on_whole_lines():
    from reproduce import Lines

    got = []
    s = Lines(got.append)
    s.write("[a] one\n[b] tw")
    assert got == ["[a] one"]  # a partial line waits for its end
    s.write("o\n\nthree")
    assert got == ["[a] one", "[b] two", ""]
    s.close()
    assert got[-1] == "three" and not s.isatty()


def test_workers_relay_their_output_to_the_parent():
    """With the parent's bar on a terminal the workers' stdout and stderr come back through the
    queue, line by line, for the parent to print above its bar; without it they print as before."""
    from reproduce import Workers

    workers = Workers(2, relay=True)
    try:
        workers.ex.submit(print, "from a worker").result(timeout=300)
        workers.ex.submit(exec, "import sys; print('to stderr', file=sys.stderr)").result(timeout=300)
        workers.ex.shutdown(wait=True)  # the workers end as after a suite: their queue is flushed
        said = workers.relayed()
    finally:
        workers.close()
    assert ("stdout", "from a worker") in said and ("stderr", "to stderr") in said, said
    assert Workers.__init__.__defaults__ == (None,)  # relay follows the terminal unless told


@pytest.mark.parametrize("jobs", ["2", pytest.param("1", marks=pytest.mark.slow)])
def test_log_lines_print_above_the_bar_on_a_terminal(tmp_path, jobs):
    """On a terminal, the runs' log lines (Hydra's console handler, in the workers and in-process)
    are printed on lines of their own above the suite's bar: each starts after the bar was cleared
    (carriage return) or at a new line, never right after the bar's text (before, a worker's line
    was written onto the end of the bar's line). One job: the in-process runs (a 1-core machine)."""
    import pty
    import re

    raw = bytearray()

    def read(fd):
        data = os.read(fd, 4096)
        raw.extend(data)
        return data

    cmd = (f"stty cols 120 rows 40; exec {sys.executable} scripts/reproduce.py --profile smoke --only "
           f"fig2_sigmoid pitfall_linear --skip-plots --jobs {jobs} --results-dir {tmp_path} "
           f"--out {tmp_path / 'out'}")
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        status = pty.spawn(["sh", "-c", cmd], read)
    finally:
        os.chdir(cwd)
    text = raw.decode("utf-8", "replace")
    assert os.waitstatus_to_exitcode(status) == 0, text[-3000:]
    assert "reproduce smoke:" in text  # the bar was drawn
    logs = [m.start() for m in re.finditer(r"\[\d{4}-\d\d-\d\d [\d:,]+\]\[glorot\.trainer\]", text)]
    assert len(logs) >= 4, text[-3000:]  # each run's start and end
    for i in logs:
        assert text[i - 1] in "\r\n", repr(text[max(0, i - 120):i + 40])
