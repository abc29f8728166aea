"""The real pipeline flow against a loopback server with faults: what the warehouse records.

A ThreadingHTTPServer on 127.0.0.1 (HTTP/1.1, keep-alive, ETag/304) serves the bundled
sample site, plus fault pages linked from its front page.  One flow run crawls it all
(module-scoped); the tests then read the warehouse read-only.  Separate runs only where
a test needs one: the conditional rerun (304s) and the run where every page fails.
"""

from __future__ import annotations

import hashlib
import re
import socket
import struct
import threading
import zlib
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.utils import formatdate
from functools import cache
from pathlib import Path
from typing import Any

import duckdb
import pytest
from warcio.archiveiterator import ArchiveIterator

from cli_runs import cli_env
from jjj_etl.archive import RawArchive, payload_digest
from jjj_etl.config import load_config
from jjj_etl.errors import RunError
from jjj_etl.fetch import replay
from loopback import SiteHandler, serve

SAMPLE = Path(__file__).resolve().parents[2] / "src" / "jjj_etl" / "samples" / "site"
F = "/faults/2025-05/01/content_9000000{:02d}.html"
RETRY_429, RETRY_500, HANG, RESET, TRUNCATED = (
    F.format(1),
    F.format(2),
    F.format(3),
    F.format(4),
    F.format(5),
)
LOOP, FOREIGN, BOMB, WRONG_CHARSET = F.format(6), F.format(7), F.format(8), F.format(9)
ROBOTS = "/private/2025-05/01/content_900000010.html"
PDF, CANONICAL_DUP, MOVED_A, MOVED_B, MOVED_TARGET = (F.format(n) for n in (11, 12, 13, 14, 15))
LOOP_B = "/faults/loop-b.html"
ORIGINAL = "/business/2025-03/31/content_117793540.html"  # linked from the sample front page
TRACKED = ORIGINAL + "?utm_source=rss&from=timeline#comments"
DEAD = "/dead/index.html"
FAULT_LINKS = (
    RETRY_429, RETRY_500, HANG, RESET, TRUNCATED, LOOP, FOREIGN, BOMB, WRONG_CHARSET, ROBOTS,
    PDF, CANONICAL_DUP, MOVED_A, MOVED_B, TRACKED,
)  # fmt: skip
MAX_BYTES = 300_000
LAST_MODIFIED = formatdate(1_740_000_000, usegmt=True)


def english(path: str, value: str, year: int, change: str) -> bytes:
    """An article page the parser keeps, with figures that map to an indicator."""
    return f"""<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<title>Beijing's technology deals with Tianjin, Hebei in {year} - Loopback News</title>
<meta property="article:published_time" content="2025-05-01T09:00:00+08:00">
<link rel="canonical" href="{path}"></head><body>
<h1>Beijing's technology deals with Tianjin, Hebei in {year}</h1>
<div id="articleBody">
<p>The Beijing-Tianjin-Hebei coordination office said on Thursday that technology \
contracts from Beijing to Tianjin and Hebei were worth {value} billion yuan in {year}, \
up {change}% year on year.</p>
<p>The office said the Jing-Jin-Ji region keeps turning research done in Zhongguancun into
factories in its neighbors, and that more of it will follow.</p>
</div></body></html>""".encode()


def chinese_gbk() -> bytes:
    """GBK bytes with no <meta charset>: served under a wrong ``charset=utf-8`` header."""
    return """<html><head><title>京津冀技术合同成交额稳步增长</title>
<meta name="publishdate" content="2025-05-01"></head><body><div id="articleBody">
<p>本报北京5月1日电 2021年，北京流向天津、河北的技术合同成交额达到350.4亿元，同比增长22.6%。</p>
<p>京津冀协同发展走深走实，中关村企业在津冀设立分支机构持续增加。北京的科研成果越来越多地在天津和
河北转化落地，三地共同建设的创新园区吸引了大批科技企业入驻，区域产业链和创新链加快融合。</p>
<p>业内人士表示，随着交通、产业和公共服务一体化不断推进，京津冀地区正在形成分工合理、优势互补的
发展格局，技术交易市场也将保持活跃。</p></div></body></html>""".encode("gbk")


