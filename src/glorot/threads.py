"""CPU thread policy: how many intra-op threads a process uses, and how idle threads wait.

Why: OpenMP's default wait policy (libgomp) lets an idle worker thread **spin** about 300,000 times
before it sleeps. When the cores are shared with another busy process, every parallel region then
waits for a worker that the OS has descheduled while the spinning threads burn the cores the others
need. Sleeping at once (``OMP_WAIT_POLICY=PASSIVE``) cures that, but on this VM waking a sleeping
thread is slow, so a run that has the machine to itself pays for every parallel region.
``scripts/bench_contention.py`` measured the three policies side by side (2-core VM, 2026-12-04,
trainer's training time; ``results/bench/contention-cpu-2core-20261204-*.json``):

=========================  ===========  ===========================  ===================
policy                     alone        two runs at once, untold     two at once / alone
=========================  ===========  ===========================  ===================
relu30 smoke: legacy       2.0 s        101.2 s                      51x
relu30 smoke: passive      5.8 s        2.6 s                        0.45x
relu30 smoke: bounded      2.2 s        5.4 s                        2.45x
table1 quick 1,500 upd.:   legacy 10.3  legacy 89.7                  8.7x
                           passive 18.2 passive 19.4                 1.07x
                           bounded 13.0 bounded 25.1                 1.92x
=========================  ===========  ===========================  ===================

So ``bounded`` (``GOMP_SPINCOUNT=3000``, a short spin and then sleep) was nearly as fast as spinning
when alone and about 2x, not 9-51x, when two runs shared two cores. On the VM's AMD EPYC Zen 4 host
(2026-12-07, ``results/bench/contention-cpu-amd-epyc-zen4-2core-20261207-*.json``) it was not:
relu30 smoke 1.9 s alone, 9.5 s two at once (5.0x); two runs of one thread each took what one run
alone took. No spin count fixes it (relu30 smoke, alone / two at once, medians of 2 in a one-off
comparison: 300 spins 3.8 / 3.5 s, 3,000 spins 1.9 / 9.4 s, 30,000 spins 2.0 / 44.6 s): whatever
the wait, a parallel region waits for its second thread while the other process holds that core.
So the default is ``adaptive``: ``bounded``'s wait, and a :class:`Governor` in the training loop
that sees its threads waiting for cores (the kernel's schedstat) and trains on the cores the
other tasks leave it until the machine is free again. On that host relu30 smoke took 2.0 s alone and 2.9 s two at once
(1.48x; bounded 5.04x), table1 quick (1,500 updates) 17.1 s alone (bounded 16.3) and 28.5 s two
at once (bounded 39.8), as fast as two runs told of each other (28.4 s).

The policy (:func:`configure`), applied at start-up by ``python -m glorot.train``,
``scripts/reproduce.py`` and the stacked launcher:

* ``GLOROT_THREAD_POLICY`` = ``adaptive`` (default: ``GOMP_SPINCOUNT=3000`` and the
  :class:`Governor`), ``bounded`` (the spin count alone), ``passive``
  (``OMP_WAIT_POLICY=PASSIVE``) or ``legacy`` (OpenMP's and torch's defaults, untouched). A wait
  policy or spin count the user set (``OMP_WAIT_POLICY``, ``GOMP_SPINCOUNT``) wins. It must be in
  the environment before the OpenMP runtime starts (before ``import torch``); child processes
  inherit it;
* threads = the cores this process may run on (``os.sched_getaffinity``), divided by the number of
  training processes meant to run side by side (``GLOROT_PARALLEL_JOBS``, set by whoever launches
  them: ``scripts/reproduce.py --jobs N``), at least 1; under a Hydra launcher that says how many
  CPUs a job gets (``hydra.launcher.cpus_per_task``: submitit, ``submitit_local``), that many. An
  explicit ``GLOROT_THREADS`` or ``OMP_NUM_THREADS`` wins. Child processes (``submitit_local``'s
  jobs) inherit the wait policy from the environment.

Memory (:func:`configure_malloc`, applied by :func:`configure`; measured 2026-12-04 on the 2-core
VM): glibc serves every allocation above its mmap threshold (at most 32 MB) with a fresh ``mmap``
and returns it to the system when it is freed, so each evaluation chunk of a 24-member stack
([24, 2000, 200] float32, 38 MB per layer) paid for its pages again: in a VM a page fault costs
microseconds, and ``torch.cat`` of 38 MB took 35 ms instead of 10. With mmap off and the heap
kept (``mallopt(M_MMAP_MAX, 0)``, ``mallopt(M_TRIM_THRESHOLD, 1 GiB)``) freed blocks are reused:
``trainer.evaluate`` of 24 members on 10,000 examples went from 2.63 s to 1.66 s, bit for bit the
same. The cost: a process keeps its peak heap until it exits. ``GLOROT_MALLOC=default`` keeps
glibc's defaults; nothing happens where the C library is not glibc.

numpy's sort on AMD Zen 4 (:func:`configure_numpy_env`, applied by :func:`configure_env`): the
recorder's exact percentiles are numpy partitions, whose AVX-512 kernels (x86-simd-sort) store with
``vcompressps`` to memory, microcoded on Zen 4. On the VM's Zen 4 host (2026-12-06) a partition of
60,000 float32 took 0.38 ms with them and 0.05 ms with numpy's AVX2 kernels, so there the entry
points set ``NPY_DISABLE_CPU_FEATURES`` (before numpy loads): the record steps of ``make reproduce``
(quick) took 70 s instead of 147 s (summed over the experiments), every record, figure and verdict
the same. ``GLOROT_NUMPY_SIMD=native`` keeps numpy's own choice.

The thread count does not change a result of a stack of two or more members: each member's GEMM
runs single-threaded inside torch's loop over the members, each reduction to one value per member
is summed by one thread, and the recorder's SVDs run one matrix per thread (``glorot.record``);
``tests/test_threads.py`` checks whole runs of 2 and 3 members on 1 and 2 threads. A one-member
stack is not so: MKL splits its GEMMs over the threads and torch its reductions, and a one-member
run on 1 thread differs from one on 2 threads in the last bits (records, losses, weights).
"""

