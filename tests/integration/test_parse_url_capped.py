"""`jjj-etl parse URL` reads the page as the crawler does: streamed under the byte cap, so a
gzip bomb on a real loopback server stops at the cap with a clear error and bounded memory."""

from __future__ import annotations

import json
import subprocess
import sys
import zlib
from collections.abc import Iterator
from functools import cache

import pytest

from cli_runs import BIN, cli_env
from jjj_etl.config import DEFAULT_MAX_BYTES
from loopback import SiteHandler, serve

INFLATED = 1_000_000_000  # the bomb's decoded size: 1 GB of spaces


@cache
def gzip_bomb() -> bytes:
    """~1 MB of gzip that inflates to 1 GB, built in 4 MB steps (never 1 GB in memory)."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    chunk = b" " * 4_000_000
    head = packer.compress(b"<html><body><p>Beijing-Tianjin-Hebei ")
    return (
        head
        + b"".join(packer.compress(chunk) for _ in range(INFLATED // len(chunk)))
        + (packer.flush())
    )


ARTICLE = (
    b'<html lang="en"><head><title>Zhongguancun grows</title></head><body><article>'
    b"<h1>Zhongguancun grows</h1><p>Updated: 2025-04-01</p><p>Zhongguancun firms earned "
    b"9.6 trillion yuan in 2024, up 9.9 percent, the Beijing-Tianjin-Hebei office said.</p>"
    b"<p>More than 24,000 high-tech firms are registered in the park.</p>"
    b"</article></body></html>"
)


class Handler(SiteHandler):
    def do_GET(self) -> None:  # noqa: N802 - the name http.server calls
        if self.path == "/bomb.html":
            self._send(200, gzip_bomb(), Content_Type="text/html", Content_Encoding="gzip")
        elif self.path == "/big.html":  # honest about its size: refused before reading
            self._send(200, b"<p>" + b"x" * (2 * DEFAULT_MAX_BYTES) + b"</p>")
        elif self.path == "/article.html":
            packed = zlib.compress(ARTICLE, wbits=16 + zlib.MAX_WBITS)
            self._send(200, packed, Content_Type="text/html", Content_Encoding="gzip")
        else:
            self._send(404, b"no such page")


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    with serve(Handler) as url:
        yield url


# the child's peak memory, measured in a wrapper so no other child of pytest counts
MEASURE = (
    "import resource, subprocess, sys\n"
    "done = subprocess.run(sys.argv[1:], capture_output=True, text=True, timeout=120)\n"
    "sys.stderr.write(done.stderr); sys.stdout.write(done.stdout)\n"
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr)\n"
    "sys.exit(done.returncode)\n"
)


def _parse(*args: str) -> tuple[subprocess.CompletedProcess[str], int]:
    """``jjj-etl parse ARGS`` and its peak resident memory in MB."""
    done = subprocess.run(
        [sys.executable, "-c", MEASURE, str(BIN), "parse", *args],
        capture_output=True,
        text=True,
        timeout=180,
        env=cli_env(),
        check=False,
    )
    lines = done.stderr.rstrip("\n").split("\n")
    peak_mb = int(lines[-1]) // 1024  # ru_maxrss is in KiB on Linux
    done.stderr = "\n".join(lines[:-1])
    return done, peak_mb


def test_a_gzip_bomb_stops_at_the_cap_with_bounded_memory(server: str) -> None:
    done, peak_mb = _parse(f"{server}/bomb.html", "--json")
    assert done.returncode == 1, done.stderr
    assert f"body exceeded {DEFAULT_MAX_BYTES} bytes" in done.stderr
    assert "/bomb.html" in done.stderr
    assert "Traceback" not in done.stderr
    assert done.stdout == ""
    assert peak_mb < 400, f"peak {peak_mb} MB while refusing a bomb"


def test_a_declared_body_past_the_cap_is_refused(server: str) -> None:
    done, _ = _parse(f"{server}/big.html")
    assert done.returncode == 1
    assert "Content-Length" in done.stderr


def test_a_gzipped_page_under_the_cap_parses(server: str) -> None:
    done, _ = _parse(f"{server}/article.html", "--json")
    assert done.returncode == 0, done.stderr
    page = json.loads(done.stdout)
    assert page["article"]["title"] == "Zhongguancun grows"
    assert any(f["surface"] == "9.6 trillion yuan" for f in page["figures"])
    missing, _ = _parse(f"{server}/gone.html")
    assert missing.returncode == 1
    assert "HTTP 404" in missing.stderr