@cache
def gzip_bomb() -> bytes:
    """~100 KB of gzip that inflates to 100 MB, built in 1 MB steps (never 100 MB in memory)."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    chunk = b" " * 1_000_000
    return b"".join(packer.compress(chunk) for _ in range(100)) + packer.flush()


@dataclass
class Site:
    """The server's state: request log, connections seen, in-flight counter, switches."""

    port: int = 0
    hits: Counter[str] = field(default_factory=Counter)
    statuses: Counter[tuple[str, int]] = field(default_factory=Counter)
    connections: set[tuple[str, int]] = field(default_factory=set)
    requests: int = 0
    in_flight: int = 0
    peak: int = 0
    user_agents: set[str] = field(default_factory=set)
    release: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"


class Handler(SiteHandler):
    """The sample site with ETag/Last-Modified/304, and a fault on each FAULT_LINKS path."""

    protocol_version = "HTTP/1.1"  # keep-alive: connection reuse is observable
    timeout = 5  # an idle keep-alive connection does not hold a thread past teardown

    def _send(self, status: int, body: bytes = b"", **headers: str) -> None:
        super()._send(status, body, **headers)
        with self.site.lock:
            self.site.statuses[(self.path.split("?", 1)[0], status)] += 1

    def do_GET(self) -> None:  # noqa: N802 - the stdlib handler's name
        path = self.path.split("?", 1)[0]
        with self.site.lock:
            self.site.hits[path] += 1
            self.site.requests += 1
            self.site.connections.add(self.client_address)
            self.site.user_agents.add(self.headers.get("User-Agent", ""))
            self.site.in_flight += 1
            self.site.peak = max(self.site.peak, self.site.in_flight)
            count = self.site.hits[path]
        try:
            if not self._fault(path, count) and not self._redirect(path):
                self._static(path)
        finally:
            with self.site.lock:
                self.site.in_flight -= 1

    def _fault(self, path: str, count: int) -> bool:
        if path == RETRY_429 and count == 1:
            self._send(429, b"slow down", Retry_After="1")
        elif path == RETRY_500 and count == 1:
            self._send(500, b"oops")
        elif path == HANG:
            self.site.release.wait(3.0)  # far past the client's 0.5 s read timeout
            self._send(200, b"<p>too late</p>", Content_Type="text/html")
        elif path in (RESET, DEAD):
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()  # RST, no response
            self.close_connection = True
        elif path == TRUNCATED:
            self._send(200, b"<html><body><p>cut", Content_Type="text/html", Content_Length="5000")
            self.close_connection = True
        elif path == BOMB:
            self._send(200, gzip_bomb(), Content_Type="text/html", Content_Encoding="gzip")
        elif path == WRONG_CHARSET:
            self._send(200, chinese_gbk(), Content_Type="text/html; charset=utf-8")
        elif path == PDF:
            self._send(200, b"%PDF-1.4 not a page", Content_Type="application/pdf")
        else:
            return False
        return True

    def _redirect(self, path: str) -> bool:
        targets = {
            LOOP: LOOP_B,
            LOOP_B: self.site.url(LOOP),
            FOREIGN: "http://foreign.example/news/1.html",
            MOVED_A: MOVED_TARGET,
            MOVED_B: MOVED_TARGET,
        }
        if path not in targets:
            return False
        self._send(301 if path == LOOP_B else 302, Location=targets[path])
        return True

    def _body(self, path: str) -> bytes | None:
        generated = {
            RETRY_429: english(RETRY_429, "41.1", 2019, "9.5"),
            RETRY_500: english(RETRY_500, "45.3", 2020, "10.2"),
            MOVED_TARGET: english(MOVED_TARGET, "49.8", 2022, "8.9"),
            "/robots.txt": b"User-agent: *\nDisallow: /private/\n",
        }
        if path in generated:
            return generated[path]
        if path == CANONICAL_DUP:  # the original's bytes plus a tracking pixel: not identical
            return (SAMPLE / ORIGINAL[1:]).read_bytes() + b"<img src='/px.gif?id=42'>"
        file = (SAMPLE / path.lstrip("/")).resolve()
        if not file.is_relative_to(SAMPLE) or not file.is_file():
            return None
        body = file.read_bytes()
        if path == "/index.html":
            links = "".join(f'<a href="{link}">fault</a>' for link in FAULT_LINKS)
            body = body.replace(b"</body>", links.encode() + b"</body>")
        return body

    def _static(self, path: str) -> None:
        body = self._body(path)
        if body is None:
            self._send(404, b"not found", Content_Type="text/plain")
            return
        etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
        if self.headers.get("If-None-Match") == etag:
            self._send(304, ETag=etag, Last_Modified=LAST_MODIFIED)
            return
        ctype = "text/plain" if path.endswith(".txt") else "text/html"
        self._send(200, body, Content_Type=ctype, ETag=etag, Last_Modified=LAST_MODIFIED)


