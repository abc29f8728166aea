# One entry point for people and CI.  A fresh machine has only Python 3.11+:
# the first target bootstraps uv into .tools/ and syncs .venv from uv.lock.
PYTHON ?= python3
UV_VERSION := 0.13.9
UV := .tools/bin/uv
VENV := .venv
SYNCED := $(VENV)/.synced-$(UV_VERSION)-pyc
# pylock.toml (PEP 751): the same pins as uv.lock, exact versions and hashes, for any installer
PYLOCK := $(UV) export --frozen --format pylock.toml --all-groups --all-extras --no-emit-project --no-header --quiet
REQLOCK := $(UV) export --frozen --format requirements-txt --all-groups --all-extras --no-emit-project --no-header --quiet

export PREFECT_SERVER_ANALYTICS_ENABLED := false
export UV_LINK_MODE := copy

.PHONY: run test lint typecheck fmt bench eval clean lock

$(UV):
	$(PYTHON) -m venv .tools
	.tools/bin/python -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

# Bytecode is compiled at install (--compile-bytecode, and compileall for the editable
# project): where PYTHONDONTWRITEBYTECODE is set, or site-packages is read-only, every process
# would otherwise compile Prefect's sources again on import (~2.4 s per `jjj-etl run`, more for
# each parse worker and the temporary Prefect server).
$(SYNCED): pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen --all-groups --all-extras --compile-bytecode
	$(VENV)/bin/python -m compileall -q src flows
	touch $@

run: $(SYNCED)  ## one pipeline run on the bundled sample site (it writes the HTML report too)
	$(VENV)/bin/jjj-etl run

eval: $(SYNCED)  ## figures and bodies: precision / recall / F1 on the labelled corpora in tests/data/
	$(VENV)/bin/python bench/eval_figures.py
	$(VENV)/bin/python bench/eval_bodies.py

# -n 2: both cores of the 2-core CI machine (many tests wait on subprocesses and servers)
test: $(SYNCED)  ## the whole test suite
	$(VENV)/bin/pytest -n 2 --cov --cov-report=term

lint: $(SYNCED)  ## the lock files match pyproject, ruff, formatting, mypy strict, sqlfluff
	$(UV) lock --check
	$(PYLOCK) | diff -u pylock.toml - || (echo "pylock.toml is stale: run make lock" && exit 1)
	$(REQLOCK) | diff -u requirements.txt - || (echo "requirements.txt is stale: run make lock" && exit 1)
	$(VENV)/bin/ruff check src flows tests bench
	$(VENV)/bin/ruff format --check src flows tests bench
	$(VENV)/bin/mypy
	$(VENV)/bin/sqlfluff lint sql

lock: | $(UV)  ## re-resolve uv.lock from pyproject.toml; export pylock.toml and requirements.txt
	$(UV) lock
	$(PYLOCK) > pylock.toml
	$(REQLOCK) > requirements.txt

typecheck: $(SYNCED)
	$(VENV)/bin/mypy

fmt: $(SYNCED)
	$(VENV)/bin/ruff format src flows tests bench
	$(VENV)/bin/ruff check --fix src flows tests bench

bench: $(SYNCED)  ## measured speed, appended to BENCHMARKS.md
	$(VENV)/bin/python bench/run.py

clean:
	rm -rf $(VENV) .tools .pytest_cache .mypy_cache .ruff_cache
