"""`jjj-etl figures` keeps to the JSONL contract: one line out per line in, ids kept."""

from __future__ import annotations

import io
import json

from jjj_etl.tools import figures_jsonl


def test_one_output_line_per_input_line_with_errors_in_place() -> None:
    lines = [
        json.dumps({"id": "a", "text": "Exports rose 5.2% in 2024."}),
        "{not json",
        json.dumps({"id": 7, "text": 12}),
        json.dumps({"id": "z", "text": "京津冀地区生产总值11.5万亿元。", "lang": "zh"}),
        json.dumps({"id": "q", "text": "x", "lang": "fr"}),
    ]
    sink = io.StringIO()
    assert figures_jsonl(lines, sink, None) == 5
    out = [json.loads(x) for x in sink.getvalue().splitlines()]
    assert [o["id"] for o in out] == ["a", None, 7, "z", "q"]
    assert out[0]["figures"][0]["value"] == 5.2
    assert out[1]["line"] == 2
    assert "not JSON" in out[1]["error"]
    assert "text" in out[2]["error"]
    assert out[3]["figures"][0]["value"] == 11.5e12
    assert "lang" in out[4]["error"]
