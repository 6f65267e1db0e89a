"""Copy the gallery table (results/gallery.md, written by the plotting stage) into README.md between
its ``<!-- gallery:start ... -->`` and ``<!-- gallery:end -->`` markers, so the README shows the
committed verdicts and never a hand-edited copy of them.

    python scripts/sync_readme.py          # rewrite the block
    python scripts/sync_readme.py --check  # exit 1 if the README's block differs (tests/test_gallery.py)
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
from glorot.cli import Parser  # noqa: E402
START, END = "<!-- gallery:start (results/gallery.md) -->", "<!-- gallery:end -->"


def synced(readme: str, gallery: str) -> str:
    pat = re.compile(re.escape(START) + r"\n.*?" + re.escape(END), re.S)
    if not pat.search(readme):
        raise ValueError(f"README.md has no {START} ... {END} block")
    return pat.sub(lambda _: f"{START}\n{gallery.strip()}\n{END}", readme, count=1)


def main(argv: list[str] | None = None) -> int:
    p = Parser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--check", action="store_true", help="only compare; exit 1 if the README is out of date")
    p.add_argument("--readme", type=Path, default=ROOT / "README.md")
    p.add_argument("--gallery", type=Path, default=ROOT / "results" / "gallery.md")
    a = p.parse_args(argv)
    old = a.readme.read_text()
    new = synced(old, a.gallery.read_text())
    if a.check:
        if old != new:
            print(f"error: {a.readme} shows another gallery than {a.gallery}; run python scripts/sync_readme.py",
                  file=sys.stderr)
            return 1
        return 0
    if old != new:
        a.readme.write_text(new)
        print(f"{a.readme}: gallery block updated from {a.gallery}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
