"""``sources.toml``: what to crawl, how politely, and when.

Validated once at the edge (CLI or flow) with pydantic and passed down as a frozen
:class:`Config`.  Any problem raises :class:`~jjj_etl.errors.ConfigError` naming the
file, the key and what was expected.

>>> cfg = load_config(sample_config_path())
>>> cfg.sources[0].name
'sample-forum'
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    field_validator,
    model_validator,
)

from jjj_etl.errors import ConfigError, UsageError
from jjj_etl.memory import DEFAULT_MEMORY_LIMIT, check_memory_limit, default_memory_limit

DEFAULT_KEYWORDS = (
    "Beijing-Tianjin-Hebei",
    "Jing-Jin-Ji",
    "Zhongguancun",
    "Xiong'an",
    "京津冀",
    "中关村",
    "雄安",
)
DEFAULT_USER_AGENT = "jjj-etl/0.1 (+https://github.com/jjj-etl/jjj-etl; data-team@jjj-etl.invalid)"

DEFAULT_MAX_BYTES = 5_000_000  # a page's byte cap, raw and decoded (also `jjj-etl parse URL`)

SourceName = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]*$", max_length=64)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Schedule(_Strict):
    """When ``jjj-etl serve`` runs the pipeline."""

    cron: str = "0 7 * * *"
    timezone: str = "Asia/Shanghai"

    @field_validator("cron")
    @classmethod
    def _cron_has_five_fields(cls, v: str) -> str:
        if len(v.split()) != 5:
            raise ValueError("expected a cron expression with 5 fields, e.g. '0 7 * * *'")
        return v

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, v: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown IANA timezone {v!r}") from exc
        return v


class Source(_Strict):
    """One site to crawl."""

    name: SourceName
    start_urls: tuple[str, ...] = Field(min_length=1)
    allowed_hosts: tuple[str, ...] = ()
    article_pattern: str = r".*"
    listing_pattern: str | None = None
    keywords: tuple[str, ...] = DEFAULT_KEYWORDS
    max_pages: int = Field(default=500, ge=1, le=1_000_000)
    max_depth: int = Field(default=3, ge=0, le=50)
    requests_per_second: float = Field(default=1.0, gt=0, le=1000)
    concurrency: int = Field(default=2, ge=1, le=64)
    timeout_seconds: float = Field(default=20.0, gt=0, le=600)
    max_bytes: int = Field(default=DEFAULT_MAX_BYTES, ge=1024, le=1_000_000_000)
    user_agent: str = DEFAULT_USER_AGENT
    lang: str | None = None  # force en/zh; None = detect
    # added for the production crawler (issue 4); all optional, with defaults
    global_concurrency: int = Field(default=16, ge=1, le=256)  # requests in flight, all hosts
    max_redirects: int = Field(default=5, ge=0, le=20)
    max_retries: int = Field(default=3, ge=0, le=10)  # per request, after the first attempt
    retry_backoff_seconds: float = Field(default=0.5, gt=0, le=60)  # first backoff; doubles
    max_retry_wait_seconds: float = Field(default=30.0, ge=0, le=3600)  # total, per request
    contact: str | None = None  # e-mail or URL: sent as From: / appended to the user agent
    warc_files: tuple[str, ...] = ()  # read this source from WARC files instead of the web
    accept_language: str | None = None  # e.g. "en;q=1.0, zh-CN;q=0.8"
    # CSS selectors that fix one site's pages without code: the article body (every match, in
    # page order) and the element holding the publication date (its datetime/content
    # attribute or its text); unset = found by the generic readers
    body_selector: str | None = None
    date_selector: str | None = None

    @field_validator("start_urls")
    @classmethod
    def _urls_have_scheme(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        for url in v:
            if not re.match(r"^(https?|file)://", url) and not url.startswith("sample:"):
                raise ValueError(f"{url!r} is not an http(s)://, file:// or sample: URL")
        return v

    @field_validator("body_selector", "date_selector")
    @classmethod
    def _valid_selector(cls, v: str | None) -> str | None:
        if v is not None:
            from bs4 import BeautifulSoup

            try:
                BeautifulSoup("", "lxml").css.compile(v)  # the parser's own selector engine
            except Exception as exc:
                first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
                raise ValueError(f"not a valid CSS selector: {first}") from exc
        return v

    @field_validator("article_pattern", "listing_pattern")
    @classmethod
    def _valid_regex(cls, v: str | None) -> str | None:
        if v is not None:
            try:
                re.compile(v)
            except re.error as exc:
                raise ValueError(f"not a valid regular expression: {exc}") from exc
        return v

    @field_validator("warc_files")
    @classmethod
    def _warc_files_exist(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        missing = [w for w in v if not Path(w).is_file()]
        if missing:
            raise ValueError(f"WARC file(s) not found: {', '.join(missing)}")
        return v

    @field_validator("lang")
    @classmethod
    def _lang(cls, v: str | None) -> str | None:
        if v not in (None, "en", "zh"):
            raise ValueError("expected 'en' or 'zh'")
        return v


class Parse(_Strict):
    """How the parse stage runs."""

    workers: int = Field(default=0, ge=0, le=64)  # worker processes; 0 = one per usable core
    # a page whose parse runs longer is skipped ("too-slow: …"): its worker is killed
    page_timeout_seconds: float = Field(default=30.0, gt=0, le=3600)


class Warehouse(_Strict):
    """How the warehouse is written."""

    # DuckDB's memory cap while a run loads, builds, tests and commits; past it DuckDB spills
    # to ``<warehouse>/*.duckdb.tmp``.  "none" lifts it (DuckDB then takes up to 80 % of RAM).
    memory_limit: str = DEFAULT_MEMORY_LIMIT
    # "duckdb": one file, published by atomic rename; "ducklake": a DuckLake catalog (a DuckDB
    # file or PostgreSQL) holding snapshots, data as Parquet under ``data_path`` (README,
    # "Warehouse backends").  Relative paths are taken inside the warehouse folder.
    backend: Literal["duckdb", "ducklake"] = "duckdb"
    catalog: str = ""  # ducklake: a file path, or "postgres:host=… port=… dbname=… user=…"
    data_path: str = ""  # ducklake: a folder for the Parquet data files, or s3://bucket/prefix
    # ducklake on s3://: the server (host[:port]; "" is AWS), its region and URL style; the
    # credentials come from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, never from this file
    s3_endpoint: str = ""
    s3_region: str = "us-east-1"
    s3_url_style: Literal["vhost", "path"] = "vhost"
    s3_use_ssl: bool = True
    # ducklake maintenance: snapshots (and the versions in them) older than this are
    # expired, the files only they used deleted once scheduled that long; "forever" keeps all
    snapshot_retention: str = "30 days"
    file_retention: str = "1 day"
    maintenance_every: int = Field(default=1, ge=0, le=10_000)  # versions; 0 = never

    @field_validator("memory_limit")
    @classmethod
    def _duckdb_accepts(cls, v: str) -> str:
        return check_memory_limit(v)

    @field_validator("catalog")
    @classmethod
    def _catalog_form(cls, v: str) -> str:
        return check_catalog(v)

    @field_validator("data_path")
    @classmethod
    def _data_path_form(cls, v: str) -> str:
        return check_data_path(v)

    @field_validator("s3_endpoint")
    @classmethod
    def _endpoint_form(cls, v: str) -> str:
        if v and not _ENDPOINT.fullmatch(v):
            raise ValueError(f"expected host or host:port with no scheme or path, got {v!r}")
        return v

    @field_validator("s3_region")
    @classmethod
    def _region_form(cls, v: str) -> str:
        if not _REGION.fullmatch(v):
            raise ValueError(f"expected a region name such as 'us-east-1', got {v!r}")
        return v

    @field_validator("snapshot_retention", "file_retention")
    @classmethod
    def _interval(cls, v: str) -> str:
        return check_retention(v)

    @model_validator(mode="before")
    @classmethod
    def _lake_default_memory(cls, data: Any) -> Any:
        # a lake's run is one transaction (no one-thread retry of a model): a larger default
        if isinstance(data, dict) and data.get("backend") == "ducklake":
            return {"memory_limit": default_memory_limit(lake=True), **data}
        return data

    @model_validator(mode="after")
    def _lake_keys_need_ducklake(self) -> Warehouse:
        if self.backend == "duckdb" and (self.catalog or self.data_path):
            raise ValueError('catalog and data_path are for backend = "ducklake" only')
        s3_set = self.model_fields_set & {"s3_endpoint", "s3_region", "s3_url_style", "s3_use_ssl"}
        if s3_set and not self.data_path.startswith("s3://"):
            raise ValueError(f"{', '.join(sorted(s3_set))}: only with an s3:// data_path")
        return self


# host or host:port (an S3-compatible server); a scheme is use_ssl's job, a path is not allowed
_ENDPOINT = re.compile(r"[A-Za-z0-9.-]+(:\d{1,5})?")
_REGION = re.compile(r"[a-z0-9-]{2,40}")
# DNS-compatible bucket names, then an optional key prefix
_S3_PATH = re.compile(r"s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](/[^\s']*)?")


def check_data_path(value: str) -> str:
    """A DuckLake data path: a local folder, or ``s3://bucket[/prefix]``.

    >>> check_data_path("s3://lake-data/jjj")
    's3://lake-data/jjj'
    """
    if "://" not in value:
        return value
    if not value.startswith("s3://"):
        scheme = value.split("://", maxsplit=1)[0]
        raise ValueError(
            f"expected a local folder or s3://bucket/prefix; {scheme}:// is not supported"
        )
    if not _S3_PATH.fullmatch(value):
        raise ValueError(f"expected s3://bucket/prefix with a valid bucket name, got {value!r}")
    return value


_LIBPQ_KEYS = frozenset(
    {"host", "hostaddr", "port", "dbname", "user", "sslmode", "connect_timeout",
     "application_name", "options", "passfile", "sslrootcert", "sslcert", "sslkey", "service"}
)  # fmt: skip


def check_catalog(value: str) -> str:
    """A DuckLake catalog: a file path, or ``postgres:`` and libpq ``key=value`` pairs.

    Raises ValueError for an unknown libpq key or a password (libpq reads it from
    ``PGPASSWORD`` or ``~/.pgpass``, so it never sits in a config file).

    >>> check_catalog("postgres:host=127.0.0.1 port=5432 dbname=lake user=etl")
    'postgres:host=127.0.0.1 port=5432 dbname=lake user=etl'
    """
    v = value.strip()
    if not v.startswith("postgres:"):
        if "://" in v or v.startswith(("sqlite:", "mysql:")):
            raise ValueError("expected a file path or 'postgres:host=… dbname=… user=…'")
        return v
    pairs = v.removeprefix("postgres:").split()
    if not pairs:
        raise ValueError("postgres: needs libpq keywords, e.g. 'postgres:dbname=lake user=etl'")
    for pair in pairs:
        key, eq, val = pair.partition("=")
        if key == "password":
            raise ValueError("no password here: libpq reads it from PGPASSWORD or ~/.pgpass")
        if not eq or not val or key not in _LIBPQ_KEYS or "'" in val:
            raise ValueError(f"{pair!r}: expected key=value with a libpq keyword")
    return v


def check_retention(value: str) -> str:
    """``forever``, or an interval DuckDB reads (``30 days``, ``12 hours``, ``1 week``).

    >>> check_retention("7 days")
    '7 days'
    """
    v = value.strip()
    if v == "forever":
        return v
    import duckdb

    try:
        row = duckdb.sql("select ?::interval >= interval '0 seconds'", params=[v]).fetchone()
    except duckdb.Error:
        row = None
    if not v or row is None or not row[0]:
        raise ValueError(f"expected 'forever' or an interval such as '30 days', got {value!r}")
    return v


class Config(_Strict):
    """The whole ``sources.toml``."""

    schedule: Schedule = Schedule()
    parse: Parse = Parse()
    warehouse: Warehouse = Warehouse()
    sources: tuple[Source, ...] = Field(min_length=1)
    path: str = ""

    @model_validator(mode="after")
    def _unique_names(self) -> Config:
        names = [s.name for s in self.sources]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"source names must be unique; repeated: {', '.join(dupes)}")
        return self

    def select(self, names: Sequence[str] | None = None) -> tuple[Source, ...]:
        """The sources named (all when none); UsageError names the unknown ones."""
        if not names:
            return self.sources
        known = [s.name for s in self.sources]
        unknown = sorted(set(names) - set(known))
        if unknown:
            raise UsageError(
                f"--source {', '.join(unknown)}: no such source in "
                f"{self.path or 'the config'}; configured: {', '.join(known)}"
            )
        return tuple(s for s in self.sources if s.name in names)


def sample_config_path() -> Path:
    """Path of the bundled sample site's ``sources.toml``."""
    return Path(str(resources.files("jjj_etl") / "samples" / "sources.toml"))


