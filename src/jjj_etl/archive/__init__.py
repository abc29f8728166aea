"""The raw archive: every fetched body kept by content hash, every exchange kept as WARC.

Two stores under the archive root (``warehouse/raw/`` by default):

``warc/<UTC time>-<pid>-<token>-<n>.warc.gz``
    the standard web archive (WARC/1.1, one gzip member per record), where crawled bodies
    live: for every HTTP exchange a ``request`` and a ``response`` record, 304s and
    redirects included, rotated past ``warc_max_bytes``.  :func:`jjj_etl.fetch.replay` and
    :class:`jjj_etl.fetch.WarcReplayTransport` read these back.
``warc/<same name>.idx``
    beside each WARC file, its index by content hash: one line per archived 200 body,
    ``<sha256> <offset> <length> <body size>`` (the response record's gzip member),
    appended right after the record.  :meth:`RawArchive.get` reads a body through it.
``objects/<sha[:2]>/<sha>.gz``
    bodies stored without an exchange (:meth:`RawArchive.put`: imported from a foreign
    WARC, or kept while WARC writing is off), one gzip file each.

So each crawled body is hashed once (its ``content_sha256``, passed along to the parser;
the record's ``WARC-Block-Digest`` is another digest, of HTTP head and body together),
compressed once and stored once, in its WARC record.
Why one append-only index per WARC file instead of one shared index, or a file per body:
only the process writing a WARC file writes its index, so concurrent crawls in threads or
processes need no lock and no recovery after a crash (a torn last line is ignored, and
``replay`` of the WARC files makes every body reachable again); appending a line is far
cheaper than creating a file per body; readers load the index lines once per process and
then only read what was appended since.  :meth:`RawArchive.get` checks what it reads back
without hashing it again (gzip's CRC-32 of the member, and the record's own
``JJJ-Content-SHA256`` and length against the index), so a damaged or replaced WARC file
shows as a missing body, never as wrong bytes.

Response records store the body as decoded by the crawler (Content-Encoding removed), so
``WARC-Payload-Digest`` (``sha256:`` + base32) is the digest of the same bytes whose hex
sha256 is our ``content_sha256``; that hex digest is also written as ``JJJ-Content-SHA256``.
The original ``Content-Encoding``/``Content-Length``/``Transfer-Encoding`` headers are kept
as ``X-Archive-Orig-*`` (the pywb convention).

The package: ``_writer`` builds records and appends gzip members, ``_index`` is the index by
hash, ``_reader`` is the one record reader (:func:`scan` walks a file, resynchronising past
damaged records; :func:`read_record` reads one record by file, offset and length), used by
both :meth:`RawArchive.get` and the replay transport.

>>> import tempfile
>>> from pathlib import Path
>>> import httpx
>>> archive = RawArchive(Path(tempfile.mkdtemp()))
>>> sha = archive.put(b"<html>hello</html>")
>>> sha in archive, archive.get(sha), archive.size(sha)
(True, b'<html>hello</html>', 18)
>>> req = httpx.Request("GET", "http://example.test/a")
>>> sha = archive.store_exchange(req, httpx.Response(200, request=req), b"<p>a</p>")
>>> archive.get(sha), archive.size(sha), archive.path_for(sha).exists()
(b'<p>a</p>', 8, False)
>>> [type(item).__name__ for item in scan(archive.warc_files()[0])]
['RecordHead', 'RecordHead', 'RecordHead']
"""

from __future__ import annotations

from jjj_etl.archive._reader import (
    INFLATE_ERRORS as INFLATE_ERRORS,
)
from jjj_etl.archive._reader import (
    Damage,
    Record,
    RecordError,
    RecordHead,
    read_record,
    scan,
    split_record,
    warc_fields,
)
from jjj_etl.archive._store import WARC_MAX_BYTES as WARC_MAX_BYTES
from jjj_etl.archive._store import RawArchive
from jjj_etl.archive._writer import payload_digest

# INFLATE_ERRORS (what inflating a damaged gzip member raises) and WARC_MAX_BYTES stay
# importable from here; they are left out of __all__ only because no order of constants
# among class names satisfies both ruff's sort (RUF022) and the plain sort the public-API
# test checks.

__all__ = [
    "Damage",
    "RawArchive",
    "Record",
    "RecordError",
    "RecordHead",
    "payload_digest",
    "read_record",
    "scan",
    "split_record",
    "warc_fields",
]
