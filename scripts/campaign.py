#!/usr/bin/env python
"""The paper-profile GPU campaign, chunk by chunk (glorot.campaign; issue 12).

    python scripts/campaign.py status                                   # what is done, what is next
    python scripts/campaign.py status --bench results/bench/<gpu>.json  # ... with times at its rates
    python scripts/campaign.py run --deadline-s 420 --bench <json> --out <dir>   # train the next chunks
    python scripts/campaign.py ingest <dir-or-records.tar.gz>           # returned records -> results/runs

What is done is read off the run folders under <results-dir>/runs/<profile>/ (member by member),
so `status` after `ingest` shows the next chunk. `run` trains chunks in order while the next one's
estimate fits the deadline, each sized to at most --chunk-s at the measured rate, and rewrites
<out>/records.tar.gz (the compact records, never checkpoints) after each finished chunk.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main(argv: list[str] | None = None) -> int:
    from glorot import campaign as C  # noqa: PLC0415
    from glorot.cli import Parser, positive_float, positive_int  # noqa: PLC0415

    p = Parser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)

    def common(sp):
        sp.add_argument("--campaign", default="paper", help=f"one of {', '.join(C.CAMPAIGNS)} (default: paper)")
        sp.add_argument("--results-dir", default=str(ROOT / "results"), help="holds runs/<profile>/ (default: results)")
        sp.add_argument("--bench", default=None, metavar="JSON",
                        help="a benchmark JSON (scripts/benchmark.py --json): chunk sizes and times at its rates")
        sp.add_argument("--rate", type=positive_float, default=None,
                        help="instead of --bench: one 5x1000-equivalent member-updates/s for every stack size")
        sp.add_argument("--cuda-graph", action="store_true",
                        help="size with the CUDA-graph rows of --bench (and, for run, train with train.cuda_graph=true)")
        sp.add_argument("--chunk-s", type=positive_float, default=420.0,
                        help="the most estimated seconds one chunk may take (default 420: ~7 min)")

    st = sub.add_parser("status", help="print the chunk table (done / next / size / est. time / records)")
    common(st)
    st.add_argument("--json", action="store_true", help="print the table as JSON")

    rn = sub.add_parser("run", help="train the next unfinished chunks under a deadline")
    common(rn)
    rn.add_argument("--deadline-s", type=positive_float, required=True, help="stop starting chunks after this many seconds")
    rn.add_argument("--out", type=Path, default=None, help="write train.log, campaign.json, records.tar.gz here")
    rn.add_argument("--max-chunks", type=positive_int, default=None, help="train at most this many chunks")
    rn.add_argument("--device", default="auto", help="train.device for every chunk (auto | cpu | cuda)")
    rn.add_argument("overrides", nargs="*", help="extra Hydra overrides for every chunk")

    ig = sub.add_parser("ingest", help="unpack returned records into <results-dir>/runs/")
    ig.add_argument("source", type=Path, help="a records.tar.gz, or a folder holding some")
    ig.add_argument("--results-dir", default=str(ROOT / "results"))
    ig.add_argument("--force", action="store_true", help="replace runs that are already complete")

    bf = sub.add_parser("bench-for-this-gpu", help="print the newest results/bench JSON measured on this "
                        "machine's GPU model (nothing when there is none or no GPU)")
    bf.add_argument("--bench-dir", type=Path, default=ROOT / "results" / "bench")

    a = p.parse_args(argv)
    if a.cmd == "bench-for-this-gpu":
        import torch  # noqa: PLC0415

        name = torch.cuda.get_device_name(0) if torch.cuda.is_available() else None
        hit = C.bench_for_device(a.bench_dir, name)
        if hit is not None:
            print(hit)
        return 0
    if a.cmd == "ingest":
        if not a.source.exists():
            print(f"error: {a.source} does not exist", file=sys.stderr)
            return 2
        bench = C.ingest_bench(a.source, Path(a.results_dir) / "bench") if a.source.is_dir() else None
        try:
            written = C.ingest(a.source, Path(a.results_dir) / "runs", force=a.force)
        except FileNotFoundError as e:
            if bench is None:
                print(f"error: {e}", file=sys.stderr)
                return 2
            written = []
            print(f"no records in {a.source} (no chunk finished in that window)")
        except (ValueError, FileExistsError, OSError) as e:
            print(f"error: {e}", file=sys.stderr)
            return 2
        if bench is not None:
            print(f"benchmark -> {bench}")
        for w in written:
            print(f"ingested {w}")
        paths = [str(w) for w in written] + ([str(bench)] if bench else [])
        print(f"{len(written)} run folder(s); commit them with: git add {' '.join(paths[:4])}"
              + (" ..." if len(paths) > 4 else ""))
        return 0

    if a.campaign not in C.CAMPAIGNS:
        print(f"error: --campaign {a.campaign!r} is not valid; valid choices: {', '.join(C.CAMPAIGNS)}",
              file=sys.stderr)
        return 2
    if a.bench and not Path(a.bench).exists():
        print(f"error: --bench {a.bench}: no such file", file=sys.stderr)
        return 2
    if a.rate is not None:
        rates, source = a.rate, f"--rate {a.rate:g}"
    else:
        try:
            gpu = a.cmd == "run" and a.device != "cpu" and _cuda()
            rates, source = C.load_rates(a.bench, a.cuda_graph, gpu=gpu or a.cmd == "status")
        except (ValueError, KeyError, json.JSONDecodeError) as e:
            print(f"error: --bench {a.bench}: {e}", file=sys.stderr)
            return 2
    if a.cmd == "status":
        units = C.plan_campaign(a.campaign, a.results_dir, rates, budget_s=a.chunk_s)
        if a.json:
            print(json.dumps([{"profile": u.profile, "experiment": u.experiment, "members": u.n_members,
                               "done": u.n_done, "chunks": [{"chunk": c.label, "members": len(c.members),
                                                             "est_s": c.seconds, "record_bytes": c.record_bytes}
                                                            for c in u.chunks]} for u in units], indent=2))
            return 0
        print(f"campaign {a.campaign} (results in {a.results_dir}/runs); rates: {source}; "
              f"chunks of at most {a.chunk_s:.0f} s")
        print(C.status_table(units))
        return 0

    overrides = [f"train.device={a.device}", *(["train.cuda_graph=true"] if a.cuda_graph else []), *a.overrides]
    print(f"campaign {a.campaign}: deadline {a.deadline_s:.0f} s, chunks of at most {a.chunk_s:.0f} s; "
          f"rates: {source}", flush=True)
    summary = C.run_campaign(a.campaign, a.results_dir, a.deadline_s, rates, a.chunk_s, overrides, a.out,
                             a.max_chunks)
    print(f"campaign {a.campaign}: {len(summary['chunks'])} chunk(s) trained; stopped: {summary['stopped']}")
    failed = [c for c in summary["chunks"] if not c["complete"]]
    return 1 if failed else 0


def _cuda() -> bool:
    import torch  # noqa: PLC0415

    return torch.cuda.is_available()


if __name__ == "__main__":
    raise SystemExit(main())
