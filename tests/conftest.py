"""Test-wide settings. Tests use small networks, where one thread is as fast as two and immune to
the catastrophic slow-down of OpenMP threads spinning on an oversubscribed machine (measured here:
8 s with one thread vs 140 s with two while other processes held the cores).
GLOROT_TEST_THREADS=N changes it."""

import os
import sys
from pathlib import Path

import torch

os.environ.setdefault("GLOROT_TEST_THREADS", "1")
os.environ["OMP_NUM_THREADS"] = os.environ["GLOROT_TEST_THREADS"]  # for subprocesses
torch.set_num_threads(int(os.environ["GLOROT_TEST_THREADS"]))
sys.path.insert(0, str(Path(__file__).parent))  # tests/helpers.py
