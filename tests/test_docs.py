"""Every CLI command is documented in the README and has help with an example; every
dependency is pinned."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.main import get_command

from jjj_etl.cli import app

REPO = Path(__file__).resolve().parents[1]
README = (REPO / "README.md").read_text(encoding="utf-8")
COMMANDS = sorted(get_command(app).commands)  # type: ignore[attr-defined]


def test_readme_shows_the_two_commands_first() -> None:
    first_block = README.split("```")[1]
    assert "make run" in first_block
    assert "make test" in first_block


@pytest.mark.parametrize("name", COMMANDS)
def test_command_documented_with_example(name: str) -> None:
    assert f"jjj-etl {name}" in README, f"README does not mention `jjj-etl {name}`"
    command = get_command(app).commands[name]  # type: ignore[attr-defined]
    assert "Example:" in (command.help or "")
    assert f"jjj-etl {name}" in (command.help or "")


def test_design_commands_all_exist() -> None:
    assert {
        "run",
        "serve",
        "parse",
        "figures",
        "build",
        "versions",
        "diff",
        "query",
        "export",
    } <= set(COMMANDS)


def test_every_dependency_and_the_build_backend_are_pinned() -> None:
    """An application's pins: one exact version each (the whole tree is in uv.lock)."""
    import tomllib

    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    specs = [
        *project["project"]["dependencies"],
        *(s for extra in project["project"]["optional-dependencies"].values() for s in extra),
        *(s for group in project["dependency-groups"].values() for s in group),
        *project["build-system"]["requires"],
    ]
    loose = [s for s in specs if s.count("==") != 1 or any(c in s for c in "<>~!,*")]
    assert specs
    assert loose == []
    for lock in ("uv.lock", "pylock.toml", "requirements.txt"):
        assert (REPO / lock).is_file(), lock


def test_the_duckdb_shell_is_pinned_at_the_library_version() -> None:
    """The README's `duckdb` shell reads the file the pipeline's duckdb writes."""
    import tomllib

    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    pins = dict(s.split("==") for s in project["project"]["dependencies"])
    dev = dict(s.split("==") for s in project["dependency-groups"]["dev"])
    assert dev["duckdb-cli"] == pins["duckdb"]