def _key_of(loc: tuple[Any, ...], data: dict[str, Any]) -> str:
    """Render a pydantic error location as a TOML key, e.g. ``sources[0].max_pages``."""
    parts: list[str] = []
    node: Any = data
    for item in loc:
        if isinstance(item, int):
            parts[-1:] = [f"{parts[-1]}[{item}]"] if parts else [f"[{item}]"]
            node = node[item] if isinstance(node, list | tuple) and item < len(node) else None
            if isinstance(node, dict) and "name" in node:
                parts[-1] += f" (name={node['name']!r})"
        else:
            parts.append(str(item))
            node = node.get(item) if isinstance(node, dict) else None
    return ".".join(parts) or "(top level)"


def load_config(path: str | Path | None = None) -> Config:
    """Read and validate ``sources.toml``; with no path, the bundled sample site's config.

    Raises ConfigError (exit 2) naming the file and the key on any problem.
    """
    p = Path(path) if path is not None else sample_config_path()
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise ConfigError(str(p), "(file)", f"cannot read: {exc.strerror or exc}") from exc
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ConfigError(str(p), "(file)", "not UTF-8 text") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(str(p), "(syntax)", f"invalid TOML: {exc}") from exc
    data = _resolve_relative_urls(data, p.parent)
    try:
        return Config.model_validate({**data, "path": str(p)})
    except ValidationError as exc:
        problems = _problems(exc, data)
        raise ConfigError(str(p), *problems[0], more=problems[1:]) from exc