from __future__ import annotations

import contextlib
import logging
import os
import time
from typing import Callable, Iterator, NoReturn

log = logging.getLogger(__name__)

WAIT_POLICY = "PASSIVE"
#: spins an idle OpenMP thread makes before it sleeps under the ``bounded`` policy (libgomp's
#: ``GOMP_SPINCOUNT``; its own default is 300,000, and 0 under PASSIVE)
SPIN_COUNT = 3000
#: the thread policies ``GLOROT_THREAD_POLICY`` may name; the first is the default
POLICIES = ("adaptive", "bounded", "passive", "legacy")
#: the :class:`Governor`'s settings: how often it looks (s of wall time); the thread-seconds a
#: second its threads may wait for a core before it takes fewer threads; how many looks in a row
#: must find room for more threads before it takes them back
GOVERNOR_EVERY_S = 0.25
GOVERNOR_BUSY_SHARE = 0.2
GOVERNOR_CALM_LOOKS = 4
#: numpy's (>= 2.4) dispatch targets with AVX-512, switched off where its AVX-512 sort is slow
NUMPY_AVX512_TARGETS = "X86_V4 AVX512_ICL AVX512_SPR"
#: the choices ``GLOROT_NUMPY_SIMD`` may name; the first is the default
NUMPY_SIMD = ("auto", "native")


