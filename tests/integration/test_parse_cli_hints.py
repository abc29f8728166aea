"""`jjj-etl parse --config F --source NAME` reads a page as that source's pages are read."""

from __future__ import annotations

import json
from pathlib import Path

from cli_runs import cli

PARTS = [
    "Tianjin port handled 480 million tonnes of cargo in the first half, up 4.1 percent year "
    "on year, the port group said on Monday in its mid-year report to investors.",
    "Container throughput reached 11.2 million TEUs, and sea-rail shipments to Hebei rose by "
    "a fifth as new lines opened to Shijiazhuang and Baoding this spring.",
]
PAGE = (
    "<html lang='en'><head><title>Port</title></head><body><h1>Port volumes climb</h1>"
    f"<div class='zz-a'><p>{PARTS[0]}</p></div>"
    "<div class='zz-b'><p>Most read: Hebei cuts 3 million tonnes of steel capacity in a "
    "year of restructuring across the province's mills</p></div>"
    f"<div class='zz-a'><p>{PARTS[1]}</p></div>"
    "<p class='zz-when'>Filed 2025/07/14</p></body></html>"
)


def _config(tmp_path: Path, extra: str) -> Path:
    cfg = tmp_path / "sources.toml"
    cfg.write_text(
        '[[sources]]\nname = "port-news"\nstart_urls = ["http://example.org/"]\n' + extra,
        encoding="utf-8",
    )
    return cfg


def test_the_sources_selectors_read_the_page(tmp_path: Path) -> None:
    page = tmp_path / "port.html"
    page.write_text(PAGE, encoding="utf-8")
    cfg = _config(tmp_path, 'body_selector = "div.zz-a"\ndate_selector = "p.zz-when"\n')
    done = cli("parse", str(page), "--json", "--config", str(cfg), "--source", "port-news")
    assert done.returncode == 0, done.stderr
    article = json.loads(done.stdout)["article"]
    assert article["body"].split("\n") == PARTS
    assert article["published"] == "2025-07-14"
    assert article["source"] == "port-news"


def test_an_unknown_source_is_a_usage_error_listing_the_configured_ones(tmp_path: Path) -> None:
    page = tmp_path / "port.html"
    page.write_text(PAGE, encoding="utf-8")
    cfg = _config(tmp_path, "")
    done = cli("parse", str(page), "--config", str(cfg), "--source", "nope")
    assert done.returncode == 2
    assert "--source nope: no such source" in done.stderr
    assert "configured: port-news" in done.stderr
