#!/usr/bin/env bash
# One prepared command for a short GPU window (issue 12): run it as it is, from the repo root, on a
# bare GPU machine; everything it makes goes to $OUT, written as it goes.
#
#   1. deps      hydra-core/omegaconf/antlr4 from the carried wheels in .whl/ if python3 lacks them
#   2. versions  torch, CUDA, device, driver, git commit
#   3. cuda      the CUDA tests (pytest -m cuda: tests/test_graphs.py, tests/test_cuda.py, ...)
#   4. bench     scripts/benchmark.py --budget-s 60: naive, torch.func, stacked eager + CUDA graph, K=1..200
#   5. campaign  the next unfinished chunks of the paper campaign (glorot.campaign) under the deadline,
#                sized at the rate step 4 just measured; records.tar.gz rewritten after each chunk
# A failing step never stops the later ones nor loses what the earlier ones wrote.
#
#   bash scripts/gpu_window.sh                       # on the GPU (make gpu-window)
#   bash scripts/gpu_window.sh --device cpu --smoke  # the same path in seconds on a CPU (the test)
# Options: --budget-s N (whole script, default 540: a 600 s command with room to pack),
#          --results-dir DIR (default results), --campaign NAME (default paper; smoke with --smoke).
# Environment: OUT (default /tmp/glorot-window), PY (default python3), GPU_WINDOW_CUDA_GRAPH=0|1|auto
#   (auto: train with the CUDA-graph step when this window's CUDA tests passed), GPU_WINDOW_BENCH_S
#   (timed seconds of the benchmark, default 60), GPU_WINDOW_SKIP_TESTS=1 (later windows, once the
#   CUDA tests passed in an earlier one: more time for training; the graph step then needs CUDA_GRAPH=1),
#   GPU_WINDOW_BENCH=auto|1 (auto: reuse a results/bench/*.json of this GPU model, else measure; 1: measure).
# Files in $OUT (at most 8 come back from a window): window.log, steps.json, bench.json,
# campaign.json, train.log, records.tar.gz. Back home: python scripts/campaign.py ingest <that folder>.
set -u
cd "$(dirname "$0")/.."
T0=$(date +%s)
DEVICE=auto; SMOKE=0; BUDGET=540; RESULTS=results; CAMPAIGN=""
while [ $# -gt 0 ]; do
  case "$1" in
    --device) DEVICE=$2; shift 2;;
    --smoke) SMOKE=1; shift;;
    --budget-s) BUDGET=$2; shift 2;;
    --results-dir) RESULTS=$2; shift 2;;
    --campaign) CAMPAIGN=$2; shift 2;;
    -h|--help) sed -n '2,22p' "$0"; exit 0;;
    *) echo "error: unknown option '$1'; valid: --device cpu|cuda|auto, --smoke, --budget-s N, --results-dir DIR, --campaign NAME" >&2; exit 2;;
  esac
done
case "$DEVICE" in auto|cpu|cuda|cuda:*) ;; *) echo "error: --device '$DEVICE' is not valid; valid choices: auto, cpu, cuda, cuda:N" >&2; exit 2;; esac
case "$BUDGET" in ''|*[!0-9]*) echo "error: --budget-s '$BUDGET' is not valid; it must be a whole number of seconds" >&2; exit 2;; esac
[ -n "$CAMPAIGN" ] || { [ $SMOKE = 1 ] && CAMPAIGN=smoke || CAMPAIGN=paper; }
OUT=${OUT:-/tmp/glorot-window}
PY=${PY:-python3}
mkdir -p "$OUT" || exit 1
exec > >(tee -a "$OUT/window.log") 2>&1
export PYTHONUNBUFFERED=1
STEPS="$OUT/steps.json"
echo "[]" > "$STEPS"