def available_cores() -> int:
    """Cores this process may run on (its CPU affinity; ``os.cpu_count()`` where that is unknown)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def threads_for(parallel_jobs: int = 1, cores: int | None = None) -> int:
    """Intra-op threads for one of ``parallel_jobs`` processes sharing ``cores`` (default: ours)."""
    cores = available_cores() if cores is None else int(cores)
    return max(1, cores // max(1, int(parallel_jobs)))


def wanted_threads(env: dict | None = None) -> int:
    """The thread count :func:`configure` picks from the environment ``env`` (default: ours)."""
    env = os.environ if env is None else env
    for key in ("GLOROT_THREADS", "OMP_NUM_THREADS"):
        v = env.get(key, "").strip()
        if v.isdigit() and int(v) > 0:
            return int(v)
    jobs = env.get("GLOROT_PARALLEL_JOBS", "").strip()
    return threads_for(int(jobs) if jobs.isdigit() and int(jobs) > 0 else 1)


def explicit_threads(env: dict | None = None) -> bool:
    """Whether the environment names the thread count (``GLOROT_THREADS``, ``OMP_NUM_THREADS``)."""
    env = os.environ if env is None else env
    return any(env.get(k, "").strip().isdigit() for k in ("GLOROT_THREADS", "OMP_NUM_THREADS"))


def policy(env: dict | None = None) -> str:
    """The thread policy ``GLOROT_THREAD_POLICY`` names (one of :data:`POLICIES`; default the first):
    ``adaptive``: ``bounded``, and a training process that finds its threads waiting for cores
    that another process holds trains on fewer threads until the machine is free again
    (:class:`Governor`); ``bounded``: idle threads spin ``SPIN_COUNT`` times, then sleep; ``passive``: they sleep at once
    (``OMP_WAIT_POLICY=PASSIVE``); ``legacy``: OpenMP's and torch's defaults, untouched (what the code
    did before any policy; ``scripts/bench_contention.py`` compares the three)."""
    p = (os.environ if env is None else env).get("GLOROT_THREAD_POLICY", "").strip() or POLICIES[0]
    if p not in POLICIES:
        raise ValueError(f"GLOROT_THREAD_POLICY={p} is not valid; valid choices: {', '.join(POLICIES)}")
    return p


def legacy(env: dict | None = None) -> bool:
    """``GLOROT_THREAD_POLICY=legacy``: leave OpenMP's and torch's defaults alone."""
    return policy(env) == "legacy"


def numpy_simd(env: dict | None = None) -> str:
    """The numpy SIMD choice ``GLOROT_NUMPY_SIMD`` names (one of :data:`NUMPY_SIMD`; default the
    first): ``auto``: numpy's AVX2 kernels where its AVX-512 sort is slow (:func:`configure_numpy_env`);
    ``native``: numpy's own choice."""
    m = (os.environ if env is None else env).get("GLOROT_NUMPY_SIMD", "").strip() or NUMPY_SIMD[0]
    if m not in NUMPY_SIMD:
        raise ValueError(f"GLOROT_NUMPY_SIMD={m} is not valid; valid choices: {', '.join(NUMPY_SIMD)}")
    return m


def _refuse(e: ValueError) -> NoReturn:
    """A bad setting at start-up (the entry points call :func:`configure_env` first): one line, exit 2."""
    import sys  # noqa: PLC0415

    print(f"error: {e}", file=sys.stderr)
    raise SystemExit(2) from None


def read_cpuinfo() -> dict[str, str]:
    """The first processor's fields of ``/proc/cpuinfo`` (``vendor_id``, ``cpu family``, ``flags``,
    ...); empty where there is none (not Linux)."""
    out: dict[str, str] = {}
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as f:
            for line in f:
                if not line.strip():
                    if out:
                        break
                    continue
                key, _, value = line.partition(":")
                out.setdefault(key.strip(), value.strip())
    except OSError:
        pass
    return out


