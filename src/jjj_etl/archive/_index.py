"""The index by content hash of a ``warc/`` folder: sha256 → (file, offset, length, size).

Each WARC file ``x.warc.gz`` has its own append-only index ``x.idx``, one line per archived
200 body: ``<sha256> <offset> <length> <body size>`` (the response record's gzip member).
Only the process writing a WARC file writes its index, so concurrent crawls need no lock
and no recovery after a crash: a torn last line is ignored until it is complete.
"""

from __future__ import annotations

import os
import re
import threading
import time
from pathlib import Path

__all__ = ["Entry", "Index", "index_of", "index_path"]

SHA256 = re.compile(r"^[0-9a-f]{64}$")
Entry = tuple[str, int, int, int]  # WARC file name, offset, member length, body size


def index_path(warc: Path) -> Path:
    """The index beside a WARC file: ``x.warc.gz`` → ``x.idx``."""
    return warc.with_name(warc.name.removesuffix(".warc.gz") + ".idx")


class Index:
    """Every ``*.idx`` line under one ``warc/`` folder.

    Shared by all RawArchive objects of a process: what this process archives is added as
    it is written; what other processes append is read on a miss (at most once a second
    for membership tests, always for :meth:`RawArchive.get`), and then only the new bytes.
    """

    REFRESH_EVERY = 1.0

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.lock = threading.Lock()
        self.entries: dict[str, Entry] = {}
        self.read_to: dict[Path, int] = {}
        self.last_refresh = -1e9

    def add(self, sha256: str, entry: Entry) -> None:
        with self.lock:
            self.entries.setdefault(sha256, entry)

    def find(self, sha256: str, *, must: bool = True) -> Entry | None:
        """The entry for ``sha256``; on a miss, read what was appended since the last look
        (``must``: always; otherwise at most every ``REFRESH_EVERY`` seconds)."""
        with self.lock:
            hit = self.entries.get(sha256)
            now = time.monotonic()
            if hit is None and (must or now - self.last_refresh >= self.REFRESH_EVERY):
                self.last_refresh = now
                if self._refresh():
                    hit = self.entries.get(sha256)
            return hit

    def _refresh(self) -> bool:
        """Read new complete lines of every index file; True if any were read."""
        if not self.folder.is_dir():
            return False
        grew = False
        for entry in os.scandir(self.folder):
            if entry.name.endswith(".idx") and entry.stat().st_size > self.read_to.get(
                Path(entry.path), 0
            ):
                grew = self._read_new(Path(entry.path)) or grew
        return grew

    def _read_new(self, idx: Path) -> bool:
        done = self.read_to.get(idx, 0)
        with idx.open("rb") as fh:
            fh.seek(done)
            chunk = fh.read()
        end = chunk.rfind(b"\n") + 1  # a line still being written waits for next time
        if end == 0:
            return False
        warc = idx.name.removesuffix(".idx") + ".warc.gz"
        for line in chunk[:end].decode("ascii", "replace").splitlines():
            parts = line.split()
            if len(parts) == 4 and SHA256.match(parts[0]) and _all_digits(parts[1:]):
                got = (warc, int(parts[1]), int(parts[2]), int(parts[3]))
                self.entries.setdefault(parts[0], got)
        self.read_to[idx] = done + end
        return True


def _all_digits(fields: list[str]) -> bool:
    return all(f.isascii() and f.isdigit() for f in fields)


INDEXES: dict[Path, Index] = {}
_INDEXES_LOCK = threading.Lock()


def index_of(folder: Path) -> Index:
    """The process-wide index of the ``warc/`` folder ``folder``."""
    key = folder.resolve()
    with _INDEXES_LOCK:
        if key not in INDEXES:
            INDEXES[key] = Index(key)
        return INDEXES[key]
