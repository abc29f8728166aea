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
import itertools
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
    prefix = _guard_for(rx.pattern, rx.flags)
    if not prefix:
        return rx
    out = re.compile(f"{prefix}(?:{rx.pattern})", rx.flags)
    _ORIGINALS[out] = rx
    return out


# each guarded pattern's own (unguarded) pattern, for :class:`Alternatives`
_ORIGINALS: dict[re.Pattern[str], re.Pattern[str]] = {}


def _guard_for(pattern: str, flags: int) -> str:
    """The lookahead to put in front of ``pattern``, or "" when none would help or is sure."""
    try:
        tree = _parser.parse(pattern, flags)
        if tree.data and tree.data[0][0] is _c.LITERAL:
            return ""  # a literal start: the engine already skips ahead to it
        folded = bool(flags & re.IGNORECASE)
        firsts, empty = _firsts(tree, folded)
        if empty or not firsts:
            return ""
        return _lookahead(firsts, folded)
    except (_UnreadableError, re.error):
        return ""


# -- what a match needs in the text -------------------------------------------------------
#
# An alternative that cannot match anywhere in a text takes no part in the pattern's matches
# there: at every place the engine tries it, it fails, and the next one is tried as before.
# What every match of an alternative contains is read from its parse tree, like the first
# characters above: a run of literal characters must appear as written, a branch needs one
# of its ways' needs, a repeat of at least one its body's.  Testing that is a few substring
# searches, at C speed, instead of the engine trying the alternative at every character.

#: Characters outside ASCII that an ASCII letter matches under IGNORECASE (dotted and dotless
#: i, long s, the Kelvin sign).  In a text holding one, every alternative is kept: the text's
#: lowered form would not line up with the engine's case rule (``"İ".lower()`` is two
#: characters).
CASE_ODDITIES = frozenset("\u0130\u0131\u017f\u212a")

#: A need: ``("lit", text, folded)``, ``("words", texts, folded)`` (one of them),
#: ``("all", needs, None)`` or ``("any", needs, None)``; None when nothing is known (the
#: alternative could match any text).
Need = tuple[Any, ...] | None


#: An alternative's needs tested at most: the longest plain words first.  Fewer is a weaker
#: test (it may keep an alternative that cannot match, never leave out one that can) and
#: costs less than the scans it saves.
_MOST_NEEDS = 3


def _all(found: list[Need]) -> Need:
    known = [n for n in found if n is not None]
    if not known:
        return None
    if len(known) > _MOST_NEEDS:
        known = sorted(known, key=_selective)[:_MOST_NEEDS]
    return known[0] if len(known) == 1 else ("all", tuple(known), None)


def _selective(need: Need) -> tuple[int, int]:
    """Sort key: plain words first, the longest first; then the rest as they come."""
    if need is not None and need[0] == "lit":
        return (0, -len(need[1]))
    return (1, 0)


def _any(options: list[Need]) -> Need:
    """One of ``options``; a list of plain words becomes one ``("words", words, folded)``
    need, tested in one pass over the words (not one call per word)."""
    lits = [o for o in options if o is not None and o[0] == "lit"]
    if len(lits) == len(options) and len({o[2] for o in lits}) == 1:
        return ("words", tuple(o[1] for o in lits), lits[0][2])
    return ("any", tuple(options), None)


def _usable(code: int, folded: bool) -> str | None:
    """The character a literal needs in the text (lowered, if ``folded``), or None."""
    ch = chr(code)
    if not folded:
        return ch
    if ch.isascii():
        return ch.lower()
    return ch if ch.lower() == ch == ch.upper() else None  # a cased letter: its folds vary


def _needs_of(items: Any, folded: bool) -> Need:
    """What every match of a sequence of pieces contains."""
    found: list[Need] = []
    run: list[str] = []
    for op, av in items:
        ch = _usable(av, folded) if op is _c.LITERAL else None
        if ch is not None:
            run.append(ch)
            continue
        if run:
            found.append(("lit", "".join(run), folded))
            run = []
        if op is not _c.LITERAL:
            found.append(_needs_item(op, av, folded))
    if run:
        found.append(("lit", "".join(run), folded))
    return _all(found)


def _needs_item(op: Any, av: Any, folded: bool) -> Need:
    if op is _c.BRANCH:
        options = [_needs_of(branch, folded) for branch in av[1]]
        if any(o is None for o in options):
            return None
        return _any(options)
    if op is _c.SUBPATTERN:
        _group, add, delete, sub = av
        return _needs_of(sub, _scoped(add, delete, folded))
    if op in (_c.MAX_REPEAT, _c.MIN_REPEAT, _c.POSSESSIVE_REPEAT):
        least, _most, sub = av
        return _needs_of(sub, folded) if least >= 1 else None
    if op is _c.ATOMIC_GROUP:
        return _needs_of(av, folded)
    return None  # a class, a category, an assertion, any character: nothing to search for


