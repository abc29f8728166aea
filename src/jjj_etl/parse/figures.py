"""PLACEHOLDER: replaced by the figure-extraction work."""

from __future__ import annotations

from jjj_etl.records import Figure


def extract_figures(body: str, lang: str | None = None, published: str | None = None) -> list[Figure]:
    """Extract figures from text (placeholder)."""
    del body, lang, published
    return []
