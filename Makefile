# One entry point for people and CI.  A fresh machine has only Python 3.11+:
# the first target bootstraps uv into .tools/ and syncs .venv from uv.lock.
PYTHON ?= python3
UV_VERSION := 0.13.9
UV := .tools/bin/uv
VENV := .venv
SYNCED := $(VENV)/.synced-$(UV_VERSION)

export PREFECT_SERVER_ANALYTICS_ENABLED := false
export UV_LINK_MODE := copy

.PHONY: run test lint typecheck fmt bench eval clean

$(UV):
	$(PYTHON) -m venv .tools
	.tools/bin/python -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

$(SYNCED): pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen --all-groups --all-extras
	touch $@

run: $(SYNCED)  ## one pipeline run on the bundled sample site, then its HTML report
	$(VENV)/bin/jjj-etl run
	$(VENV)/bin/jjj-etl report

eval: $(SYNCED)  ## figure extraction: precision / recall / F1 per category on tests/data/
	$(VENV)/bin/python bench/eval_figures.py

test: $(SYNCED)  ## the whole test suite
	$(VENV)/bin/pytest --cov --cov-report=term

lint: $(SYNCED)  ## the lock file matches pyproject, ruff, formatting, mypy strict, sqlfluff
	$(UV) lock --check
	$(VENV)/bin/ruff check src flows tests bench
	$(VENV)/bin/ruff format --check src flows tests bench
	$(VENV)/bin/mypy
	$(VENV)/bin/sqlfluff lint sql

typecheck: $(SYNCED)
	$(VENV)/bin/mypy

fmt: $(SYNCED)
	$(VENV)/bin/ruff format src flows tests bench
	$(VENV)/bin/ruff check --fix src flows tests bench

bench: $(SYNCED)  ## measured speed, appended to BENCHMARKS.md
	$(VENV)/bin/python bench/run.py

clean:
	rm -rf $(VENV) .tools .pytest_cache .mypy_cache .ruff_cache
