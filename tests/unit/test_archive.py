"""RawArchive: content-addressed, gzip-compressed, atomic and idempotent; crawled bodies
live once, inside their WARC records, found by a pointer per hash."""

from __future__ import annotations

import gzip
import hashlib
import subprocess
import sys
import zlib
from pathlib import Path

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from warcio.archiveiterator import ArchiveIterator

from jjj_etl.archive import RawArchive, _index, _writer, payload_digest


@pytest.fixture
def archive(tmp_path: Path) -> RawArchive:
    return RawArchive(tmp_path / "raw")


def test_put_returns_sha256_and_stores_gzip_at_sharded_path(archive: RawArchive) -> None:
    data = "京津冀 <html>".encode()
    sha = archive.put(data)
    assert sha == hashlib.sha256(data).hexdigest()
    path = archive.root / "objects" / sha[:2] / f"{sha}.gz"
    assert path.is_file()
    assert gzip.decompress(path.read_bytes()) == data
    assert archive.get(sha) == data
    assert sha in archive


def test_put_is_idempotent_and_leaves_no_temporary_files(archive: RawArchive) -> None:
    sha = archive.put(b"same")
    path = archive.path_for(sha)
    before = path.stat().st_mtime_ns
    assert archive.put(b"same") == sha
    assert path.stat().st_mtime_ns == before  # not rewritten
    files = [p.name for p in archive.root.rglob("*") if p.is_file()]
    assert files == [f"{sha}.gz"]


def test_identical_bodies_compress_to_identical_files(tmp_path: Path) -> None:
    a, b = RawArchive(tmp_path / "a"), RawArchive(tmp_path / "b")
    sha = a.put(b"body" * 100)
    b.put(b"body" * 100)
    assert a.path_for(sha).read_bytes() == b.path_for(sha).read_bytes()  # gzip mtime=0


def test_missing_and_malformed_keys(archive: RawArchive) -> None:
    missing = hashlib.sha256(b"never stored").hexdigest()
    with pytest.raises(KeyError):
        archive.get(missing)
    with pytest.raises(KeyError):
        archive.get("../../etc/passwd")
    assert missing not in archive
    assert "not-a-hash" not in archive
    assert 42 not in archive
    assert None not in archive


def test_failed_write_leaves_nothing_behind(
    archive: RawArchive, monkeypatch: pytest.MonkeyPatch
) -> None:
    def boom(self: Path, target: Path) -> Path:
        raise OSError("disk full")

    monkeypatch.setattr(Path, "replace", boom)
    with pytest.raises(OSError, match="disk full"):
        archive.put(b"lost")
    assert [p for p in archive.root.rglob("*") if p.is_file()] == []


@settings(max_examples=30, deadline=None)
@given(data=st.binary(max_size=5000))
def test_round_trip(tmp_path_factory: pytest.TempPathFactory, data: bytes) -> None:
    archive = RawArchive(tmp_path_factory.mktemp("rt"))
    assert archive.get(archive.put(data)) == data


@settings(max_examples=60, deadline=None)
@given(
    data=st.one_of(
        st.binary(max_size=3000),
        st.text(max_size=40_000).map(str.encode),
        st.binary(min_size=1, max_size=64).map(lambda b: b * 1500),
    )
)
def test_a_warc_gzip_member_is_standard_gzip(data: bytes) -> None:
    """WARC records are compressed by zlib-ng; the standard library must read them back."""
    member = _writer.gzip_member(data)
    assert gzip.decompress(member) == data
    assert zlib.decompress(member, zlib.MAX_WBITS + 16) == data


def _exchange(
    url: str = "https://news.example.test/2025-03/28/content_1.html",
) -> tuple[httpx.Request, httpx.Response]:
    request = httpx.Request("GET", url)
    return request, httpx.Response(200, request=request, headers={"content-type": "text/html"})


@pytest.mark.parametrize("url", ["https://news.example.test/a.html", "file:///srv/site/a.html"])
def test_a_crawled_body_is_stored_once_inside_its_warc_record(
    archive: RawArchive, url: str
) -> None:
    body = "<p>京津冀 technology contracts 84.37 billion yuan</p>".encode() * 50
    sha = archive.store_exchange(*_exchange(url), body)

    assert sha == hashlib.sha256(body).hexdigest()
    assert not archive.path_for(sha).exists()  # no second copy in objects/
    assert sha in archive
    assert archive.get(sha) == body
    assert archive.size(sha) == len(body)
    # the WARC holds it: a standard reader finds the response with our payload digest
    (warc,) = archive.warc_files()
    with warc.open("rb") as fh:
        records = [
            (r.rec_type, r.rec_headers.get_header("WARC-Payload-Digest"))
            for r in ArchiveIterator(fh)
        ]
    assert [t for t, _ in records] == ["warcinfo", "response", "request"]
    assert records[1][1] == payload_digest(sha)
    # and its index line points at the response record
    (line,) = warc.with_name(warc.name.replace(".warc.gz", ".idx")).read_text().splitlines()
    assert line.split()[0] == sha
    assert line.split()[3] == str(len(body))


