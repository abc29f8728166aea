"""PLACEHOLDER: replaced by the figure-extraction work."""

from __future__ import annotations

from jjj_etl.records import Figure


def extract_figures(body: str, lang: str | None = None, published: str | None = None) -> list[Figure]:
    """Extract figures from text (placeholder)."""
    del body, lang, published
    return []


def split_sentences(body: str) -> list[tuple[int, int]]:
    """Sentence offsets (placeholder)."""
    return [(0, len(body))]