def _problems(exc: ValidationError, data: dict[str, Any]) -> list[tuple[str, str]]:
    """Every ``(key, problem)`` of a failed validation.  A list whose items all failed also
    reads as "too short" (pydantic drops the failed items): that echo is left out."""
    errors = exc.errors()
    inner = [tuple(e["loc"]) for e in errors]
    return [
        (_key_of(tuple(e["loc"]), data), e["msg"])
        for e in errors
        if not (
            e["type"] == "too_short"
            and any(len(o) > len(e["loc"]) and o[: len(e["loc"])] == tuple(e["loc"]) for o in inner)
        )
    ]


def _resolve_relative_urls(data: dict[str, Any], base: Path) -> dict[str, Any]:
    """``file:`` start URLs and ``warc_files`` are taken relative to the config file."""
    sources = data.get("sources")
    if not isinstance(sources, list):
        return data
    for src in sources:
        warcs = src.get("warc_files") if isinstance(src, dict) else None
        if isinstance(warcs, list):
            src["warc_files"] = [
                str((base / w).resolve()) if isinstance(w, str) else w for w in warcs
            ]
        urls = src.get("start_urls") if isinstance(src, dict) else None
        if isinstance(urls, list):
            src["start_urls"] = [
                (base / u.removeprefix("file:")).resolve().as_uri()
                if isinstance(u, str) and u.startswith("file:") and not u.startswith("file:/")
                else u
                for u in urls
            ]
    return data