def test_another_process_finds_bodies_archived_after_it_first_looked(tmp_path: Path) -> None:
    reader = RawArchive(tmp_path / "raw")
    write = (
        "import httpx, sys; from pathlib import Path; from jjj_etl.archive import RawArchive; "
        "req = httpx.Request('GET', 'http://a.test/' + sys.argv[2]); "
        "print(RawArchive(Path(sys.argv[1])).store_exchange("
        "req, httpx.Response(200, request=req), sys.argv[2].encode()))"
    )

    def archive_in_another_process(body: str) -> str:
        done = subprocess.run(
            [sys.executable, "-c", write, str(tmp_path / "raw"), body],
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        return done.stdout.strip()

    first = archive_in_another_process("one")
    assert reader.get(first) == b"one"
    later = archive_in_another_process("two")  # after the reader loaded the index
    assert reader.get(later) == b"two"  # a miss reads what was appended since
    assert "0" * 64 not in reader


def test_a_torn_index_line_is_skipped_until_complete(archive: RawArchive) -> None:
    sha = archive.store_exchange(*_exchange(), b"<html>kept</html>")
    (warc,) = archive.warc_files()
    idx = warc.with_name(warc.name.replace(".warc.gz", ".idx"))
    with idx.open("a") as fh:
        fh.write("e" * 64 + " 12 twelve 5\n")  # a damaged line: skipped, not a crash
        fh.write("f" * 64 + " 12")  # a crash in the middle of a line
    other = RawArchive(archive.root)
    assert other.get(sha) == b"<html>kept</html>"
    assert "f" * 64 not in other
    assert "e" * 64 not in other


def test_the_same_body_fetched_again_is_found_and_both_exchanges_kept(
    archive: RawArchive,
) -> None:
    body = b"<html>unchanged page</html>"
    sha = archive.store_exchange(*_exchange(), body)
    assert archive.store_exchange(*_exchange(), body) == sha
    assert archive.get(sha) == body
    with archive.warc_files()[0].open("rb") as fh:
        assert sum(r.rec_type == "response" for r in ArchiveIterator(fh)) == 2


def test_a_damaged_warc_reads_as_missing_never_as_wrong_bytes(tmp_path: Path) -> None:
    archive = RawArchive(tmp_path / "raw")
    body = b"<html>" + b"figures 12.7% " * 200 + b"</html>"
    sha = archive.store_exchange(*_exchange(), body)
    (warc,) = archive.warc_files()
    idx = warc.with_name(warc.name.replace(".warc.gz", ".idx"))
    _, offset, length, _ = idx.read_text().split()
    raw = bytearray(warc.read_bytes())
    # flip bytes inside the deflate stream: inflating fails or gzip's CRC-32 check does
    for i in range(int(offset) + 30, int(offset) + int(length) - 10, 7):
        raw[i] ^= 0x5A
    warc.write_bytes(bytes(raw))
    with pytest.raises(KeyError, match=sha):
        archive.get(sha)

    warc.unlink()
    with pytest.raises(KeyError, match=sha):
        archive.get(sha)
    assert archive.size(sha) == len(body)  # the index itself is intact


def test_a_record_whose_deflate_stream_is_broken_reads_as_unreadable(tmp_path: Path) -> None:
    """The inflater's own error (zlib-ng's, not the standard library's) is caught too."""
    archive = RawArchive(tmp_path / "raw")
    sha = archive.store_exchange(*_exchange(), b"<html>" + b"x" * 5000 + b"</html>")
    (warc,) = archive.warc_files()
    idx = warc.with_name(warc.name.replace(".warc.gz", ".idx"))
    offset = int(idx.read_text().split()[1])
    raw = bytearray(warc.read_bytes())
    raw[offset + 10] = 0xFF  # the first deflate block header: block type 3 does not exist
    warc.write_bytes(bytes(raw))
    with pytest.raises(KeyError, match=f"{sha}: unreadable"):
        archive.get(sha)


def test_an_index_line_pointing_at_the_wrong_record_reads_as_missing(tmp_path: Path) -> None:
    archive = RawArchive(tmp_path / "raw")
    sha = archive.store_exchange(*_exchange(), b"<p>body</p>")
    (warc,) = archive.warc_files()
    idx = warc.with_name(warc.name.replace(".warc.gz", ".idx"))
    _, offset, length, size = idx.read_text().split()
    request_at = int(offset) + int(length)  # the request record follows the response
    idx.write_text(f"{sha} {request_at} {warc.stat().st_size - request_at} {size}\n")
    _index.INDEXES.clear()  # a new process's view: the index read from disk
    with pytest.raises(KeyError, match="no response record"):
        RawArchive(tmp_path / "raw").get(sha)


def test_an_index_line_pointing_at_another_body_reads_as_missing(tmp_path: Path) -> None:
    """A replaced WARC file: a whole, readable response record, but not of this body."""
    archive = RawArchive(tmp_path / "raw")
    sha = archive.store_exchange(*_exchange(), b"<p>body</p>")
    other = archive.store_exchange(*_exchange(), b"<p>another body</p>")
    (warc,) = archive.warc_files()
    idx = warc.with_name(warc.name.replace(".warc.gz", ".idx"))
    lines = dict(line.split(" ", 1) for line in idx.read_text().splitlines())
    idx.write_text(f"{sha} {lines[other]}\n")
    _index.INDEXES.clear()  # a new process's view: the index read from disk
    with pytest.raises(KeyError, match=f"{sha}: unreadable .*holds {other}"):
        RawArchive(tmp_path / "raw").get(sha)


def test_a_gzip_object_written_by_another_tool_reads(archive: RawArchive) -> None:
    body = b"<html>stored as an object, not in a WARC record</html>"
    sha = hashlib.sha256(body).hexdigest()
    legacy = archive.root / "objects" / sha[:2] / f"{sha}.gz"
    legacy.parent.mkdir(parents=True)
    legacy.write_bytes(gzip.compress(body))
    assert sha in archive
    assert archive.get(sha) == body
    assert archive.size(sha) == len(body)


def test_with_warc_disabled_a_body_is_kept_as_an_object(tmp_path: Path) -> None:
    archive = RawArchive(tmp_path / "raw", warc=False)
    sha = archive.store_exchange(*_exchange(), b"<html>x</html>")
    assert archive.path_for(sha).exists()
    assert archive.get(sha) == b"<html>x</html>"
    assert archive.warc_files() == []