elapsed() { echo $(( $(date +%s) - T0 )); }
left() { echo $(( BUDGET - $(elapsed) )); }
# record(step, rc, seconds, note): append to steps.json (rewritten whole each time)
record() {
  "$PY" - "$STEPS" "$1" "$2" "$3" "${4:-}" <<'EOF' || true
import json, sys
p, name, rc, secs, note = sys.argv[1:]
d = json.load(open(p))
d.append({"step": name, "rc": int(rc), "seconds": int(secs), "note": note})
open(p, "w").write(json.dumps(d, indent=2) + "\n")
EOF
}
step() {  # step NAME TIMEOUT_S CMD...: run, log, record; never exits the script
  local name=$1 limit=$2; shift 2
  local t=$(date +%s)
  echo; echo "=== [$name] $(date -u +%FT%TZ) ($(elapsed) s in, limit ${limit} s): $*"
  timeout --kill-after=10 "$limit" "$@"
  local rc=$?
  echo "=== [$name] exit $rc after $(( $(date +%s) - t )) s"
  record "$name" "$rc" "$(( $(date +%s) - t ))" "$*"
  return $rc
}

echo "glorot GPU window: device=$DEVICE smoke=$SMOKE budget=${BUDGET}s campaign=$CAMPAIGN results=$RESULTS OUT=$OUT"

# 1. deps ---------------------------------------------------------------------------------------
t=$(date +%s)
if "$PY" -c "import hydra, omegaconf" 2>/dev/null; then
  echo "=== [deps] hydra and omegaconf already importable"; rc=0
