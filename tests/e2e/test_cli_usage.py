"""Usage errors, ``--version`` and help, through the real ``jjj-etl`` entry point."""

from __future__ import annotations

import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest

from cli_runs import cli, cli_env

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize(
    ("args", "says"),
    [
        ((), "no command given"),
        (("foo",), "No such command 'foo'"),
        (("diff", "1"), "Missing argument 'NEW'"),
        (("diff", "a", "b"), "Invalid value for 'OLD'"),
        (("query",), "Missing argument 'SQL'"),
        (("run", "--bogus"), "No such option: --bogus"),
        (("query", "select 1", "--format", "xml"), "--format must be table, json or csv"),
        (("figures", "--lang", "fr"), "--lang must be en, zh or auto"),
    ],
)
def test_a_usage_error_exits_2_with_one_line(args: tuple[str, ...], says: str) -> None:
    done = cli(*args, timeout=60)
    assert done.returncode == 2, done.stderr
    assert done.stdout == ""
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("error: ")
    assert says in lines[0]
    assert "Traceback" not in done.stderr


def test_version_prints_the_package_version() -> None:
    done = cli("--version", timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"jjj-etl {version('jjj-etl')}"


def test_an_unknown_source_is_a_usage_error_before_prefect_starts(tmp_path: Path) -> None:
    """Run in-process in a fresh interpreter, to see which modules the command loaded."""
    wh = tmp_path / "warehouse"
    script = (
        "import sys\n"
        f"sys.argv = ['jjj-etl', 'run', '--source', 'bogus', '--source', 'sample-forum', "
        f"'--warehouse', {str(wh)!r}]\n"
        "from jjj_etl.cli import main\n"
        "try:\n"
        "    main()\n"
        "except SystemExit as exc:\n"
        "    print(exc.code, 'prefect' in sys.modules, 'flows' in sys.modules)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=60,
        env=cli_env(),
        check=False,
    )
    assert done.stdout.split() == ["2", "False", "False"], done.stderr
    assert done.stderr.startswith("error: --source bogus: no such source")
    assert "configured: sample-forum" in done.stderr
    assert "Traceback" not in done.stderr
    assert not wh.exists()


def test_help_shows_flags_as_flags_arguments_by_name_and_defaults() -> None:
    diff = cli("diff", "--help", timeout=60)
    assert diff.returncode == 0, diff.stderr
    assert "Usage: jjj-etl diff [OPTIONS] OLD NEW" in diff.stdout
    assert "<bool>" not in diff.stdout
    assert "--json " in diff.stdout
    assert "[default: fct_observations]" in " ".join(diff.stdout.split())
    run = cli("run", "--help", timeout=60)
    assert "<bool>" not in run.stdout
    assert "--lock-timeout SECONDS" in run.stdout
    assert "[default: 60.0]" in " ".join(run.stdout.split())
    assert "--source NAME" in run.stdout
    parse = cli("parse", "--help", timeout=60)
    assert "Usage: jjj-etl parse [OPTIONS] PATH_OR_URL" in parse.stdout
    assert "{" not in parse.stdout.splitlines()[0]


def test_error_messages_print_as_plain_text(tmp_path: Path) -> None:
    """A message holding Rich markup (a source named "[/x]") prints as written."""
    cfg = tmp_path / "sources.toml"
    cfg.write_text('[[sources]]\nname = "[/x]"\nstart_urls = ["http://x.invalid/"]\n')
    done = cli("run", "--config", str(cfg), "--warehouse", str(tmp_path / "w"), timeout=60)
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert "[/x]" in done.stderr
    assert "^[a-z0-9][a-z0-9-]*$" in done.stderr  # the bracketed pattern did not vanish


def test_a_config_with_several_problems_lists_each(tmp_path: Path) -> None:
    cfg = tmp_path / "sources.toml"
    cfg.write_text(
        '[schedule]\ncron = "daily"\n\n'
        '[[sources]]\nname = "Bad Name"\nstart_urls = ["ftp://x.invalid/"]\nmax_pages = 0\n'
    )
    done = cli("run", "--config", str(cfg), "--warehouse", str(tmp_path / "w"), timeout=60)
    assert done.returncode == 2, done.stderr
    assert "more problem" not in done.stderr
    for key in ("schedule.cron", "sources[0]", ".name", ".start_urls", ".max_pages"):
        assert key in done.stderr, key
    assert "4 problems" in done.stderr