def slow_avx512_sort(info: dict[str, str] | None = None) -> bool:
    """Whether this CPU is an AMD Zen 4 (``AuthenticAMD``, family 25, with ``avx512f``): there
    numpy's AVX-512 sort and partition (x86-simd-sort) store with ``vcompressps`` to memory, an
    instruction microcoded on Zen 4 (about 100+ cycles), and run several times slower than its AVX2
    path (see :func:`configure_numpy_env`). Zen 3 (also family 25) has no AVX-512; Zen 5 is family 26."""
    info = read_cpuinfo() if info is None else info
    flags = info.get("flags", "").split()
    return (info.get("vendor_id") == "AuthenticAMD" and info.get("cpu family", "").strip() == "25"
            and "avx512f" in flags)


def _numpy_version() -> tuple[int, ...]:
    from importlib.metadata import PackageNotFoundError, version  # noqa: PLC0415 - cheap, no numpy import

    try:
        return tuple(int(p) for p in version("numpy").split(".")[:2])
    except (PackageNotFoundError, ValueError):
        return (0,)


def configure_numpy_env(env: dict | None = None, info: dict[str, str] | None = None) -> dict:
    """On a CPU whose AVX-512 sort is slow (:func:`slow_avx512_sort`: AMD Zen 4) put
    ``NPY_DISABLE_CPU_FEATURES`` = :data:`NUMPY_AVX512_TARGETS` into ``env`` (default: this
    process's environment), so that numpy dispatches its AVX2 kernels; returns ``env``. It takes
    effect in a process that imports numpy after this, and in every child process.

    Why: the recorder's exact percentiles are numpy partitions (:func:`glorot.record.percentiles`).
    On the VM's AMD EPYC Zen 4 host (2026-12-06) one partition of 60,000 float32 took 0.38 ms with
    AVX-512 and 0.05 ms with AVX2, and the record steps of ``relu30`` (quick) 58 s of its 141 s.
    The partition's order statistics are exact values, so the records are the same (checked on that
    host: ``scripts/compare_runs.py``). ``GLOROT_NUMPY_SIMD=native`` leaves numpy's choice alone;
    an ``NPY_DISABLE_CPU_FEATURES`` or ``NPY_ENABLE_CPU_FEATURES`` of your own wins. Needs numpy
    >= 2.4, whose dispatch targets these are named (an older numpy is left alone)."""
    env = os.environ if env is None else env
    try:
        mode = numpy_simd(env)
    except ValueError as e:
        _refuse(e)
    if mode == "native" or "NPY_DISABLE_CPU_FEATURES" in env or "NPY_ENABLE_CPU_FEATURES" in env:
        return env
    if slow_avx512_sort(info) and _numpy_version() >= (2, 4):
        env["NPY_DISABLE_CPU_FEATURES"] = NUMPY_AVX512_TARGETS
    return env


def configure_env(env: dict | None = None) -> dict:
    """Put the wait policy into ``env`` (default: this process's environment) unless one is set,
    and numpy's SIMD choice (:func:`configure_numpy_env`); returns ``env``. Call before
    ``import torch`` (and numpy) for it to reach this process's OpenMP runtime (and numpy)."""
    env = os.environ if env is None else env
    configure_numpy_env(env)
    try:
        p = policy(env)
    except ValueError as e:
        _refuse(e)
    if "OMP_WAIT_POLICY" in env or "GOMP_SPINCOUNT" in env or p == "legacy":
        return env  # the user's own setting wins
    if p == "passive":
        env["OMP_WAIT_POLICY"] = WAIT_POLICY
    else:
        env["GOMP_SPINCOUNT"] = str(SPIN_COUNT)
    return env


_M_TRIM_THRESHOLD, _M_MMAP_MAX = -1, -4  # glibc's mallopt parameters (malloc.h)
_malloc_done = False


