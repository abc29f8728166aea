"""Taken spans of a text and the one question asked of them: does a new span overlap one?

The tokenizer and the period finder claim spans as they go (masks, then each pattern's
matches) and drop a candidate that overlaps a claimed one.  Asking a plain list costs a
pass over every span claimed so far, so a page of n figures would cost n² checks; here a
check is a binary search.  Spans arrive in runs (one pattern's matches, in text order);
a run is searched as it grows and folded into a sorted, merged base when the next run
starts, so a page costs one sort per pattern, not one per span.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable


def _hits(starts: list[int], ends: list[int], start: int, end: int) -> bool:
    # the spans are sorted by start and their ends never decrease, so the last span that
    # starts before ``end`` has the greatest end of all those that do
    i = bisect_left(starts, end)
    return i > 0 and ends[i - 1] > start


class Spans:
    """Claimed half-open spans ``(start, end)``; :meth:`overlaps` is ``s < end and start < e``
    for some claimed span, exactly as a scan of them all would answer.

    >>> taken = Spans([(0, 4), (10, 12)])
    >>> taken.overlaps(3, 5), taken.overlaps(4, 10)
    (True, False)
    >>> taken.add(20, 25)
    >>> taken.overlaps(24, 30)
    True
    """

    __slots__ = ("_ends", "_run_ends", "_run_starts", "_starts")

    def __init__(self, spans: Iterable[tuple[int, int]] = ()) -> None:
        self._starts: list[int] = []
        self._ends: list[int] = []
        self._run_starts: list[int] = []
        self._run_ends: list[int] = []
        for start, end in spans:
            self.add(start, end)
        self.seal()

    def add(self, start: int, end: int) -> None:
        """Claim ``(start, end)``; a span out of the current run's order starts a new run."""
        if self._run_starts and (start < self._run_starts[-1] or end < self._run_ends[-1]):
            self.seal()
        self._run_starts.append(start)
        self._run_ends.append(end)

    def seal(self) -> None:
        """Fold the current run into the base: sorted by start, overlapping spans merged."""
        if not self._run_starts:
            return
        pairs = sorted(
            zip(self._starts + self._run_starts, self._ends + self._run_ends, strict=True)
        )
        starts: list[int] = []
        ends: list[int] = []
        for start, end in pairs:
            if ends and start < ends[-1]:
                ends[-1] = max(ends[-1], end)
            else:
                starts.append(start)
                ends.append(end)
        self._starts, self._ends = starts, ends
        self._run_starts, self._run_ends = [], []

    def overlaps(self, start: int, end: int) -> bool:
        """True when ``(start, end)`` overlaps a claimed span."""
        return _hits(self._starts, self._ends, start, end) or _hits(
            self._run_starts, self._run_ends, start, end
        )
