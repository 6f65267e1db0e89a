"""The gallery: a static page that a real browser (headless Chromium) opens with every image loaded."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from fixtures_tables import make_data

from glorot import plot

CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="module")
def gallery(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("gallery")
    data = make_data(seeds=(0, 1), only=["init_tanh", "table1"])
    plot.make_all(data, out, only=["fig05", "fig07", "fig12", "jacobian", "fig02", "table1"], runs_label="fixture",
                  formats=("png",), dpi=40)
    return out


def test_page_content(gallery):
    page = (gallery / "index.html").read_text()
    for needle in ("s claim.", "Table 1", "Welch", "python -m glorot.train experiment=init_tanh profile=smoke",
                   "python -m glorot.plot --runs fixture", "0123456789ab", "cpu (fixture)", "1.5 s",
                   "figures/fig07_grad_s_hist_init.png", "missing"):
        assert needle in page, needle
    assert "http://" not in page and "https://" not in page and "<script" not in page  # self-contained
    # the overview first: every claim by its title, a coloured badge, profile and device, a link
    overview = page[page.index("<h2>Overview</h2>"):page.index("<div class='fig'")]
    for needle in ("Fig. 2: sigmoid saturation of the top layer", "href='#fig07'", "class='badge'",
                   "profile smoke", "device cpu (fixture)", "computed on the fly"):
        assert needle in overview, needle
    # sections titled by the claim, the paper's number beside ours, with n / spread or p / threshold
    assert "<h2>Fig. 12: MNIST test error; Tanh N below Tanh" in page
    assert "Tanh N 1.64% vs Tanh 1.76%" in page and "<th>spread or p</th>" in page and "Welch p &lt; 0.005" in page
    md = (gallery / "gallery.md").read_text().splitlines()
    assert md[0] == "| claim | verdict | profile, budget, device | ours vs paper | command | image |"
    assert any(line.startswith("| Fig. 7:") and "fig07_grad_s_hist_init.png" in line and "profile smoke" in line
               for line in md)
    # its links are relative to where the plot stage ran, as the README that copies them is: the
    # table's too (it once read table1.md, which from the README's folder is no file)
    row = next(line for line in md if line.startswith("| Table 1:"))
    assert row.endswith(f"[table1.md]({os.path.relpath(gallery / 'table1.md')}) |"), row


@pytest.mark.skipif(not (shutil.which(CHROMIUM) and shutil.which(CHROMEDRIVER)),
                    reason="headless Chromium absent: apt-get install -y chromium chromium-driver (.ci/run does)")
def test_every_image_loads_in_chromium(gallery):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for f in FLAGS:
        opts.add_argument(f)
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=opts)
    try:
        driver.set_page_load_timeout(60)
        driver.get((gallery / "index.html").as_uri())
        assert "glorot" in driver.title
        imgs = driver.find_elements("tag name", "img")
        assert len(imgs) == 4  # fig05, fig07, fig12 (MNIST table1), jacobian; fig02 is missing (no runs)
        for img in imgs:
            ok = driver.execute_script("return arguments[0].complete && arguments[0].naturalWidth > 0", img)
            assert ok, img.get_attribute("src")
        assert driver.find_element("id", "table1").text.count("Tanh") >= 2
    finally:
        driver.quit()


def test_readme_shows_the_committed_gallery():
    """README.md's gallery block is results/gallery.md as the plotting stage wrote it (make readme),
    and the sync refuses a README without the block."""
    import importlib.util  # noqa: PLC0415

    root = Path(__file__).resolve().parents[1]
    spec = importlib.util.spec_from_file_location("sync_readme", root / "scripts" / "sync_readme.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    assert mod.main(["--check"]) == 0, "README.md's gallery is stale: run make readme"
    readme = f"x\n{mod.START}\nold\n{mod.END}\ny\n"
    assert mod.synced(readme, "| new |\n") == f"x\n{mod.START}\n| new |\n{mod.END}\ny\n"
    with pytest.raises(ValueError):
        mod.synced("no block", "| new |")


def test_redrawing_some_claims_keeps_the_rest_of_the_gallery(tmp_path):
    """``--only`` (each gallery row's own command) redraws its claims into the gallery that holds
    the others: the files equal a whole redraw's (before, they held the named claims alone, and
    the row's command emptied the committed verdicts.csv and gallery of everything else)."""
    data = make_data(seeds=(0, 1), only=["init_tanh", "table1"])
    whole, part = tmp_path / "whole", tmp_path / "part"
    some = ["fig05", "fig07", "fig12", "jacobian", "table1"]
    plot.make_all(data, whole, only=some, runs_label="fixture", formats=("png",), dpi=40, jobs=1)
    shutil.copytree(whole, part)
    for only in (["fig07"], ["table1", "fig05"]):
        plot.make_all(data, part, only=only, runs_label="fixture", formats=("png",), dpi=40, jobs=1)
        for name in ("verdicts.csv", "table1.csv", "gallery.md", "index.html"):
            a = (whole / name).read_text().replace(os.path.relpath(whole), "OUT").replace(str(whole), "OUT")
            b = (part / name).read_text().replace(os.path.relpath(part), "OUT").replace(str(part), "OUT")
            assert a == b, (only, name)
    verdicts = (part / "verdicts.csv").read_text()
    assert "fig07" in verdicts and "jacobian" in verdicts and "fig12" in verdicts



def _as_profile(data, profile: str):
    for frame in vars(data).values():
        if "profile" in frame:
            frame["profile"] = profile
    return data


def test_redrawing_some_claims_without_the_others_runs_keeps_their_sections(tmp_path):
    """A fresh clone has the committed gallery but not the quick runs it was drawn from: a row's
    ``--only`` command there kept the other claims' verdicts and figures, but rewrote their
    provenance (dropped), their commands (``profile=smoke``), their runs' caption ("no runs") and
    Table 1's caption from the runs it had. Now they stay as the last drawing wrote them."""
    whole, part = tmp_path / "whole", tmp_path / "part"
    some = ["fig07", "fig12", "table1"]
    full = _as_profile(make_data(seeds=(0, 1), only=["init_tanh", "table1"]), "quick")
    plot.make_all(full, whole, only=some, runs_label="fixture", formats=("png",), dpi=40, jobs=1)
    shutil.copytree(whole, part)
    fewer = _as_profile(make_data(seeds=(0, 1), only=["init_tanh"]), "quick")  # no table1 runs
    plot.make_all(fewer, part, only=["fig07"], runs_label="fixture", formats=("png",), dpi=40, jobs=1)
    for name in ("verdicts.csv", "table1.csv", "table1.md", "gallery.md", "index.html"):
        a = (whole / name).read_text().replace(os.path.relpath(whole), "OUT").replace(str(whole), "OUT")
        b = (part / name).read_text().replace(os.path.relpath(part), "OUT").replace(str(part), "OUT")
        assert a == b, name
    assert "experiment=table1 profile=quick" in (part / "index.html").read_text()


def test_only_names_a_figure_by_its_number_and_nothing_else():
    """``--only fig1`` is Fig. 1 (it matched fig10-fig12 too, a part of their file names); ``fig6``,
    ``Figure6`` and ``fig06`` are the same claim; other names are still parts of file names."""
    def ids(*only):
        return [c.id for c in plot.select(list(only))]

    assert ids("fig1") == ids("fig01") == ids("Figure1") == ["fig01"]
    assert ids("fig6", "fig07") == ids("fig06", "FIG7") == ["fig06", "fig07"]
    assert ids("fig13") == [] and ids("fig6x") == []
    assert ids("relu30") == ["relu30_init", "relu30_dead", "relu30_train"]
    assert ids("test_error") == ["fig11", "fig12"]
    assert plot.claim_ids(["fig12", "table1"]) == ["fig12", "table1"]


def test_only_help_names_every_claim_that_is_not_a_figure():
    """``--only``'s help listed the claim ids by hand (relu30_dead was missing until it was added there);
    now it reads them from glorot/claims/: the same ids as the registry's."""
    from glorot import claims

    want = sorted(c.id for c in claims.all_claims() if not plot._FIG_ID.fullmatch(c.id))
    assert plot.claim_names() == want and "relu30_dead" in want and "table1" in want