elif ls .whl/*.whl >/dev/null 2>&1; then
  echo "=== [deps] installing the carried wheels from .whl/ into /tmp/site"
  python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl
  rc=$?
  export PYTHONPATH=/tmp/site${PYTHONPATH:+:$PYTHONPATH}
else
  echo "=== [deps] hydra missing and no wheels in .whl/ (build them with ../shared/tools/device-wheels.sh and carry .whl)"; rc=1
fi
export PYTHONPATH=$PWD/src${PYTHONPATH:+:$PYTHONPATH}
record deps $rc $(( $(date +%s) - t ))

# 2. versions -----------------------------------------------------------------------------------
step versions 60 "$PY" - <<'EOF'
import platform, subprocess, torch
print("python", platform.python_version(), "| torch", torch.__version__, "| CUDA", torch.version.cuda,
      "| cuDNN", torch.backends.cudnn.version() if torch.backends.cudnn.is_available() else None)
if torch.cuda.is_available():
    p = torch.cuda.get_device_properties(0)
    print("device:", torch.cuda.get_device_name(0), f"| {p.total_memory / 2**30:.0f} GiB | cc {p.major}.{p.minor}",
          f"| {p.multi_processor_count} SMs")
else:
    print("device: no CUDA; cpu", platform.processor() or platform.machine())
for cmd in (["nvidia-smi", "--query-gpu=name,driver_version,memory.total,clocks.max.sm", "--format=csv,noheader"],
            ["git", "log", "-1", "--format=commit %H %cI %s"], ["git", "status", "--porcelain", "--untracked-files=no"]):
    try:
        print("$", " ".join(cmd[:2]), "->", subprocess.run(cmd, capture_output=True, text=True, timeout=20).stdout.strip())
    except OSError:
        pass
import hydra, omegaconf
print("hydra", hydra.__version__, "| omegaconf", omegaconf.__version__)
EOF
[ -e data/mnist.pkl.gz ] || echo "WARNING: data/mnist.pkl.gz is missing: MNIST chunks will fail (carry data/mnist.pkl.gz)"

# 3. CUDA tests ---------------------------------------------------------------------------------
CUDA_FILES=$(grep -l "mark.cuda" tests/test_*.py 2>/dev/null | tr '\n' ' ')
CUDA_OK=0
if [ "${GPU_WINDOW_SKIP_TESTS:-0}" = 1 ]; then
  echo "=== [cuda_tests] skipped (GPU_WINDOW_SKIP_TESTS=1)"; record cuda_tests 0 0 "skipped by GPU_WINDOW_SKIP_TESTS=1"
elif [ -n "$CUDA_FILES" ]; then
  step cuda_tests $([ $SMOKE = 1 ] && echo 120 || echo 240) \
    "$PY" -m pytest -q -m cuda -p no:cacheprovider -o addopts="" -rs $CUDA_FILES && CUDA_OK=1
else
  echo "=== [cuda_tests] no test file carries the cuda marker"; record cuda_tests 1 0 "no files"
fi

# 4. benchmark ----------------------------------------------------------------------------------
if [ $SMOKE = 1 ]; then
  BENCH_ARGS=(--depth 2 --width 32 --ks 1,3 --repeats 2 --warmup 1 --copy-mbytes 8 --budget-s 2 --no-record)
  BENCH_LIMIT=90
else
  BENCH_ARGS=(--budget-s "${GPU_WINDOW_BENCH_S:-60}" --no-record)   # K = 1,10,100,200; naive, torch.func, stacked eager + CUDA graph
  BENCH_LIMIT=200
fi
BENCH_OK=0
# a benchmark of this very GPU model committed from an earlier window (results/bench/) sizes the chunks
# as well as a new one and leaves its ~90 s to training; GPU_WINDOW_BENCH=1 measures anyway
REUSE=""
if [ $SMOKE = 0 ] && [ "${GPU_WINDOW_BENCH:-auto}" = auto ]; then
  REUSE=$("$PY" scripts/campaign.py bench-for-this-gpu 2>/dev/null)
fi
if [ -n "$REUSE" ]; then
  echo "=== [bench] skipped: $REUSE was measured on this GPU model in an earlier window (GPU_WINDOW_BENCH=1 to measure)"
  cp "$REUSE" "$OUT/bench.json" && BENCH_OK=1
  record bench 0 0 "reused $REUSE"
else
  step bench $BENCH_LIMIT "$PY" scripts/benchmark.py --device "$DEVICE" "${BENCH_ARGS[@]}" --json "$OUT/bench.json" \
    && BENCH_OK=1
fi

# 5. campaign -----------------------------------------------------------------------------------
CAMPAIGN_ARGS=(--campaign "$CAMPAIGN" --results-dir "$RESULTS" --device "$DEVICE" --out "$OUT")
[ $BENCH_OK = 1 ] && [ -s "$OUT/bench.json" ] && CAMPAIGN_ARGS+=(--bench "$OUT/bench.json")
GRAPH=${GPU_WINDOW_CUDA_GRAPH:-auto}
if [ "$GRAPH" = 1 ] || { [ "$GRAPH" = auto ] && [ $CUDA_OK = 1 ] && [ $BENCH_OK = 1 ] && [ "$DEVICE" != cpu ] \
     && "$PY" -c "import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)"; }; then
  CAMPAIGN_ARGS+=(--cuda-graph)   # the CUDA tests just showed the graph step equal to the eager one
fi
[ $SMOKE = 1 ] && CAMPAIGN_ARGS+=(--max-chunks 1)
DEADLINE=$(( $(left) - 25 ))   # leave time to pack and report
if [ $DEADLINE -gt 30 ]; then
  step campaign $(( DEADLINE + 20 )) "$PY" scripts/campaign.py run --deadline-s $DEADLINE "${CAMPAIGN_ARGS[@]}"
else
  echo "=== [campaign] skipped: only $(left) s of the budget left"; record campaign 1 0 "no time left"
fi
if [ $SMOKE = 0 ]; then   # what the next window will train (the smoke test skips it: seconds on a busy CPU)
  timeout 60 "$PY" scripts/campaign.py status --campaign "$CAMPAIGN" --results-dir "$RESULTS" \
    $([ -s "$OUT/bench.json" ] && echo --bench "$OUT/bench.json") $([ "$GRAPH" != 0 ] && [ $CUDA_OK = 1 ] && echo --cuda-graph) 2>&1 | head -30
fi

echo
echo "=== window done in $(elapsed) s; steps:"
cat "$STEPS"
echo "files in $OUT:"; ls -la "$OUT"
# exit status: 0 when every step passed
"$PY" -c "import json,sys; sys.exit(0 if all(s['rc']==0 for s in json.load(open(sys.argv[1]))) else 1)" "$STEPS"
