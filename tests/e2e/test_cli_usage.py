"""Every usage error exits 2 with one line and no traceback; `--version` answers."""

from __future__ import annotations

import pytest

from cli_runs import cli
from jjj_etl import __version__


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["foo"], "No such command 'foo'"),
        (["diff", "1"], "Missing argument 'b'"),
        (["diff", "a", "b"], "Invalid value for 'a'"),
        (["query"], "Missing argument 'sql'"),
        (["run", "--bogus"], "No such option: --bogus"),
        (["run", "--source", "bogus"], "no configured source named bogus"),
    ],
)
def test_a_usage_error_exits_2_with_one_line(args: list[str], says: str) -> None:
    done = cli(*args, timeout=60)
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert says in lines[0]


def test_no_arguments_print_the_help_and_exit_2() -> None:
    done = cli(timeout=60)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert "Usage: jjj-etl" in done.stdout + done.stderr


def test_the_source_names_are_listed_before_prefect_starts() -> None:
    done = cli("run", "--source", "bogus", timeout=60)
    assert "sample-forum" in done.stderr  # the configured names
    assert "prefect" not in done.stderr.lower()


def test_version() -> None:
    done = cli("--version", timeout=60)
    assert done.returncode == 0
    assert done.stdout.strip() == f"jjj-etl {__version__}"