def configure_malloc(env: dict | None = None) -> bool:
    """Keep freed memory in the heap for reuse instead of handing large blocks back to the system
    (see the module docstring: why). Returns whether the policy is in force. Idempotent; a no-op
    with ``GLOROT_MALLOC=default``, or off glibc."""
    global _malloc_done
    env = os.environ if env is None else env
    if env.get("GLOROT_MALLOC", "").strip() == "default":
        return False
    if _malloc_done:
        return True
    try:
        import ctypes  # noqa: PLC0415

        libc = ctypes.CDLL("libc.so.6")
        ok = libc.mallopt(_M_MMAP_MAX, 0) == 1 and libc.mallopt(_M_TRIM_THRESHOLD, 1 << 30) == 1
    except (OSError, AttributeError):
        return False
    _malloc_done = ok
    return ok


def configure(cpus: int | None = None) -> int:
    """Apply the policy to this process: the wait policy (if torch's OpenMP has not started yet)
    and ``torch.set_num_threads``. ``cpus``: the CPUs a launcher gave this job (e.g. Hydra's
    ``hydra.launcher.cpus_per_task`` for submitit), used unless the environment names a count.
    Returns the thread count."""
    configure_env()
    configure_malloc()
    import torch  # noqa: PLC0415 - after the environment is set

    if legacy():
        return torch.get_num_threads()
    n = wanted_threads()
    if cpus and not explicit_threads():
        n = max(1, min(int(cpus), available_cores()))
    if torch.get_num_threads() != n:
        torch.set_num_threads(n)
    return n


def run_delay_ns() -> int | None:
    """Nanoseconds this process's threads have spent runnable but waiting for a core (the second
    field of each ``/proc/self/task/*/schedstat``), summed; None where the kernel does not say."""
    total = 0
    try:
        for tid in os.listdir("/proc/self/task"):
            try:
                with open(f"/proc/self/task/{tid}/schedstat", encoding="ascii") as f:
                    total += int(f.read().split()[1])
            except FileNotFoundError:  # a thread that ended between listdir and open
                continue
    except (OSError, ValueError, IndexError):
        return None
    return total


def procs_running() -> int | None:
    """Tasks runnable on the whole machine at this moment (``procs_running`` of ``/proc/stat``:
    the caller's own thread included); None where unknown."""
    try:
        with open("/proc/stat", encoding="ascii") as f:
            for line in f:
                if line.startswith("procs_running"):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return None


