"""`--from-archive`: a past crawl re-parsed from the WARC archive with the site gone."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from jjj_etl.archive import RecordHead, scan
from jjj_etl.config import sample_config_path

pytestmark = pytest.mark.e2e


def test_rerun_from_archive_without_the_site(prefect_harness: None, tmp_path: Path) -> None:
    from flows.pipeline import jjj_pipeline

    site = tmp_path / "site"
    shutil.copytree(sample_config_path().parent / "site", site)
    cfg = tmp_path / "sources.toml"
    cfg.write_text(sample_config_path().read_text(encoding="utf-8"), encoding="utf-8")
    wh = tmp_path / "wh"
    first = jjj_pipeline(config_path=str(cfg), warehouse=str(wh))
    assert first["version"] == 1
    assert list((wh / "raw").rglob("*.warc.gz")), "the crawl is archived as WARC"

    shutil.rmtree(site)  # nothing left to fetch
    shutil.rmtree(wh / "parsed")  # and nothing parsed left over: parse again from the archive
    again = jjj_pipeline(config_path=str(cfg), warehouse=str(wh), from_archive=True)
    assert again["failed"] == []
    assert again["pages"].get("article") == first["pages"].get("article")
    assert again["version"] is None  # same bytes, same parser: same warehouse
    with duckdb.connect(str(wh / "jjj.duckdb"), read_only=True) as con:
        runs = con.execute("select status from meta.runs order by started_at").fetchall()
    assert runs == [("committed",), ("no-change",)]


def test_a_damaged_record_costs_only_its_page(prefect_harness: None, tmp_path: Path) -> None:
    """64 bytes flipped in the middle of the WARC: the run from the archive goes on, every
    other page is replayed, the lost one is failed as unreadable in the archive."""
    from flows.pipeline import jjj_pipeline

    cfg = tmp_path / "sources.toml"
    cfg.write_text(sample_config_path().read_text(encoding="utf-8"), encoding="utf-8")
    shutil.copytree(sample_config_path().parent / "site", tmp_path / "site")
    wh = tmp_path / "wh"
    first = jjj_pipeline(config_path=str(cfg), warehouse=str(wh))
    (warc,) = (wh / "raw").rglob("*.warc.gz")
    article = max(  # the longest response record: an article page
        (h for h in scan(warc) if isinstance(h, RecordHead) and h.status == 200),
        key=lambda h: h.length,
    )
    raw = bytearray(warc.read_bytes())
    middle = article.offset + article.length // 2
    raw[middle : middle + 64] = bytes(b ^ 0xFF for b in raw[middle : middle + 64])
    warc.write_bytes(bytes(raw))

    again = jjj_pipeline(config_path=str(cfg), warehouse=str(wh), from_archive=True)
    assert len(again["failed"]) == 1
    assert "unreadable-in-archive: " in again["failed"][0]
    assert f"{warc.name} offset " in again["failed"][0]
    assert again["pages"]["article"] == first["pages"]["article"] - 1
