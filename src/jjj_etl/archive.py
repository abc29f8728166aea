"""The raw archive: every fetched body, kept by content hash so any page can be re-parsed.

Bodies are stored gzip-compressed at ``objects/<sha[:2]>/<sha>.gz`` under the archive root
(``warehouse/raw/`` by default).  Writes are atomic (a temporary file in the same directory,
then :func:`os.replace`) and idempotent: storing the same bytes twice writes once.

>>> import tempfile
>>> archive = RawArchive(Path(tempfile.mkdtemp()))
>>> sha = archive.put(b"<html>hello</html>")
>>> sha in archive, archive.get(sha)
(True, b'<html>hello</html>')
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import os
import re
import tempfile
from pathlib import Path

__all__ = ["RawArchive"]

_SHA256 = re.compile(r"^[0-9a-f]{64}$")


class RawArchive:
    """A content-addressed store of raw bodies under ``root``.

    >>> import tempfile
    >>> RawArchive(Path(tempfile.mkdtemp())).put(b"")[:12]
    'e3b0c44298fc'
    """

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def path_for(self, sha256: str) -> Path:
        """Where the object with this hash lives (whether or not it exists).

        Raises KeyError if ``sha256`` is not 64 lowercase hex digits.
        """
        if not _SHA256.match(sha256):
            raise KeyError(sha256)
        return self.root / "objects" / sha256[:2] / f"{sha256}.gz"

    def put(self, data: bytes) -> str:
        """Store ``data``; return its sha256 hex digest.  Atomic and idempotent.

        >>> import tempfile
        >>> a = RawArchive(Path(tempfile.mkdtemp()))
        >>> a.put(b"x") == a.put(b"x") == hashlib.sha256(b"x").hexdigest()
        True
        """
        sha = hashlib.sha256(data).hexdigest()
        target = self.path_for(sha)
        if target.exists():
            return sha
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=".tmp-", suffix=".gz", dir=target.parent)
        tmp = Path(tmp_name)
        try:
            with os.fdopen(fd, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as gz:
                gz.write(data)
            tmp.replace(target)
        except BaseException:
            with contextlib.suppress(OSError):
                tmp.unlink()
            raise
        return sha

    def get(self, sha256: str) -> bytes:
        """The bytes stored under ``sha256``.

        Raises KeyError if there is no such object (or the hash is malformed).

        >>> import tempfile
        >>> a = RawArchive(Path(tempfile.mkdtemp()))
        >>> a.get(a.put(b"body"))
        b'body'
        """
        path = self.path_for(sha256)
        try:
            with gzip.open(path, "rb") as gz:
                return gz.read()
        except FileNotFoundError as exc:
            raise KeyError(sha256) from exc

    def __contains__(self, sha256: object) -> bool:
        if not isinstance(sha256, str):
            return False
        try:
            return self.path_for(sha256).is_file()
        except KeyError:
            return False

    def __repr__(self) -> str:
        return f"RawArchive({str(self.root)!r})"
