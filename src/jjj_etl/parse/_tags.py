"""One walk over a parsed tree instead of many ``find_all`` calls.

bs4 4.13 runs every ``find``/``find_all`` through a SoupStrainer, a few microseconds per
node; a page needs a dozen lookups (meta tags, JSON-LD, ``<time>``, ``<h1>``, the canonical
link, blocks, paragraphs).  Walking ``descendants`` once and bucketing tags by name gives
the same tags, in the same document order, at a fraction of the cost.
"""

from __future__ import annotations

from collections.abc import Iterator

from bs4.element import NavigableString, Tag

TagIndex = dict[str, list[Tag]]


def tag_index(node: Tag) -> TagIndex:
    """Every tag under ``node`` by lowercased name, each list in document order."""
    index: TagIndex = {}
    for item in node.descendants:
        if isinstance(item, Tag):
            index.setdefault(item.name, []).append(item)
    return index


def tags_under(node: Tag) -> list[Tag]:
    """Every tag under ``node`` (not ``node`` itself), in document order."""
    return [item for item in node.descendants if isinstance(item, Tag)]


def strings_under(node: Tag) -> Iterator[NavigableString]:
    """Every text node under ``node``, in document order."""
    for item in node.descendants:
        if isinstance(item, NavigableString):
            yield item
