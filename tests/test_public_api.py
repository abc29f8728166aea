"""The public surface stays honest: sorted __all__, everything importable, no Prefect."""

from __future__ import annotations

import importlib
import pkgutil
import subprocess
import sys

import pytest

import jjj_etl

MODULES = sorted(
    m.name
    for m in pkgutil.walk_packages(jjj_etl.__path__, "jjj_etl.")
    if m.name != "jjj_etl.__main__"
)


@pytest.mark.parametrize("name", ["jjj_etl", *MODULES])
def test_all_is_sorted_and_importable(name: str) -> None:
    mod = importlib.import_module(name)
    exported = getattr(mod, "__all__", None)
    if exported is None:
        return
    assert list(exported) == sorted(exported), f"{name}.__all__ is not sorted"
    for attr in exported:
        assert hasattr(mod, attr), f"{name}.__all__ names missing {attr}"


def _run_python(code: str) -> str:
    """What ``code`` prints, run in a fresh interpreter (so earlier imports do not count)."""
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    return done.stdout.strip()


def test_library_does_not_import_prefect() -> None:
    code = (
        "import importlib, pkgutil, sys, jjj_etl\n"
        "for m in pkgutil.walk_packages(jjj_etl.__path__, 'jjj_etl.'):\n"
        "    if m.name not in ('jjj_etl.__main__',):\n"
        "        importlib.import_module(m.name)\n"
        "print('prefect' in sys.modules)\n"
    )
    assert _run_python(code) == "False"


def test_cli_help_starts_without_prefect() -> None:
    code = (
        "import sys\n"
        "from typer.testing import CliRunner\n"
        "from jjj_etl.cli import app\n"
        "r = CliRunner().invoke(app, ['--help'])\n"
        "assert r.exit_code == 0, r.output\n"
        "print('prefect' in sys.modules)\n"
    )
    assert _run_python(code) == "False"


def test_parsing_is_pure_no_network_or_database() -> None:
    code = (
        "import sys\n"
        "import jjj_etl.parse, jjj_etl.charset, jjj_etl.records\n"
        "print(sorted(m for m in ('httpx', 'duckdb', 'prefect') if m in sys.modules))\n"
    )
    assert _run_python(code) == "[]"


# What flows/ may take from the library: the pipeline object, config loading, the records
# and the exception tree.  flows/server.py also stops the Prefect server it started with the
# library's process-group helper (one way to stop a process tree, not two).
FLOWS_MAY_IMPORT = {"jjj_etl.pipeline", "jjj_etl.config", "jjj_etl.records", "jjj_etl.errors"}
FLOWS_EXTRA = {"server.py": {"jjj_etl.workers"}}


def test_flows_import_only_the_pipeline_config_and_records() -> None:
    import ast
    from pathlib import Path

    flows = Path(__file__).resolve().parents[1] / "flows"
    for path in sorted(flows.glob("*.py")):
        allowed = FLOWS_MAY_IMPORT | FLOWS_EXTRA.get(path.name, set())
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            for name in names:
                if name == "jjj_etl" or name.startswith("jjj_etl."):
                    assert name in allowed, f"flows/{path.name} imports {name}"
