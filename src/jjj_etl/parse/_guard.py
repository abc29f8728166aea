"""A first-character test in front of a pattern, so that most places fail at once.

The extractor's patterns are long alternations whose branches start with optional groups
and lookbehinds; the regex engine tries every branch at every character of a page.  The
characters a match can start with are known from the pattern itself: ``guarded`` reads
them from its parse tree and puts a lookahead for them in front (``(?=[…])(?:pattern)``).
Where a match can start the lookahead holds, so matches, groups and spans are exactly the
pattern's own; elsewhere the engine stops after one character test.  First characters under
a scoped case flag (``(?i:the)``) are tested under the same flag (``(?=[…]|(?i:[t]))``).  A
pattern whose first characters cannot be read for sure (a negated class, "any character", a
back reference, a scoped ASCII or locale flag, a pattern that can match nothing) is returned
as it is.
"""

from __future__ import annotations

import importlib
import re
from typing import Any

# the parser behind ``re.compile``; it has no public name (and no type stubs)
_parser: Any = importlib.import_module("re._parser")
_c: Any = importlib.import_module("re._constants")

_CATEGORIES = {
    "CATEGORY_DIGIT": r"\d",
    "CATEGORY_NOT_DIGIT": r"\D",
    "CATEGORY_SPACE": r"\s",
    "CATEGORY_NOT_SPACE": r"\S",
    "CATEGORY_WORD": r"\w",
    "CATEGORY_NOT_WORD": r"\W",
}
_FLAGS_THAT_MOVE_CHARACTERS = re.ASCII | re.LOCALE


class _UnreadableError(Exception):
    """The first characters of this piece cannot be read for sure."""


def _char(code: int) -> str:
    return f"\\U{code:08x}"


def _in(items: list[tuple[Any, Any]], folded: bool) -> list[tuple[str, bool]]:
    out = []
    for op, av in items:
        if op is _c.LITERAL:
            out.append((_char(av), folded))
        elif op is _c.RANGE:
            out.append((f"{_char(av[0])}-{_char(av[1])}", folded))
        elif op is _c.CATEGORY and str(av) in _CATEGORIES:
            out.append((_CATEGORIES[str(av)], folded))
        else:
            raise _UnreadableError  # a negated class, a locale category
    return out


# a class item with whether it is tested without case (under IGNORECASE)
_Item = tuple[str, bool]


def _scoped(add: int, delete: int, folded: bool) -> bool:
    """Whether a group's items are tested without case, under its scoped flags."""
    if (add | delete) & _FLAGS_THAT_MOVE_CHARACTERS:
        raise _UnreadableError  # "(?a:…)": the lookahead would not share the rule
    if add & re.IGNORECASE:
        return True
    return False if delete & re.IGNORECASE else folded


def _item(op: Any, av: Any, folded: bool) -> tuple[list[_Item], bool]:  # noqa: PLR0911
    """(class items a match of this piece can start with, can it match nothing)."""
    if op is _c.LITERAL:
        return [(_char(av), folded)], False
    if op is _c.IN:
        return _in(av, folded), False
    if op is _c.BRANCH:
        out: list[_Item] = []
        empty = False
        for branch in av[1]:
            got, nothing = _firsts(branch, folded)
            out += got
            empty = empty or nothing
        return out, empty
    if op is _c.SUBPATTERN:
        _group, add, delete, sub = av
        return _firsts(sub, _scoped(add, delete, folded))
    if op in (_c.MAX_REPEAT, _c.MIN_REPEAT, _c.POSSESSIVE_REPEAT):
        least, _most, sub = av
        got, nothing = _firsts(sub, folded)
        return got, nothing or least == 0
    if op is _c.ATOMIC_GROUP:
        return _firsts(av, folded)
    if op in (_c.AT, _c.ASSERT, _c.ASSERT_NOT):
        return [], True  # zero width: the characters after it start the match
    raise _UnreadableError  # any character, a back reference, a conditional group


def _firsts(items: Any, folded: bool) -> tuple[list[_Item], bool]:
    out: list[_Item] = []
    for op, av in items:
        got, nothing = _item(op, av, folded)
        out += got
        if not nothing:
            return out, False
    return out, True


def _lookahead(firsts: list[_Item], folded: bool) -> str:
    """``(?=[…])``, with the items tested under the other case rule in their own scope."""
    same = "".join(item for item, f in firsts if f == folded)
    other = "".join(item for item, f in firsts if f != folded)
    if not other:
        return f"(?=[{same}])"
    scoped = f"(?i:[{other}])" if not folded else f"(?-i:[{other}])"
    return f"(?=[{same}]|{scoped})" if same else f"(?={scoped})"


def guarded(rx: re.Pattern[str]) -> re.Pattern[str]:
    """``rx`` with a lookahead for the characters its matches can start with.

    >>> rx = guarded(re.compile(r"(?:the\\s+)?first\\s+half|上半年", re.I))
    >>> rx.pattern.startswith("(?=["), rx.search("In the First half").span()
    (True, (3, 17))
    >>> guarded(re.compile("[^a]+")).pattern, guarded(re.compile("百分之[0-9]+")).pattern
    ('[^a]+', '百分之[0-9]+')
    >>> guarded(re.compile(r"(?i:the\\s+)?city|市")).search("in THE city").span()
    (3, 11)
    """
    try:
        tree = _parser.parse(rx.pattern, rx.flags)
        if tree.data and tree.data[0][0] is _c.LITERAL:
            return rx  # a literal start: the engine already skips ahead to it
        folded = bool(rx.flags & re.IGNORECASE)
        firsts, empty = _firsts(tree, folded)
        if empty or not firsts:
            return rx
        return re.compile(f"{_lookahead(firsts, folded)}(?:{rx.pattern})", rx.flags)
    except (_UnreadableError, re.error):
        return rx