def needs(pattern: str, flags: int = 0) -> Need:
    """What every match of ``pattern`` contains, or None when nothing can be said for sure.

    >>> needs("from (19|20)[0-9]{2}", re.I)
    ('all', (('lit', 'from ', True), ('words', ('19', '20'), True)), None)
    >>> needs("[0-9]+%?") is None
    True
    """
    try:
        return _needs_of(_parser.parse(pattern, flags), bool(flags & re.IGNORECASE))
    except (_UnreadableError, re.error):
        return None


class Haystack:
    """A text, its lowered form, and what was found in it: many alternatives share words
    (the month names, "19"/"20"), each searched for once."""

    __slots__ = ("_found", "lowered", "odd", "text")

    def __init__(self, text: str) -> None:
        self.text = text
        self.odd = not CASE_ODDITIES.isdisjoint(text)
        self.lowered = "" if self.odd else text.lower()
        self._found: dict[tuple[str, bool], bool] = {}

    def has(self, need: Need) -> bool:
        """False only when no match with this need can be anywhere in the text."""
        if need is None or self.odd:
            return True
        return self._has(need)

    def _in(self, word: str, folded: bool) -> bool:
        key = (word, folded)
        got = self._found.get(key)
        if got is None:
            got = self._found[key] = word in (self.lowered if folded else self.text)
        return got

    def _has(self, need: tuple[Any, ...]) -> bool:
        kind, what, folded = need
        if kind == "lit":
            return self._in(what, folded)
        if kind == "words":
            return any(self._in(w, folded) for w in what)
        if kind == "all":
            return all(self._has(n) for n in what)
        return any(self._has(n) for n in what)


def _top_level_bars(pattern: str) -> list[int]:
    """Where ``pattern`` has a ``|`` outside every group and character class."""
    bars: list[int] = []
    depth, i, in_class = 0, 0, False
    while i < len(pattern):
        c = pattern[i]
        if c == "\\":
            i += 2
            continue
        if in_class:
            in_class = c != "]"
        elif c == "[":
            in_class = True
            i += 1 + (pattern[i + 1 : i + 2] == "^")
            i += pattern[i : i + 1] == "]"  # a "]" first in a class is a member
            continue
        elif c in "()":
            depth += 1 if c == "(" else -1
        elif c == "|" and depth == 0:
            bars.append(i)
        i += 1
    return bars


def _split_alternatives(pattern: str, flags: int) -> list[str] | None:
    """``pattern``'s top-level alternatives as source text, or None when it is not plainly
    an alternation the parse tree agrees with (one way, shared prefixes factored out by the
    parser, verbose mode, comments, references between groups)."""
    if flags & re.VERBOSE or "(?#" in pattern or "(?P=" in pattern or "(?(" in pattern:
        return None
    cuts = [-1, *_top_level_bars(pattern), len(pattern)]
    pieces = [pattern[a + 1 : b] for a, b in itertools.pairwise(cuts)]
    try:
        data = _parser.parse(pattern, flags).data
    except re.error:
        return None
    if len(pieces) < 2 or len(data) != 1 or data[0][0] is not _c.BRANCH:
        return None
    if len(data[0][1][1]) != len(pieces):
        return None
    try:  # each piece must stand in a group of its own ("(?i)" at the start cannot)
        re.compile("|".join(f"(?!)(?:{p})" for p in pieces), flags)
    except re.error:
        return None
    return pieces


class Alternatives:
    """A pattern run over each text without the top-level alternatives that cannot match in
    it, and guarded (:func:`guarded`) by the first characters of those that can.

    :meth:`for_text` gives, for one text, a pattern whose matches there are exactly those of
    the pattern given (spans, groups, group names): a left-out alternative stays in, behind
    ``(?!)``, so that every group the callers read still exists.  None means no alternative
    can match in the text.  Variants are compiled once per set of alternatives kept.
    """

    MAX_VARIANTS = 64

    def __init__(self, rx: re.Pattern[str]) -> None:
        self.rx = rx  # what a text with every alternative possible runs (the pattern given)
        own = _ORIGINALS.get(rx, rx)
        self._flags = own.flags
        pieces = _split_alternatives(own.pattern, own.flags)
        self._pieces = pieces or [own.pattern]
        self._needs = [needs(p, own.flags) for p in self._pieces]
        self._groups = [re.compile(p, own.flags).groups > 0 for p in self._pieces]
        self._variants: dict[tuple[bool, ...], re.Pattern[str]] = {}

    def for_text(self, hay: Haystack) -> re.Pattern[str] | None:
        keep = tuple(hay.has(n) for n in self._needs)
        if all(keep):
            return self.rx
        if not any(keep):
            return None
        variant = self._variants.get(keep)
        if variant is None:
            variant = self._compile(keep)
            if len(self._variants) < self.MAX_VARIANTS:
                self._variants[keep] = variant
        return variant

    def _compile(self, keep: tuple[bool, ...]) -> re.Pattern[str]:
        kept = [p for p, k in zip(self._pieces, keep, strict=True) if k]
        # a left-out way with no group is dropped; one with groups stays, never matching
        body = "|".join(
            p if k else f"(?!)(?:{p})"
            for p, k, groups in zip(self._pieces, keep, self._groups, strict=True)
            if k or groups
        )
        return re.compile(f"{_guard_for('|'.join(kept), self._flags)}(?:{body})", self._flags)
