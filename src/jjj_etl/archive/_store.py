"""RawArchive: bodies by content hash, exchanges as WARC (see the package docstring)."""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import os
import struct
import tempfile
from pathlib import Path

import httpx

from jjj_etl.archive._index import SHA256, index_of
from jjj_etl.archive._reader import INFLATE_ERRORS, read_record
from jjj_etl.archive._writer import WarcLog, exchange_members, gzip_fixed

__all__ = ["RawArchive"]

WARC_MAX_BYTES = 1_000_000_000  # the customary 1 GB per WARC file
_UNREADABLE: tuple[type[Exception], ...] = (OSError, EOFError, ValueError, *INFLATE_ERRORS)


class RawArchive:
    """A content-addressed store of raw bodies plus a WARC log of exchanges under ``root``.

    ``warc=False`` gives a view that stores bodies but writes no WARC records (used when
    replaying an archive, so a replay does not archive itself again).

    >>> import tempfile
    >>> RawArchive(Path(tempfile.mkdtemp())).put(b"")[:12]
    'e3b0c44298fc'
    """

    def __init__(
        self, root: Path, *, warc: bool = True, warc_max_bytes: int = WARC_MAX_BYTES
    ) -> None:
        self.root = Path(root)
        self.warc_enabled = warc
        self.warc_max_bytes = warc_max_bytes
        self._index = index_of(self.warc_dir)
        self._log = WarcLog(self.warc_dir, self._index, warc_max_bytes)
        self._made: set[Path] = set()  # object folders known to exist

    @property
    def warc_dir(self) -> Path:
        """Where WARC files are written: ``<root>/warc``."""
        return self.root / "warc"

    def path_for(self, sha256: str) -> Path:
        """Where a body stored by :meth:`put` lives (whether or not it exists).

        Raises KeyError if ``sha256`` is not 64 lowercase hex digits.
        """
        if not SHA256.match(sha256):
            raise KeyError(sha256)
        return self.root / "objects" / sha256[:2] / f"{sha256}.gz"

    def _write_atomic(self, target: Path, data: bytes) -> None:
        if target.parent not in self._made:
            target.parent.mkdir(parents=True, exist_ok=True)
            self._made.add(target.parent)
        fd, tmp_name = tempfile.mkstemp(prefix=".tmp-", suffix=target.suffix, dir=target.parent)
        tmp = Path(tmp_name)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            tmp.replace(target)
        except BaseException:
            with contextlib.suppress(OSError):
                tmp.unlink()
            raise

    def put(self, data: bytes) -> str:
        """Store ``data`` as an object of its own; return its sha256 hex digest.  Atomic and
        idempotent.  (Crawled bodies go through :meth:`store_exchange` instead.)

        >>> import tempfile
        >>> a = RawArchive(Path(tempfile.mkdtemp()))
        >>> a.put(b"x") == a.put(b"x") == hashlib.sha256(b"x").hexdigest()
        True
        """
        return self._put(data, hashlib.sha256(data).hexdigest())

    def _put(self, data: bytes, sha: str) -> str:
        if sha not in self:  # e.g. a replay of our own WARC files: already there
            self._write_atomic(self.path_for(sha), gzip_fixed(data))
        return sha

    def get(self, sha256: str) -> bytes:
        """The bytes stored under ``sha256``.

        Raises KeyError if there is no such body, or if what is found is unreadable (its
        gzip CRC-32 fails) or is not the body stored under ``sha256`` (the record at the
        indexed place says another hash: a replaced WARC file).  The bytes are not hashed
        again: the digest computed when they were fetched is passed along with them.

        >>> import tempfile
        >>> a = RawArchive(Path(tempfile.mkdtemp()))
        >>> a.get(a.put(b"body"))
        b'body'
        """
        path = self.path_for(sha256)
        entry = self._index.find(sha256)
        try:
            if entry is not None:
                data = self._read_response(sha256, *entry)
            else:
                with gzip.open(path, "rb") as gz:
                    data = gz.read()
        except FileNotFoundError as exc:
            raise KeyError(sha256) from exc
        except _UNREADABLE as exc:
            raise KeyError(f"{sha256}: unreadable ({exc})") from exc
        return data

    def _read_response(self, sha256: str, name: str, offset: int, length: int, size: int) -> bytes:
        record = read_record(self.warc_dir / name, offset, length)
        if record.fields.get("warc-type") != "response" or not record.status:
            raise ValueError(f"no response record at {name}:{offset}")
        stored = record.fields.get("jjj-content-sha256")
        if stored != sha256 or len(record.body) != size:
            raise ValueError(f"the record at {name}:{offset} holds {stored or 'another body'}")
        return record.body  # stored decoded (no Content-/Transfer-Encoding left to undo)

    def size(self, sha256: str) -> int:
        """The length of the stored body, without decompressing it.

        Raises KeyError if there is no such body.  Exact below 4 GiB (gzip's ISIZE).
        """
        path = self.path_for(sha256)
        entry = self._index.find(sha256)
        if entry is not None:
            return entry[3]
        try:
            with path.open("rb") as fh:
                fh.seek(-4, os.SEEK_END)
                (isize,) = struct.unpack("<I", fh.read(4))
        except FileNotFoundError as exc:
            raise KeyError(sha256) from exc
        return int(isize)

    def __contains__(self, sha256: object) -> bool:
        if not isinstance(sha256, str):
            return False
        try:
            path = self.path_for(sha256)
        except KeyError:
            return False
        found = self._index.find(sha256, must=False)
        return found is not None or path.is_file()

    # --- WARC -------------------------------------------------------------------------------

    def warc_files(self) -> list[Path]:
        """The WARC files written so far, oldest first (names sort by time)."""
        if not self.warc_dir.is_dir():
            return []
        return sorted(self.warc_dir.glob("*.warc.gz"))

    def store_exchange(self, request: httpx.Request, response: httpx.Response, body: bytes) -> str:
        """Archive a complete 200 exchange and return the body's sha256.

        The body is hashed once and compressed once, inside its WARC response record, which
        the WARC file's index then finds by hash.  Raises OSError if the archive cannot be
        written.
        """
        sha = hashlib.sha256(body).hexdigest()
        if self.record_exchange(request, response, body, sha) is None:
            return self._put(body, sha)  # WARC disabled: keep the body as an object of its own
        return sha

    def record_exchange(
        self,
        request: httpx.Request,
        response: httpx.Response,
        body: bytes,
        sha256: str | None = None,
        *,
        truncated: str | None = None,
    ) -> tuple[Path, int, int] | None:
        """Append a ``request`` and a ``response`` record for one HTTP exchange.

        ``body`` is the decoded body (``b""`` for a 304, or when it was not kept);
        ``sha256`` its hex digest when known (then not computed again, and the body is
        indexed); ``truncated`` sets ``WARC-Truncated`` (``length``, ``time``, ...) for a
        body cut short.  Both records are appended with one write, so a file never holds
        half an exchange.  Returns the WARC file written with the offset and length of the
        response record's gzip member, or None when WARC is disabled.
        Raises OSError if the file cannot be written.
        """
        if not self.warc_enabled:
            return None
        response_member, request_member = exchange_members(
            request, response, body, sha256, truncated
        )
        kept = None if sha256 is None else (sha256, len(response_member), len(body))
        path, offset = self._log.append(response_member + request_member, kept)
        return path, offset, len(response_member)

    def __repr__(self) -> str:
        return f"RawArchive({str(self.root)!r})"
