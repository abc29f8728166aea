"""The per-page parse budget: a page that parses too long has its worker killed (by PID,
from the parent) and is skipped with the reason; the other pages are staged and the run
commits.  The slow page is real: a figure-dense body of ~2 MB in distinct sentences (tens of
seconds to parse), far beyond a budget that ordinary pages stay well inside even on a loaded
machine.  Identical paragraphs would not do: repeated text is read once and parses fast."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from jjj_etl import workers
from jjj_etl.config import load_config, sample_config_path
from jjj_etl.errors import ConfigError
from jjj_etl.pipeline import Pipeline

BUDGET = 5.0
SLOW_PATH = "business/2025-04/11/content_117899999.html"


@pytest.fixture(autouse=True)
def _stop_workers() -> object:
    yield
    workers.close_pool()
    assert workers.worker_pids() == []


def _slow_page() -> str:
    def sentence(n: int) -> str:
        return (
            f"In {2000 + n % 25} Beijing-Tianjin-Hebei technology contracts rose {n % 90}.7% "
            f"to {n}.37 billion yuan, Tianjin's output grew {n % 9}.1 percent and Hebei "
            f"added {n * 3 + 1:,} firms. "
        )

    paragraphs = "\n".join(
        "<p>" + "".join(sentence(p * 40 + s) for s in range(40)) + "</p>" for p in range(350)
    )  # ~2 MB, 14 000 distinct sentences
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        "<title>Beijing-Tianjin-Hebei figures - NCBN</title></head><body><article>"
        "<h1>Beijing-Tianjin-Hebei figures</h1><p>Updated: 2025-04-11 09:00</p>"
        f'<div class="article-body">{paragraphs}</div></article></body></html>'
    )


def _site_with_a_slow_page(tmp_path: Path, budget: float) -> Path:
    """The sample site copied, one slow article linked from its front page; its config."""
    site = tmp_path / "site"
    shutil.copytree(sample_config_path().parent / "site", site)
    slow = site / SLOW_PATH
    slow.parent.mkdir(parents=True, exist_ok=True)
    slow.write_text(_slow_page(), encoding="utf-8")
    index = site / "index.html"
    html = index.read_text(encoding="utf-8")
    index.write_text(
        html.replace("</body>", f'<a href="{SLOW_PATH}">All the figures</a></body>'),
        encoding="utf-8",
    )
    config = sample_config_path().read_text(encoding="utf-8")
    config += f"\n[parse]\nworkers = 2\npage_timeout_seconds = {budget}\n"
    path = tmp_path / "sources.toml"
    path.write_text(config, encoding="utf-8")
    return path


def test_a_page_over_budget_is_skipped_and_the_run_commits(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("JJJ_ETL_PARSE_WORKERS", raising=False)
    pipe = Pipeline(load_config(_site_with_a_slow_page(tmp_path, BUDGET)), tmp_path / "wh")
    summary = pipe.run()

    assert summary.version == 1
    assert summary.skipped_reasons.get("too-slow") == 1
    with duckdb.connect(str(pipe.paths.db), read_only=True) as con:
        slow = con.execute(
            "select outcome, reason from staging.pages where url like ?", [f"%{SLOW_PATH}"]
        ).fetchall()
        articles = con.execute("select count(*) from staging.articles").fetchone()
    assert slow == [("skipped", f"too-slow: parse exceeded {BUDGET:g} s")]
    assert articles is not None
    assert articles[0] >= 15  # every other article of the batch


def test_the_budget_is_validated(tmp_path: Path) -> None:
    cfg = tmp_path / "sources.toml"
    source = '[[sources]]\nname = "a"\nstart_urls = ["http://a.test/"]\n'
    assert load_config(_write(cfg, source)).parse.page_timeout_seconds == 30.0
    for bad in ("0", "-1", "4000", '"fast"'):
        with pytest.raises(ConfigError, match=r"parse\.page_timeout_seconds"):
            load_config(_write(cfg, f"{source}[parse]\npage_timeout_seconds = {bad}\n"))


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path
