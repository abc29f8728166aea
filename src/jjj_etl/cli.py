"""The ``jjj-etl`` command line: parse arguments, call one library function, render.

Exit codes: 0 ok, 1 the run failed (nothing committed), 2 bad usage or bad config.
Only this module turns exceptions into exit codes.  Everything it prints from data or
from an error message is plain text (no Rich markup), so ``[/x]`` prints as ``[/x]``.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.text import Text
from typer.core import TyperArgument, TyperCommand

from jjj_etl import __version__
from jjj_etl._table import diff_block, render
from jjj_etl.errors import JjjError, RunError, UsageError


class _Command(TyperCommand):
    """Usage lines name arguments as people write them (``diff [OPTIONS] OLD NEW``);
    typer 0.29 writes ``{old} {new}``."""

    def collect_usage_pieces(self, ctx: Any) -> list[str]:  # click.Context: a private module
        pieces = [self.options_metavar] if self.options_metavar else []
        for param in self.get_params(ctx):
            if isinstance(param, TyperArgument):
                name = param.display_name_raw
                pieces.append(name if param.required else f"[{name}]")
            else:
                pieces.extend(param.get_usage_pieces(ctx))
        return pieces


app = typer.Typer(
    name="jjj-etl",
    help="Beijing-Tianjin-Hebei news → figures → a versioned DuckDB warehouse.",
    add_completion=False,
    pretty_exceptions_enable=False,
    # plain help: typer's Rich panels print every flag as `--json <bool>`
    rich_markup_mode=None,
)
# piped output is read by people in wide terminals and by scripts: don't wrap it at 80,
# and never wrap a line (an error is one line a script can grep); markup, emoji codes and
# highlighting off: data and messages print exactly as they are
_PLAIN: dict[str, Any] = {"markup": False, "emoji": False, "highlight": False, "soft_wrap": True}
out = Console(width=None if sys.stdout.isatty() else 200, **_PLAIN)
err = Console(stderr=True, width=None if sys.stderr.isatty() else 200, **_PLAIN)


_F = TypeVar("_F", bound=Callable[..., Any])


def command(name: str | None = None) -> Callable[[_F], _F]:
    """``@app.command()`` with the usage line above."""
    return app.command(name, cls=_Command)


ConfigOpt = Annotated[
    Path | None,
    typer.Option(
        "--config", "-c", metavar="FILE", help="sources.toml (default: the bundled sample site)."
    ),
]
WarehouseOpt = Annotated[
    Path | None,
    typer.Option(
        "--warehouse", "-w", metavar="DIR", help="Warehouse folder (default: ./warehouse)."
    ),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]
SqlDirOpt = Annotated[
    Path | None,
    typer.Option("--sql-dir", metavar="DIR", help="Models folder (default: the shipped sql/)."),
]
LockTimeoutOpt = Annotated[
    float,
    typer.Option("--lock-timeout", metavar="SECONDS", help="Seconds to wait for another writer."),
]


def _print_table(rows: list[dict[str, Any]], columns: list[str] | None = None) -> None:
    sys.stdout.write(
        render(rows, width=shutil.get_terminal_size((200, 24)).columns, columns=columns)
    )
    sys.stdout.write("\n")
    sys.stdout.flush()


def _show_version(value: bool) -> None:
    if value:
        out.print(f"jjj-etl {__version__}")
        raise typer.Exit


@app.callback(invoke_without_command=True)
def _root(
    ctx: typer.Context,
    version: Annotated[  # noqa: ARG001 - acted on by its eager callback
        bool,
        typer.Option(
            "--version", callback=_show_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    if ctx.invoked_subcommand is None:
        names = ", ".join(sorted(ctx.command.commands))  # type: ignore[attr-defined]
        raise UsageError(f"no command given (one of {names}); try 'jjj-etl --help'")


def _prefect_env(*, quiet: bool = True) -> None:
    """Offline-friendly Prefect defaults (the user's own settings win).  A one-shot run is
    quiet on the terminal (its summary says what happened); a served run logs as a worker's
    does, task states and the summary line, to the terminal and to the Prefect server."""
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    if quiet:
        os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "90")


@contextlib.contextmanager
def _prefect_api() -> Iterator[Callable[[], contextlib.AbstractContextManager[Any]]]:
    """The Prefect API a one-shot run talks to.  Yields a context factory to enter around
    the flow: with ``PREFECT_API_URL`` configured (environment, profile, prefect.toml) it
    changes nothing; else the warm server (flows/warm.py) is found or launched now, so it
    starts while the caller imports the flow, and the factory waits until it answers.  With
    ``JJJ_ETL_SERVER_IDLE_TIMEOUT=0``, Prefect starts its temporary server in the flow, as
    it does when the warm server cannot be used (said in one line on stderr).  The run's
    lease on the warm server ends with the block."""
    from flows import warm

    timeout = warm.idle_timeout()  # a bad value is a usage error before anything starts
    from prefect.settings import PREFECT_API_URL, temporary_settings

    if PREFECT_API_URL.value() or timeout == 0:
        yield contextlib.nullcontext
        return

    def fallback(exc: RunError) -> None:  # the kept server is a shortcut, never a failure
        err.print(f"jjj-etl: {exc}; this run uses Prefect's temporary server")

    with warm.warm_server(timeout) as server:
        try:
            server.begin()
        except RunError as exc:
            fallback(exc)
            yield contextlib.nullcontext
            return
        if not server.reused:
            err.print(
                f"jjj-etl: started a Prefect server at {server.api} (pid {server.pid}), kept "
                f"for the next runs until {timeout:.0f} s idle; 'jjj-etl server stop' stops it"
            )

        def use() -> contextlib.AbstractContextManager[Any]:
            try:
                api = server.ready()
            except RunError as exc:
                server.close()
                fallback(exc)
                return contextlib.nullcontext()
            return temporary_settings({PREFECT_API_URL: api})

        yield use


class _OurErrorsPlain(logging.Filter):
    """Prefect logs a failed task or flow with its traceback; for our own errors, whose
    message says what happened (and which the CLI prints as one line), the terminal gets
    the message alone.  Handlers before this one (Prefect's API log) keep the traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and isinstance(record.exc_info[1], JjjError):
            record.exc_info, record.exc_text = None, None
        return True


def _no_tracebacks_for_our_errors() -> None:
    """On every terminal handler Prefect's logging set up (the root logger's, and any a
    logger of its own holds)."""
    loggers = [logging.getLogger(), *logging.Logger.manager.loggerDict.values()]
    for logger in loggers:
        for handler in getattr(logger, "handlers", []):
            terminal = isinstance(handler, logging.StreamHandler) and not isinstance(
                handler, logging.FileHandler
            )
            if terminal and not any(isinstance(f, _OurErrorsPlain) for f in handler.filters):
                handler.addFilter(_OurErrorsPlain())


@command()
def run(
    config: ConfigOpt = None,
    warehouse: WarehouseOpt = None,
    source: Annotated[
        list[str] | None,
        typer.Option("--source", metavar="NAME", help="Only these sources (repeatable)."),
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
    with _prefect_api() as api:
        from flows.pipeline import run_pipeline

        from jjj_etl.stopping import stop_on_signals

        _no_tracebacks_for_our_errors()

        # SIGTERM / Ctrl-C: stop within seconds, commit nothing (also while the server starts)
        with stop_on_signals(), api():
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
    out.print(Text(f"run {s['run_id']}", style="bold"))
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
        whole = f"; the current export is whole in {s['exports']}" if s.get("exports") else ""
        out.print(f"  nothing new: no version added{whole}", markup=False)
    else:
        committed = Text("  ").append(f"version {s['version']}", style="green")
        out.print(committed.append(f" committed; exports in {s['exports']}"))
    if s["warnings"]:
        out.print(f"  warnings: {', '.join(s['warnings'])}")
    if s.get("report"):
        out.print(f"report written to {s['report']}", markup=False)


@command()
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


server_app = typer.Typer(
    help=(
        "The Prefect server jjj-etl run keeps warm between runs (when PREFECT_API_URL is "
        "unset): start, status, stop.\n\nExample: jjj-etl server stop"
    ),
    no_args_is_help=True,
    rich_markup_mode=None,
)
app.add_typer(server_app, name="server")


def _server_row(state: str, info: Any) -> dict[str, Any]:
    if info is None:
        return {"state": state}
    return {"state": state, "pid": info.pid, "api": info.api, "idle_timeout": info.idle_timeout}


@server_app.command("start", cls=_Command)
def server_start() -> None:
    """Start the warm Prefect server now (a run starts it when needed), or say where it runs.

    Its idle timeout is JJJ_ETL_SERVER_IDLE_TIMEOUT seconds (default 900).
    Example: jjj-etl server start
    """
    from flows import warm

    timeout = warm.idle_timeout()
    if timeout == 0:
        raise UsageError(f"{warm.IDLE_ENV}=0: no server is kept (each run starts its own)")
    _prefect_env()
    with warm.warm_server(timeout) as server:
        server.begin()
        api = server.ready()
    verb = "already running" if server.reused else "started"
    out.print(
        f"Prefect server {verb} at {api} (pid {server.pid}); stops after {timeout:.0f} s idle"
    )


@server_app.command("status", cls=_Command)
def server_status(as_json: JsonOpt = False) -> None:
    """Whether the warm Prefect server runs (running, stale or stopped), its pid and URL.

    Example: jjj-etl server status --json
    """
    from flows import warm

    _prefect_env()
    state, info = warm.status()
    row = _server_row(state, info)
    if as_json:
        out.print_json(json.dumps(row))
    elif info is None:
        out.print(f"no Prefect server kept by jjj-etl ({warm.state_dir()})")
    else:
        out.print(f"{state}: pid {info.pid} at {info.api} ({warm.state_dir()})")


@server_app.command("stop", cls=_Command)
def server_stop(
    force: Annotated[
        bool, typer.Option("--force", help="Stop it even while a run uses it.")
    ] = False,
) -> None:
    """Stop the warm Prefect server by its PID (not while a run uses it, unless --force).

    Example: jjj-etl server stop
    """
    from flows import warm

    info = warm.stop(force=force)
    if info is None:
        out.print(f"no Prefect server kept by jjj-etl ({warm.state_dir()}): nothing to stop")
    else:
        out.print(f"stopped the Prefect server (pid {info.pid}) at {info.api}")


FIGURE_COLUMNS = ["surface", "value", "unit", "comparator", "kind", "period", "region", "subject"]


@command()
def parse(
    target: Annotated[
        str, typer.Argument(metavar="PATH_OR_URL", help="A file path or an http(s) URL.")
    ],
    as_json: JsonOpt = False,
    source: Annotated[
        str,
        typer.Option(
            metavar="NAME",
            help="Source name to record; with --config, that source's hints, lang and byte cap.",
        ),
    ] = "adhoc",
    config: Annotated[
        Path | None,
        typer.Option("--config", "-c", metavar="FILE", help="sources.toml holding --source."),
    ] = None,
) -> None:
    """Parse one page: article fields and figures.

    With --config, the page is read as that source's pages are in a run (its body_selector,
    date_selector, lang and max_bytes), so a hint can be checked on one page before a run.

    Example: jjj-etl parse https://example.org/2025-03/28/content_1.html --json
    """
    from jjj_etl.config import DEFAULT_MAX_BYTES, load_config
    from jjj_etl.parse._body import NO_HINTS, BodyHints
    from jjj_etl.parse.article import article_json
    from jjj_etl.tools import fetch_one

    hints, lang, cap = NO_HINTS, None, DEFAULT_MAX_BYTES
    if config is not None:
        (src,) = load_config(config).select([source])
        hints, lang, cap = BodyHints(src.body_selector, src.date_selector), src.lang, src.max_bytes
    raw, url, charset = fetch_one(target, cap)
    from jjj_etl.parse import parse_article

    page = parse_article(raw, url, source, header_charset=charset, lang=lang, hints=hints)
    if as_json:
        sys.stdout.write(article_json(page) + "\n")
        return
    if page.article is None:
        out.print(f"not an article: {page.skipped}")
        return
    art = page.article
    out.print(Text(art.title, style="bold"))
    out.print(f"{art.canonical_url}\n{art.published} · {art.lang}")
    if not page.figures:
        out.print("no figures")
        return
    out.print(f"{len(page.figures)} figures")
    _print_table([f.to_dict() for f in page.figures], FIGURE_COLUMNS)


@command()
def figures(
    lang: Annotated[str, typer.Option("--lang", metavar="LANG", help="en, zh or auto.")] = "auto",
) -> None:
    """JSONL on stdin {"id","text","lang"?} → JSONL on stdout {"id","figures":[…]}.

    Example: echo '{"id":"1","text":"Exports rose 5.2% in 2024."}' | jjj-etl figures
    """
    from jjj_etl.tools import figures_jsonl

    if lang not in ("en", "zh", "auto"):
        raise UsageError(f"--lang must be en, zh or auto, not {lang!r}")
    figures_jsonl(sys.stdin, sys.stdout, None if lang == "auto" else lang)


@command()
def build(
    config: ConfigOpt = None,
    warehouse: WarehouseOpt = None,
    sql_dir: SqlDirOpt = None,
    lock_timeout: LockTimeoutOpt = 60.0,
    select: Annotated[
        list[str] | None,
        typer.Option(
            "--select",
            "-s",
            metavar="MODEL[+]",
            help="Rebuild only MODEL; MODEL+ adds what depends on it, +MODEL what it reads.",
        ),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Re-run the SQL models and data tests on what is staged, as a new version.

    Example: jjj-etl build --select int_figures_matched_to_indicators+
    """
    from jjj_etl.pipeline import Pipeline

    pipe = Pipeline.open(config, warehouse, sql_dir=sql_dir, lock_timeout=lock_timeout)
    result = pipe.rebuild(select or ())
    if as_json:
        out.print_json(json.dumps(result, default=str))
    elif result["version"] is None:
        out.print("nothing changed: no version added")
    else:
        out.print(f"version {result['version']} committed; exports in {result['exports']}")


@command(name="test")
def data_test(
    warehouse: WarehouseOpt = None, sql_dir: SqlDirOpt = None, as_json: JsonOpt = False
) -> None:
    """Run the data tests on the published warehouse; writes nothing, adds no version.

    Exits 1 when a blocking test fails. Example: jjj-etl test --warehouse warehouse
    """
    from jjj_etl.tools import data_tests

    rows = data_tests(str(warehouse) if warehouse else None, sql_dir)
    if as_json:
        out.print_json(json.dumps(rows, default=str))
    else:
        _print_table([{k: v for k, v in r.items() if k != "sample"} for r in rows])
    failed = [f"{r['test']} ({r['failing_rows']} rows)" for r in rows if r["status"] == "FAIL"]
    if failed:
        raise RunError(f"{len(failed)} blocking data test(s) failed: {', '.join(failed)}")


@command()
def versions(warehouse: WarehouseOpt = None, as_json: JsonOpt = False) -> None:
    """List warehouse versions, newest first.

    Example: jjj-etl versions
    """
    from jjj_etl.tools import list_versions

    rows = list_versions(str(warehouse) if warehouse else None)
    if as_json:
        out.print_json(json.dumps(rows, default=str))
    elif rows:
        _print_table(rows)
    else:
        out.print("no versions yet")


@command()
def diff(
    old: Annotated[int, typer.Argument(metavar="OLD", help="The older version.")],
    new: Annotated[int, typer.Argument(metavar="NEW", help="The newer version.")],
    warehouse: WarehouseOpt = None,
    table: Annotated[
        str, typer.Option(metavar="TABLE", help="fct_observations or mart_indicator_series.")
    ] = "fct_observations",
    limit: Annotated[
        int, typer.Option(metavar="N", help="Rows shown per kind of change (table output).")
    ] = 50,
    as_json: JsonOpt = False,
) -> None:
    """What changed from version OLD to NEW: added, changed and removed rows, each with its
    indicator, region, period, article and sentence.

    Example: jjj-etl diff 1 2 --table mart_indicator_series
    """
    from jjj_etl.tools import diff_versions

    d = diff_versions(str(warehouse) if warehouse else None, old, new, table)
    if as_json:
        out.print_json(json.dumps(d, default=str))
        return
    width = shutil.get_terminal_size((200, 24)).columns
    for kind in ("added", "changed", "removed"):
        rows = d[kind]
        out.print(Text(f"{kind}: {len(rows)}", style="bold"))
        for row in rows[:limit]:
            sys.stdout.write(diff_block(row, kind, width) + "\n")
        if len(rows) > limit:
            out.print(f"  … and {len(rows) - limit} more (--limit N, or --json for all)")


@command()
def query(
    sql: Annotated[str, typer.Argument(metavar="SQL", help="One SQL statement (read-only).")],
    warehouse: WarehouseOpt = None,
    as_of: Annotated[
        int | None, typer.Option("--as-of", metavar="VERSION", help="Read this past version.")
    ] = None,
    fmt: Annotated[
        str, typer.Option("--format", metavar="FORMAT", help="table, json or csv.")
    ] = "table",
    multi: Annotated[
        bool,
        typer.Option("--multi", help="Allow several ;-separated statements; print the last."),
    ] = False,
) -> None:
    """Read-only SQL against the warehouse, optionally as of a past version.

    Example: jjj-etl query "select * from mart_indicator_series order by indicator_id, period"
    """
    from jjj_etl.tools import run_query

    if fmt not in ("table", "json", "csv"):
        raise UsageError(f"--format must be table, json or csv, not {fmt!r}")
    cols, rows = run_query(str(warehouse) if warehouse else None, sql, as_of, multi=multi)
    dicts = [dict(zip(cols, r, strict=True)) for r in rows]
    if fmt == "json":
        sys.stdout.write(json.dumps(dicts, default=str, ensure_ascii=False) + "\n")
    elif fmt == "csv":
        import csv

        w = csv.writer(sys.stdout)
        w.writerow(cols)
        w.writerows(rows)
    elif dicts:
        _print_table(dicts, cols)
    else:
        out.print(f"(no rows) columns: {', '.join(cols)}")


@command()
def export(
    version: Annotated[
        int | None, typer.Option("--version", metavar="N", help="Version to export.")
    ] = None,
    dest: Annotated[
        Path | None,
        typer.Option("--dest", metavar="DIR", help="Export folder (default: <warehouse>/exports)."),
    ] = None,
    partition_by_indicator: Annotated[
        bool,
        typer.Option("--partition-by-indicator", help="Also write Hive partitions by indicator."),
    ] = False,
    warehouse: WarehouseOpt = None,
) -> None:
    """Parquet export of the marts (exports/v<N>/, latest/, manifest.json).

    With no options, makes sure the current version's export is whole (a missing or
    damaged one is written again).  A version already exported whole at the destination is
    not written again: that exits 1, saying so.  --partition-by-indicator adds the
    partitions to a whole export that lacks them.

    Example: jjj-etl export --version 3 --dest /tmp/exports
    """
    from jjj_etl.tools import export_outcome

    done = export_outcome(
        str(warehouse) if warehouse else None, version, dest, partition_by_indicator
    )
    if done.written:
        out.print(f"exported version {done.version} to {done.folder}: {', '.join(done.written)}")
        return
    whole = f"{done.folder} already holds the whole export of version {done.version}"
    if version is None and dest is None and not partition_by_indicator:
        out.print(f"{whole} (every file matches manifest.json); nothing to write")
        return
    # asked to write it: say why nothing was, and exit non-zero (a script must notice)
    _fail(
        f"{whole} (every file matches manifest.json); a version's export is immutable, so "
        "nothing was written (remove the folder to export it again)",
        1,
    )


@command()
def report(
    version: Annotated[
        int | None, typer.Option("--version", metavar="N", help="Version to describe.")
    ] = None,
    out_file: Annotated[
        Path | None, typer.Option("--out", metavar="FILE", help="HTML file to write.")
    ] = None,
    warehouse: WarehouseOpt = None,
) -> None:
    """A self-contained HTML report: series charts, latest values, conflicts, coverage.

    Example: jjj-etl report --out report.html
    """
    from jjj_etl.report import build_report

    path = build_report(str(warehouse) if warehouse else None, version, out_file)
    out.print(f"report written to {path}")


def _fail(message: str, code: int) -> None:
    err.print(Text("error: ", style="red").append(message))
    sys.exit(code)


def _usage_message(exc: typer.TyperException) -> str:
    """One line for a usage error of typer's own click: what is wrong and where help is."""
    text = exc.format_message() if hasattr(exc, "format_message") else str(exc)
    ctx = getattr(exc, "ctx", None)
    where = ctx.command_path if ctx is not None else "jjj-etl"
    return f"{text} (try '{where} --help')"


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
        code = app(standalone_mode=False)
    except JjjError as exc:
        _fail(str(exc), exc.exit_code)
    except typer.TyperException as exc:  # typer 0.29's vendored click: bad usage
        _fail(_usage_message(exc), getattr(exc, "exit_code", 2))
    except (typer.Abort, KeyboardInterrupt):
        sys.exit(130)
    sys.exit(code if isinstance(code, int) else 0)