@pytest.fixture(scope="module")
def site() -> Iterator[Site]:
    gzip_bomb()  # built before serving: building it takes longer than the client waits
    state = Site()
    with serve(Handler, state):
        yield state


def write_config(path: Path, site: Site, start: str = "/index.html") -> Path:
    path.write_text(
        f"""
[[sources]]
name = "loopback"
start_urls = ["{site.url(start)}"]
allowed_hosts = ["127.0.0.1"]
article_pattern = '/\\d{{4}}-\\d{{2}}/\\d{{2}}/content_\\d+\\.html?$'
max_pages = 200
requests_per_second = 500
concurrency = 4
global_concurrency = 6
timeout_seconds = 0.5
max_bytes = {MAX_BYTES}
max_retries = 2
retry_backoff_seconds = 0.05
max_retry_wait_seconds = 3
user_agent = "jjj-etl-test/1.0"
contact = "qa@example.invalid"
""",
        encoding="utf-8",
    )
    return path


@dataclass
class Run:
    warehouse: Path
    config: Path
    summary: dict[str, Any]
    run_id: str


def rows(wh: Path, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
    with duckdb.connect(str(wh / "jjj.duckdb"), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


@pytest.fixture(scope="module")
def first(prefect_harness: None, site: Site, tmp_path_factory: pytest.TempPathFactory) -> Run:
    from flows.pipeline import jjj_pipeline

    tmp = tmp_path_factory.mktemp("faults")
    cfg = write_config(tmp / "sources.toml", site)
    summary = jjj_pipeline(config_path=str(cfg), warehouse=str(tmp / "wh"))
    (run_id,) = rows(tmp / "wh", "select min(run_id) from staging.pages")[0]
    return Run(tmp / "wh", cfg, summary, run_id)


def page(run: Run, site: Site, path: str) -> dict[str, Any]:
    cols = "url, final_url, status, outcome, reason, error, size, content_sha256, charset"
    found = rows(
        run.warehouse,
        f"select {cols} from staging.pages where run_id = ? and url = ?",
        [run.run_id, site.url(path)],
    )
    assert len(found) == 1, (path, found)
    return dict(zip([c.strip() for c in cols.split(",")], found[0], strict=True))


FAULTS = [
    # path, outcome, pattern on "reason or error", server hits (None: not checked)
    (RETRY_429, "article", None, 2),
    (RETRY_500, "article", None, 2),
    (HANG, "failed", r"^ReadTimeout", 3),
    (RESET, "failed", r"^(ReadError|RemoteProtocolError|ConnectError)", 3),
    (TRUNCATED, "failed", r"^RemoteProtocolError: .*(incomplete|complete message body)", 3),
    (LOOP, "failed", r"^redirect loop: .*loop-b\.html -> .*content_900000006\.html$", 1),
    (FOREIGN, "skipped", r"^redirect-off-site: .* to http://foreign\.example/news/1\.html", 1),
    (BOMB, "skipped", rf"^too-large: body exceeded {MAX_BYTES} bytes once gzip-decoded$", 1),
    (ROBOTS, "skipped", r"^robots: .* disallowed for jjj-etl-test by robots\.txt$", 0),
    (PDF, "skipped", r"^not-html: content type application/pdf$", 1),
    (CANONICAL_DUP, "duplicate", r"^duplicate: rel=canonical .*content_117793540\.html", 1),
]


@pytest.mark.parametrize(("path", "outcome", "why", "hits"), FAULTS, ids=lambda v: str(v)[:40])
def test_fault_is_recorded_in_staging_pages(
    first: Run, site: Site, path: str, outcome: str, why: str | None, hits: int | None
) -> None:
    rec = page(first, site, path)
    assert rec["outcome"] == outcome, rec
    text = rec["reason"] or rec["error"]
    if why is None:
        assert text is None, rec
    else:
        assert re.search(why, text or ""), rec
    if hits is not None:
        assert site.hits[path] == hits


def test_wrong_charset_header_still_gives_a_chinese_article(first: Run, site: Site) -> None:
    rec = page(first, site, WRONG_CHARSET)
    assert (rec["outcome"], rec["charset"]) == ("article", "utf-8")  # what the header said
    title = rows(
        first.warehouse,
        "select title from main.dim_articles where url = ?",
        [site.url(WRONG_CHARSET)],
    )
    assert title == [("京津冀技术合同成交额稳步增长",)]
    values = rows(
        first.warehouse,
        "select value from main.fct_observations where url = ? order by value",
        [site.url(WRONG_CHARSET)],
    )
    assert values == [(22.6,), (35_040_000_000,)]


def test_two_redirects_to_one_page_fetch_it_once(first: Run, site: Site) -> None:
    a, b = page(first, site, MOVED_A), page(first, site, MOVED_B)
    assert site.hits[MOVED_TARGET] == 1
    assert {a["final_url"], b["final_url"]} == {site.url(MOVED_TARGET)}
    kept, dup = (a, b) if a["outcome"] == "article" else (b, a)
    assert kept["outcome"] == "article"
    assert dup["outcome"] == "duplicate"
    assert dup["reason"].startswith(f"duplicate: redirects to {site.url(MOVED_TARGET)}")


def test_tracking_parameters_are_folded_into_one_url(first: Run, site: Site) -> None:
    assert site.hits[ORIGINAL] == 1
    urls = rows(first.warehouse, "select url from staging.pages where url like '%117793540%'")
    assert urls == [(site.url(ORIGINAL),)]


def test_the_rest_of_the_site_made_it_into_the_marts(first: Run, site: Site) -> None:
    wh = first.warehouse
    articles = rows(wh, "select url from main.dim_articles")
    urls = {u for (u,) in articles}
    assert {site.url(p) for p in (RETRY_429, RETRY_500, MOVED_TARGET, ORIGINAL)} <= urls
    assert len(urls) >= 16  # the sample site's articles, fetched over HTTP
    by_period = dict(
        rows(
            wh,
            "select period, value from main.fct_observations "
            "where indicator_id = 'tech_contract_value_bj_to_tjhe' and unit = 'CNY'",
        )
    )
    assert by_period["2019"] == 41_100_000_000  # the page that answered 429 first
    assert by_period["2020"] == 45_300_000_000  # the page that answered 500 first
    assert by_period["2022"] == 49_800_000_000  # reached through a redirect
    assert by_period["2024"] == 84_370_000_000  # the sample site's main fact


def test_summary_matches_the_warehouse(first: Run, site: Site) -> None:
    wh, summary = first.warehouse, first.summary
    outcomes = dict(
        rows(
            wh,
            "select outcome, count(*) from staging.pages where run_id = ? group by 1",
            [first.run_id],
        )
    )
    assert summary["pages"] == outcomes
    assert summary["version"] == 1
    assert summary["articles"] == rows(wh, "select count(*) from main.dim_articles")[0][0]
    assert summary["observations"] == rows(wh, "select count(*) from fct_observations")[0][0]
    reasons = Counter(
        r.split(":")[0]
        for (r,) in rows(
            wh,
            "select reason from staging.pages where run_id = ? and outcome = 'skipped'",
            [first.run_id],
        )
    )
    assert summary["skipped_reasons"] == dict(reasons)
    assert {"robots", "too-large", "redirect-off-site", "not-html"} <= set(reasons)
    failed = {line.split(": ", 1)[0] for line in summary["failed"]}
    assert failed == {site.url(p) for p in (HANG, RESET, TRUNCATED, LOOP)}


def test_fetch_state_keeps_validators_of_good_pages_only(first: Run, site: Site) -> None:
    state = {
        url: (etag, lm, sha)
        for url, etag, lm, sha in rows(
            first.warehouse,
            "select url, etag, last_modified, content_sha256 from meta.fetch_state",
        )
    }
    for path in ("/index.html", ORIGINAL, RETRY_429, RETRY_500):
        etag, lm, sha = state[site.url(path)]
        assert (etag or "").startswith('"')
        assert lm == LAST_MODIFIED
        assert sha == page(first, site, path)["content_sha256"]
    for path in (HANG, RESET, TRUNCATED, LOOP, BOMB, ROBOTS):
        assert site.url(path) not in state


def test_one_pool_of_reused_connections_within_the_caps(first: Run, site: Site) -> None:
    assert site.requests > 40
    assert len(site.connections) < site.requests / 2  # keep-alive: connections were reused
    assert site.peak <= 4  # per-host concurrency (global cap 6 is not the binding one here)
    assert site.user_agents == {"jjj-etl-test/1.0 (+qa@example.invalid)"}


def test_every_exchange_is_in_the_warc_and_replays_offline(first: Run, site: Site) -> None:
    archive = RawArchive(first.warehouse / "raw")
    files = archive.warc_files()
    assert files
    kinds: Counter[str] = Counter()
    digests: dict[str, str] = {}
    for path in files:
        with path.open("rb") as fh:
            for record in ArchiveIterator(fh):
                kinds[record.rec_type] += 1
                uri = record.rec_headers.get_header("WARC-Target-URI")
                if record.rec_type == "response" and record.http_headers.get_statuscode() == "200":
                    digests[uri] = record.rec_headers.get_header("WARC-Payload-Digest")
    # every response the crawler received, except those a retry replaced and broken bodies
    retried = site.statuses[(RETRY_429, 429)] + site.statuses[(RETRY_500, 500)]
    received = sum(site.statuses.values()) - retried - site.statuses[(TRUNCATED, 200)]
    assert kinds["request"] == kinds["response"] == received
    assert kinds["warcinfo"] == len(files)
    original = page(first, site, ORIGINAL)
    assert digests[site.url(ORIGINAL)] == payload_digest(original["content_sha256"])

    before = site.requests
    source = load_config(first.config).sources[0]
    again = {p.url: p for p in replay(source, archive)}
    assert site.requests == before  # no network
    for path in (ORIGINAL, RETRY_429, WRONG_CHARSET, "/index.html"):
        assert again[site.url(path)].content_sha256 == page(first, site, path)["content_sha256"]
    assert again[site.url(ROBOTS)].skipped.startswith("robots")  # robots.txt was archived too
    assert again[site.url(HANG)].status == 404  # never answered, so never archived


def test_rerun_is_conditional_and_commits_no_version(
    first: Run, site: Site, prefect_harness: None
) -> None:
    from flows.pipeline import jjj_pipeline

    fetched_before = site.statuses[(ORIGINAL, 200)]
    summary = jjj_pipeline(config_path=str(first.config), warehouse=str(first.warehouse))
    assert summary["version"] is None
    assert summary["pages"]["not-modified"] >= 16
    assert site.statuses[(ORIGINAL, 304)] == 1
    assert site.statuses[(ORIGINAL, 200)] == fetched_before
    (second,) = rows(first.warehouse, "select max(run_id) from staging.pages")[0]
    rerun = Run(first.warehouse, first.config, summary, second)
    rec = page(rerun, site, ORIGINAL)
    assert rec["outcome"] == "not-modified"
    assert rec["size"] == page(first, site, ORIGINAL)["size"] > 0
    assert rows(first.warehouse, "select count(*) from meta.versions") == [(1,)]


def test_a_run_where_every_page_fails_commits_nothing(
    prefect_harness: None, site: Site, tmp_path: Path
) -> None:
    from flows.pipeline import jjj_pipeline

    cfg = write_config(tmp_path / "sources.toml", site, start=DEAD)
    with pytest.raises(RunError, match=r"no page of any source could be fetched.*loopback: "):
        jjj_pipeline(config_path=str(cfg), warehouse=str(tmp_path / "wh"))
    assert not (tmp_path / "wh" / "jjj.duckdb").exists()
    assert site.hits[DEAD] == 3  # bounded: one try and two retries


def test_a_run_where_one_source_fails_commits_the_others_and_names_it(
    site: Site, tmp_path: Path
) -> None:
    from jjj_etl.pipeline import Pipeline

    good = write_config(tmp_path / "good.toml", site).read_text(encoding="utf-8")
    dead = write_config(tmp_path / "dead.toml", site, start=DEAD).read_text(encoding="utf-8")
    cfg = tmp_path / "sources.toml"
    cfg.write_text(good + dead.replace('name = "loopback"', 'name = "dead-one"'), "utf-8")
    summary = Pipeline.open(cfg, tmp_path / "wh").run()
    assert summary.version == 1  # what the healthy source got is committed
    (failed,) = summary.failed_sources
    assert failed.startswith("dead-one: ")
    assert "none fetched" in failed
    assert "source failed" in summary.markdown()


def test_a_host_that_cannot_be_reached_fails_the_run_with_exit_1(tmp_path: Path) -> None:
    import socket
    import subprocess
    import sys

    with socket.socket() as probe:  # a loopback port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    cfg = tmp_path / "sources.toml"
    cfg.write_text(
        f'[[sources]]\nname = "gone"\nstart_urls = ["http://127.0.0.1:{port}/news/"]\n'
        'allowed_hosts = ["127.0.0.1"]\nmax_retries = 0\ntimeout_seconds = 2\n',
        encoding="utf-8",
    )
    env = cli_env(shared_server=True)
    done = subprocess.run(
        [
            str(Path(sys.executable).parent / "jjj-etl"),
            "run",
            "--config",
            str(cfg),
            "--warehouse",
            str(tmp_path / "wh"),
        ],
        capture_output=True,
        text=True,
        timeout=240,
        env=env,
        check=False,
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert "robots.txt of http://127.0.0.1" in done.stderr
    assert "could not be read (ConnectError" in done.stderr
    assert "robots: " not in done.stderr  # not reported as a disallow
    assert not (tmp_path / "wh" / "jjj.duckdb").exists()


def test_the_gzip_bomb_really_is_one() -> None:
    bomb = gzip_bomb()
    assert len(bomb) < 200_000
    assert int.from_bytes(bomb[-4:], "little") == 100_000_000  # gzip ISIZE: inflated size
