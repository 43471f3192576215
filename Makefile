# hdrisp: the two commands are `make demo` and `make test`.
# Both create .venv when missing and install the package into it (PyPI only).

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.hdrisp-installed
export MPLBACKEND ?= Agg

.PHONY: demo test test-fast tutorial study lab lint bench clean-venv help

help:
	@echo "make demo   - set up .venv and run the tutorial job on the synthetic set (CPU)"
	@echo "make test   - set up .venv and run the whole test suite"
	@echo "make tutorial - train configs/tiny.yaml (all five levels, CPU) into runs/tutorial"
	@echo "make study  - the reproduction study at tutorial size (CPU, ~20 min) into runs/study/tiny"
	@echo "make lab    - open JupyterLab on notebooks/"
	@echo "make lint   - ruff"
	@echo "make bench  - run every benchmark under benchmarks/"

$(PY):
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install -e '.[dev,notebooks]'
	touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/hdrisp demo

test: $(STAMP)
	$(PY) -m ruff check hdrisp tests benchmarks notebooks
	$(PY) -m pytest -n 2 --durations=15

test-fast: $(STAMP)
	$(PY) -m pytest -n 2 -m "not slow"

tutorial: $(STAMP)
	$(VENV)/bin/hdrisp train --config configs/tiny.yaml --out runs/tutorial

study: $(STAMP)
	$(VENV)/bin/hdrisp study --config configs/tiny.yaml --out runs/study/tiny

lab: $(STAMP)
	$(VENV)/bin/jupyter lab notebooks/

lint: $(STAMP)
	$(PY) -m ruff check hdrisp tests benchmarks notebooks

bench: $(STAMP)
	for b in benchmarks/bench_*.py; do echo "== $$b"; $(PY) $$b || exit 1; done

clean-venv:
	rm -rf $(VENV)