class Governor:
    """Fits a training process's intra-op threads to the cores it actually gets (policy ``adaptive``).

    A process sized to the whole machine (``threads`` > 1) that shares it with another busy process
    (a user's second run, a build, anything) makes its threads wait for each other at every parallel
    region while the other process holds the cores: on the 2-core VM's AMD EPYC Zen 4 host
    (2026-12-06) two relu30 smoke runs started together took 4.8 times as long as one alone under
    ``bounded`` while two runs of one thread each took what one run alone did. So :meth:`tick`
    (called once per update; it looks every :data:`GOVERNOR_EVERY_S` s) reads how long the
    process's threads waited for a core (:func:`run_delay_ns`) and how many tasks are runnable on
    the machine (:func:`procs_running`; those beyond its own threads are others'). Waiting more
    than :data:`GOVERNOR_BUSY_SHARE` thread-seconds a second, it trains on the cores the others
    leave (at least one fewer thread, at least one); once :data:`GOVERNOR_CALM_LOOKS` looks in a
    row found room for more threads, it takes them back (up to the configured count). On the
    2-core VM that is one thread while another run is busy, two when it is gone; on 16 cores with
    one other busy task, 15.

    The thread count must not change a bit: only stacks of two or more members run on fewer
    threads. There each member's products are one single-threaded GEMM inside torch's loop over the
    members, and each reduction to one value per member is summed by one thread; with one member
    MKL splits the GEMM over the threads and torch the reduction (a one-member run trains and
    records other bits on 1 and on 2 threads). So :meth:`tick` is told the live members and keeps
    the configured count below two, and evaluation and record steps run inside :meth:`whole`, told
    their member count (the recorder's: the fewer of the stack's and its Jacobian members').
    ``tests/test_threads.py`` checks updates, evaluation and records of 2- and 3-member stacks at
    switching thread counts. Inactive (every method a no-op) with one thread, an explicit thread
    count, a policy other than ``adaptive``, or a kernel that gives no schedstat."""

    def __init__(self, threads: int, active: bool = True, *, cores: int | None = None,
                 clock: Callable[[], float] = time.perf_counter, delay: Callable[[], int | None] = run_delay_ns,
                 running: Callable[[], int | None] = procs_running, set_threads: Callable[[int], None] | None = None):
        self.full = self.threads = max(1, int(threads))
        self.cores = max(self.full, available_cores() if cores is None else int(cores))
        self._clock, self._delay, self._running = clock, delay, running
        if set_threads is None:
            import torch  # noqa: PLC0415

            set_threads = torch.set_num_threads
        self._set = set_threads
        self.active = bool(active) and self.full > 1 and delay() is not None
        self.switches = 0  # times it took fewer threads
        self._calm, self._room = 0, self.cores
        self._t, self._d = clock(), (delay() if self.active else 0)

    @classmethod
    def for_this_process(cls, device_type: str = "cpu") -> "Governor":
        """The governor of a training process: active under ``adaptive`` on the CPU with more than
        one thread that the user did not fix."""
        import torch  # noqa: PLC0415

        on = device_type == "cpu" and policy() == "adaptive" and not explicit_threads()
        return cls(torch.get_num_threads(), on)

    def _use(self, n: int) -> None:
        if n != self.threads:
            self._set(n)
            self.threads = n

    def tick(self, members: int = 2) -> None:
        """After an update of ``members`` live members: look, every GOVERNOR_EVERY_S s."""
        if not self.active:
            return
        if members < 2:  # one member's bits depend on the thread count: keep the configured one
            self._use(self.full)
            return
        t = self._clock()
        if t - self._t < GOVERNOR_EVERY_S:
            return
        d = self._delay()
        if d is None:
            self.active = False
            self._use(self.full)
            return
        share = max(0, d - self._d) / 1e9 / (t - self._t)
        self._t, self._d = t, d
        r = self._running()
        others = None if r is None else max(0, r - self.threads)  # at least that many are not ours
        if share > GOVERNOR_BUSY_SHARE and self.threads > 1:
            room = 1 if others is None else self.cores - max(1, others)
            self._use(max(1, min(self.threads - 1, room)))
            self._calm = 0
            self.switches += 1
            if self.switches == 1:
                log.info("threads waited %.0f%% of the time for a core another process holds: training on "
                         "%d thread(s) while it does (GLOROT_THREAD_POLICY=bounded keeps %d)",
                         100 * share, self.threads, self.full)
            return
        room = None if others is None else self.cores - others
        if self.threads < self.full and room is not None and room > self.threads and share <= GOVERNOR_BUSY_SHARE:
            self._calm += 1
            self._room = min(self._room, room) if self._calm > 1 else room
            if self._calm >= GOVERNOR_CALM_LOOKS:
                self._use(min(self.full, self._room))
                self._calm = 0
        else:
            self._calm = 0

    def release(self) -> None:
        """Back to the configured thread count (at the end of a run: the process may train another)."""
        self._use(self.full)

    @contextlib.contextmanager
    def whole(self, members: int = 1) -> Iterator[None]:
        """Run the block (an evaluation, a record step) of ``members`` members: on the thread count
        of the moment with two or more, else on the configured one."""
        if not self.active or self.threads == self.full or members >= 2:
            yield
            return
        now = self.threads
        self._use(self.full)
        try:
            yield
        finally:
            self._use(now)


def job_env(parallel_jobs: int, env: dict | None = None) -> dict:
    """The environment for one of ``parallel_jobs`` training processes started side by side: the
    wait policy and ``GLOROT_PARALLEL_JOBS`` (so that each takes its share of the cores)."""
    out = dict(os.environ if env is None else env)
    configure_env(out)
    out["GLOROT_PARALLEL_JOBS"] = str(max(1, int(parallel_jobs)))
    return out
