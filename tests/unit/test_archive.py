"""RawArchive: content-addressed, gzip-compressed, atomic and idempotent."""

from __future__ import annotations

import gzip
import hashlib
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jjj_etl.archive import RawArchive


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
