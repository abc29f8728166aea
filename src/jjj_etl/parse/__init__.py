"""Parsing: raw page bytes → :class:`~jjj_etl.records.Article` and its figures."""

from jjj_etl.parse.article import PARSER_VERSION, parse_article
from jjj_etl.parse.figures import extract_figures, split_sentences

__all__ = ["PARSER_VERSION", "extract_figures", "parse_article", "split_sentences"]
