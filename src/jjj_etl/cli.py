"""The ``jjj-etl`` command line: parse arguments, call one library function, render.

Exit codes: 0 ok, 1 the run failed (nothing committed), 2 bad usage or bad config.
Only this module turns exceptions into exit codes.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from jjj_etl.errors import JjjError, UsageError

app = typer.Typer(
    name="jjj-etl",
    help="Beijing-Tianjin-Hebei news → figures → a versioned DuckDB warehouse.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
# piped output is read by people in wide terminals and by scripts: don't wrap it at 80
out = Console(width=None if sys.stdout.isatty() else 200)
err = Console(stderr=True, width=None if sys.stderr.isatty() else 200)

ConfigOpt = Annotated[
    Path | None,
    typer.Option("--config", "-c", help="sources.toml (default: the bundled sample site)."),
]
WarehouseOpt = Annotated[
    Path | None,
    typer.Option("--warehouse", "-w", help="Warehouse folder (default: ./warehouse)."),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]
LockTimeoutOpt = Annotated[
    float, typer.Option("--lock-timeout", help="Seconds to wait for another writer.")
]


def _show_version(value: bool) -> None:
    if value:
        from jjj_etl import __version__

        sys.stdout.write(f"jjj-etl {__version__}\n")
        raise typer.Exit


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", help="Print the version and exit.", is_eager=True, callback=_show_version
        ),
    ] = False,
) -> None:
    """Beijing-Tianjin-Hebei news → figures → a versioned DuckDB warehouse."""


def _table(rows: list[dict[str, Any]], title: str | None = None) -> Table:
    table = Table(title=title, show_lines=False)
    for col in rows[0] if rows else []:
        table.add_column(str(col), overflow="fold")
    for row in rows:
        table.add_row(*("" if v is None else str(v) for v in row.values()))
    return table


def _prefect_env(*, quiet: bool = True) -> None:
    """Offline-friendly Prefect defaults (the user's own settings win).  A one-shot run is
    quiet on the terminal (its summary says what happened); a served run logs as a worker's
    does, task states and the summary line, to the terminal and to the Prefect server."""
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    if quiet:
        os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "90")


@app.command()
def run(
    config: ConfigOpt = None,
    warehouse: WarehouseOpt = None,
    source: Annotated[
        list[str] | None, typer.Option("--source", help="Only these sources (repeatable).")
    ] = None,
    full: Annotated[bool, typer.Option("--full", help="Ignore validators; re-parse all.")] = False,
    from_archive: Annotated[
        bool,
        typer.Option("--from-archive", help="Re-read the past crawl from the WARC archive."),
    ] = False,
    lock_timeout: LockTimeoutOpt = 60.0,
    as_json: JsonOpt = False,
) -> None:
    """Run the whole pipeline once as a Prefect flow.

    Example: jjj-etl run --config config/sources.toml --warehouse warehouse
    """
    from jjj_etl.pipeline import Pipeline

    # config, environment and source names are all checked before Prefect starts
    pipe = Pipeline.open(config, warehouse, lock_timeout=lock_timeout)
    pipe.select(source)
    _prefect_env()
    from flows.pipeline import run_pipeline

    from jjj_etl.stopping import stop_on_signals

    with stop_on_signals():  # SIGTERM / Ctrl-C: stop within seconds, commit nothing
        summary = run_pipeline(
            pipe,
            sources=source or None,
            full=full,
            lock_timeout=lock_timeout,
            from_archive=from_archive,
        )
    if as_json:
        out.print_json(json.dumps(summary, default=str))
    else:
        _print_summary(summary)


def _print_summary(s: dict[str, Any]) -> None:
    pages = ", ".join(f"{k} {v}" for k, v in sorted(s["pages"].items())) or "none"
    out.print(f"[bold]run {s['run_id']}[/bold]")
    out.print(f"  pages: {pages}")
    if s["skipped_reasons"]:
        reasons = ", ".join(f"{k} {v}" for k, v in sorted(s["skipped_reasons"].items()))
        out.print(f"  skipped: {reasons}")
    for source in s.get("failed_sources", []):
        out.print(f"  source failed: {source}", markup=False)
    for failure in s["failed"][:10]:
        out.print(f"  failed: {failure}")
    out.print(
        f"  articles {s['articles']}, figures {s['figures']}, observations {s['observations']}"
        f" (unmapped figures {s['unmapped_figures']})"
    )
    if s["version"] is None:
        out.print("  nothing new: no version added")
    else:
        out.print(f"  [green]version {s['version']}[/green] committed; exports in {s['exports']}")
    if s["warnings"]:
        out.print(f"  warnings: {', '.join(s['warnings'])}")
    if s.get("report"):
        out.print(f"report written to {s['report']}", markup=False)


@app.command()
def serve(config: ConfigOpt = None, warehouse: WarehouseOpt = None) -> None:
    """Run the pipeline on its schedule (cron and timezone from the config).

    Example: jjj-etl serve --config config/sources.toml
    """
    from jjj_etl.config import load_config

    cfg = load_config(config)
    _prefect_env(quiet=False)
    from flows.schedule import serve as serve_flow

    err.print(f"serving: cron {cfg.schedule.cron!r} in {cfg.schedule.timezone}")
    serve_flow(cfg, str(warehouse) if warehouse else None)


@app.command()
def parse(
    target: Annotated[str, typer.Argument(help="A file path or an http(s) URL.")],
    as_json: JsonOpt = False,
    source: Annotated[str, typer.Option(help="Source name to record.")] = "adhoc",
) -> None:
    """Parse one page: article fields and figures.

    Example: jjj-etl parse https://example.org/2025-03/28/content_1.html --json
    """
    from jjj_etl.parse.article import article_json
    from jjj_etl.tools import fetch_one

    raw, url, charset = fetch_one(target)
    from jjj_etl.parse import parse_article

    page = parse_article(raw, url, source, header_charset=charset)
    if as_json:
        sys.stdout.write(article_json(page) + "\n")
        return
    if page.article is None:
        out.print(f"not an article: {page.skipped}")
        return
    art = page.article
    out.print(f"[bold]{art.title}[/bold]\n{art.canonical_url}\n{art.published} · {art.lang}")
    rows = [
        {
            k: v
            for k, v in f.to_dict().items()
            if k
            in ("surface", "value", "unit", "comparator", "kind", "period", "region", "subject")
        }
        for f in page.figures
    ]
    out.print(_table(rows, f"{len(rows)} figures") if rows else "no figures")


@app.command()
def figures(
    lang: Annotated[str, typer.Option("--lang", help="en, zh or auto.")] = "auto",
) -> None:
    """JSONL on stdin {"id","text","lang"?} → JSONL on stdout {"id","figures":[…]}.

    Example: echo '{"id":"1","text":"Exports rose 5.2% in 2024."}' | jjj-etl figures
    """
    from jjj_etl.tools import figures_jsonl

    if lang not in ("en", "zh", "auto"):
        raise UsageError(f"--lang must be en, zh or auto, not {lang!r}")
    figures_jsonl(sys.stdin, sys.stdout, None if lang == "auto" else lang)


@app.command()
def build(
    config: ConfigOpt = None,
    warehouse: WarehouseOpt = None,
    sql_dir: Annotated[
        Path | None, typer.Option("--sql-dir", help="Models folder (default: the shipped sql/).")
    ] = None,
    lock_timeout: LockTimeoutOpt = 60.0,
    as_json: JsonOpt = False,
) -> None:
    """Re-run the SQL models and data tests on what is staged, as a new version.

    Example: jjj-etl build --warehouse warehouse
    """
    from jjj_etl.pipeline import Pipeline

    pipe = Pipeline.open(config, warehouse, sql_dir=sql_dir, lock_timeout=lock_timeout)
    result = pipe.rebuild()
    if as_json:
        out.print_json(json.dumps(result, default=str))
    elif result["version"] is None:
        out.print("nothing changed: no version added")
    else:
        out.print(f"version {result['version']} committed; exports in {result['exports']}")


@app.command()
def versions(warehouse: WarehouseOpt = None, as_json: JsonOpt = False) -> None:
    """List warehouse versions, newest first.

    Example: jjj-etl versions
    """
    from jjj_etl.tools import list_versions

    rows = list_versions(str(warehouse) if warehouse else None)
    if as_json:
        out.print_json(json.dumps(rows, default=str))
    else:
        out.print(_table(rows, "versions") if rows else "no versions yet")


@app.command()
def diff(
    a: Annotated[int, typer.Argument(help="Older version.")],
    b: Annotated[int, typer.Argument(help="Newer version.")],
    warehouse: WarehouseOpt = None,
    table: Annotated[str, typer.Option(help="fct_observations or mart_indicator_series")] = (
        "fct_observations"
    ),
    as_json: JsonOpt = False,
) -> None:
    """What changed between two versions: added, changed, removed rows.

    Example: jjj-etl diff 1 2
    """
    from jjj_etl.tools import diff_versions

    d = diff_versions(str(warehouse) if warehouse else None, a, b, table)
    if as_json:
        out.print_json(json.dumps(d, default=str))
        return
    for kind in ("added", "changed", "removed"):
        rows = d[kind]
        out.print(f"[bold]{kind}: {len(rows)}[/bold]")
        if rows:
            keep = (
                "indicator_id",
                "indicator",
                "region_id",
                "region",
                "period",
                "value",
                "old_value",
                "new_value",
                "unit",
                "url",
            )
            out.print(_table([{k: v for k, v in r.items() if k in keep} for r in rows[:50]]))


@app.command()
def query(
    sql: Annotated[str, typer.Argument(help="SQL to run (read-only).")],
    warehouse: WarehouseOpt = None,
    as_of: Annotated[int | None, typer.Option("--as-of", help="Read this past version.")] = None,
    fmt: Annotated[str, typer.Option("--format", help="table, json or csv.")] = "table",
) -> None:
    """Read-only SQL against the warehouse, optionally as of a past version.

    Example: jjj-etl query "select * from mart_indicator_series order by indicator_id, period"
    """
    from jjj_etl.tools import run_query

    cols, rows = run_query(str(warehouse) if warehouse else None, sql, as_of)
    dicts = [dict(zip(cols, r, strict=True)) for r in rows]
    if fmt == "json":
        sys.stdout.write(json.dumps(dicts, default=str, ensure_ascii=False) + "\n")
    elif fmt == "csv":
        import csv

        w = csv.writer(sys.stdout)
        w.writerow(cols)
        w.writerows(rows)
    elif fmt == "table":
        out.print(_table(dicts) if dicts else f"(no rows) columns: {', '.join(cols)}")
    else:
        raise UsageError(f"--format must be table, json or csv, not {fmt!r}")


@app.command()
def export(
    version: Annotated[int | None, typer.Option("--version", help="Version to export.")] = None,
    dest: Annotated[Path | None, typer.Option("--dest", help="Export folder.")] = None,
    partition_by_indicator: Annotated[
        bool,
        typer.Option("--partition-by-indicator", help="Also write Hive partitions by indicator."),
    ] = False,
    warehouse: WarehouseOpt = None,
) -> None:
    """Parquet export of the marts (exports/v<N>/, latest/, manifest.json).

    Example: jjj-etl export --version 3 --dest /tmp/exports
    """
    from jjj_etl.tools import export_to

    folder = export_to(str(warehouse) if warehouse else None, version, dest, partition_by_indicator)
    out.print(f"exported to {folder}")


@app.command()
def report(
    version: Annotated[int | None, typer.Option("--version", help="Version to describe.")] = None,
    out_file: Annotated[Path | None, typer.Option("--out", help="HTML file to write.")] = None,
    warehouse: WarehouseOpt = None,
) -> None:
    """A self-contained HTML report: series charts, latest values, conflicts, coverage.

    Example: jjj-etl report --out report.html
    """
    from jjj_etl.report import build_report

    path = build_report(str(warehouse) if warehouse else None, version, out_file)
    out.print(f"report written to {path}")


def main() -> None:
    """Entry point: run the app and map errors to exit codes; a run stopped by SIGTERM or
    Ctrl-C exits 143 or 130, whatever the stop became on its way out (DuckDB reports an
    interrupted query as a RuntimeError)."""
    from jjj_etl.stopping import RunStopped, received

    try:
        _main()
    except BaseException as exc:
        signum = received()
        if signum is None or isinstance(exc, SystemExit):
            raise
        stopped = RunStopped(signum)
        err.print(f"error: {stopped}", markup=False, highlight=False)
        sys.exit(stopped.exit_code)


def _main() -> None:
    try:
        app(standalone_mode=False)
    except JjjError as exc:
        err.print(f"[red]error:[/red] {exc}", highlight=False)
        sys.exit(exc.exit_code)
    except (typer.Exit, SystemExit) as exc:
        code = getattr(exc, "exit_code", getattr(exc, "code", 0))
        sys.exit(code or 0)
    except Exception as exc:
        _usage_error(exc)
        raise


def _usage_error(exc: Exception) -> None:
    """Exit 2 with one line for a usage error.  typer 0.29 raises its own vendored copy of
    click's exceptions (``typer._click``), which are not click's classes: both are caught."""
    import click
    from typer._click import exceptions as vendored

    if isinstance(exc, vendored.NoArgsIsHelpError):  # bare `jjj-etl`: the help, then exit 2
        sys.stderr.write(exc.format_message() + "\n")
        sys.exit(2)
    if isinstance(exc, click.exceptions.Abort):
        sys.exit(130)
    if isinstance(exc, click.exceptions.ClickException | vendored.ClickException):
        where = getattr(getattr(exc, "ctx", None), "command_path", "jjj-etl")
        sys.stderr.write(f"error: {exc.format_message()} (see `{where} --help`)\n")
        sys.exit(2)
