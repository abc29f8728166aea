"""The one WARC record reader: walk a file's records, read one record by (file, offset, length).

Both the replay transport (:mod:`jjj_etl.fetch._replay`) and :meth:`RawArchive.get` read
records here.  Three layouts are walked by our own code, because each record's position
must be known exactly and a damaged record must cost only itself:

* one gzip member per record (the usual ``.warc.gz``, ours included): members are inflated
  with zlib-ng, which checks each member's CRC-32 and length;
* plain, uncompressed WARC: records are framed by their ``Content-Length``;
* anything else (ARC files, a first record we cannot frame) goes to warcio, which knows the
  foreign formats; warcio also decodes HTTP bodies stored chunked or content-encoded, as web
  archives often store them.

A damaged record (bad deflate data, a CRC mismatch, a ``Content-Length`` that does not
frame it, a file cut short) is reported as a :class:`Damage` and the walk resynchronises at
the next gzip member, or the next ``WARC/1.`` line of a plain file.  :func:`scan` never
raises for damaged bytes; the one layout it refuses is a whole file gzipped as a single
stream (records cannot be reached by offset), with warcio's own explanation of the fix.
"""

from __future__ import annotations

import io
import mmap
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed
from warcio.statusandheaders import StatusAndHeadersParser
from zlib_ng import zlib_ng

__all__ = [
    "Damage",
    "Record",
    "RecordError",
    "RecordHead",
    "read_record",
    "scan",
    "split_record",
    "warc_fields",
]

# what inflating a damaged member raises: records are inflated with zlib-ng (faster than zlib)
INFLATE_ERRORS: tuple[type[Exception], ...] = (zlib.error, cast("type[Exception]", zlib_ng.error))
_BAD_BYTES: tuple[type[Exception], ...] = (ValueError, *INFLATE_ERRORS)
_GZIP_MAGIC = b"\x1f\x8b\x08"
_GZIP_WBITS = zlib.MAX_WBITS + 16
_HEAD_BYTES = 16_384  # WARC + HTTP headers of a record fit in this
_FIRST_CHUNK = 4_096  # small, so a false member start found while resynchronising fails fast
_CHUNK = 262_144
_READ_CAP = 1_000_000_000  # the crawler's own byte cap applies after this
_ENCODED = ("transfer-encoding", "content-encoding")


class RecordError(ValueError):
    """A WARC record could not be read (damaged, cut short, or not a record)."""


@dataclass(frozen=True, slots=True)
class RecordHead:
    """Where a record is and what its headers say.  ``length`` is of its gzip member (or of
    the plain record); 0 when warcio located it (then it is read back through warcio)."""

    offset: int
    length: int
    fields: dict[str, str]  # WARC header fields, names lower-cased
    status: int = 0  # the HTTP status of a response/revisit record, else 0


@dataclass(frozen=True, slots=True)
class Damage:
    """Bytes of a WARC file that hold no readable record, from ``offset`` on."""

    path: Path
    offset: int
    reason: str
    uri: str | None = None  # the record's WARC-Target-URI when its headers were readable


@dataclass(frozen=True, slots=True)
class Record:
    """One record read back: WARC fields, and for an HTTP record its status, headers and body
    (chunked transfer and content encodings removed)."""

    fields: dict[str, str]
    status: int = 0
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""


class _BrokenError(Exception):
    """No record here: ``head`` is what could be inflated of it; ``intact`` when the bytes
    are whole (the gzip CRC held) but do not frame one record."""

    def __init__(self, reason: str, head: bytes = b"", *, intact: bool = False) -> None:
        super().__init__(reason)
        self.head = head
        self.intact = intact


def warc_fields(head: bytes) -> dict[str, str]:
    """The header fields of a WARC record head (up to, not including, the blank line),
    names lower-cased.  Raises ValueError if it does not start with a ``WARC/`` line."""
    lines = head.decode("utf-8", "replace").split("\r\n")
    if not lines[0].startswith("WARC/"):
        raise ValueError("not a WARC record")
    fields: dict[str, str] = {}
    for line in lines[1:]:
        name, colon, value = line.partition(":")
        if colon:
            fields.setdefault(name.strip().lower(), value.strip())
    return fields


def split_record(record: bytes) -> tuple[dict[str, str], bytes]:
    """An uncompressed WARC record → (its header fields, names lower-cased; its content
    block, exactly ``Content-Length`` bytes).  Raises ValueError if it is not one.

    >>> split_record(b"WARC/1.1\\r\\nContent-Length: 2\\r\\n\\r\\nab\\r\\n\\r\\n")
    ({'content-length': '2'}, b'ab')
    """
    head, sep, rest = record.partition(b"\r\n\r\n")
    if not sep:
        raise ValueError("not a WARC record")
    fields = warc_fields(head)
    length = fields.get("content-length", "")
    if not length.isdigit() or int(length) > len(rest):
        raise ValueError(f"WARC record shorter than its Content-Length {length!r}")
    return fields, rest[: int(length)]


def _http_status(fields: dict[str, str], block_start: bytes) -> int:
    if not fields.get("content-type", "").startswith("application/http"):
        return 0
    status_line = block_start.split(b"\r\n", 1)[0].split()
    ok = len(status_line) >= 2 and status_line[1].isdigit()
    return int(status_line[1]) if ok else 0


# --- walking a file -----------------------------------------------------------------------


def scan(path: Path) -> Iterator[RecordHead | Damage]:
    """Every record of the WARC file ``path`` in order, and a :class:`Damage` for each run
    of bytes that holds no readable record.  Raises OSError if the file cannot be opened,
    ``warcio``'s ArchiveLoadFailed for a file gzipped as one stream."""
    with path.open("rb") as fh:
        if fh.seek(0, 2) == 0:
            return
        with mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as data:
            if data[:3] == _GZIP_MAGIC:
                yield from _scan_members(path, data)
            elif data[:5] == b"WARC/" and b"\r\n" in data[: data.find(b"\n") + 1]:
                yield from _scan_plain(path, data, 0)
            elif data[:5] == b"WARC/":  # bare LF line ends: a foreign writer warcio reads
                yield from _scan_warcio(path)
            elif data.find(_GZIP_MAGIC) >= 0:  # a damaged start of a member-per-record file
                yield from _scan_members(path, data)
            elif (start := data.find(b"WARC/1.")) >= 0:
                yield Damage(path, 0, "no WARC record at the start of the file")
                yield from _scan_plain(path, data, start)
            else:  # ARC and other formats warcio knows
                yield from _scan_warcio(path)


def _inflate_member(data: mmap.mmap, pos: int) -> tuple[int, bytes, int]:
    """(length, first decompressed bytes, decompressed size) of the gzip member at ``pos``.
    Raises _BrokenError if it is not a whole, intact member holding a WARC record."""
    if data[pos : pos + 3] != _GZIP_MAGIC:
        raise _BrokenError("no gzip member starts here")
    inflater = zlib_ng.decompressobj(_GZIP_WBITS)
    head, at, size, end = b"", pos, 0, len(data)
    while not inflater.eof:
        if at >= end:
            raise _BrokenError("cut short by the end of the file", head)
        chunk = data[at : at + (_FIRST_CHUNK if at == pos else _CHUNK)]
        at += len(chunk)
        try:
            out = inflater.decompress(chunk)
        except INFLATE_ERRORS as exc:
            raise _BrokenError(f"damaged gzip data ({exc})", _salvage_head(data, pos)) from exc
        size += len(out)
        if len(head) < _HEAD_BYTES:
            head += out[: _HEAD_BYTES - len(head)]
        if len(head) >= 5 and not head.startswith(b"WARC/"):
            raise _BrokenError("the gzip member holds no WARC record", head)
    return at - pos - len(inflater.unused_data), head, size


def _salvage_head(data: mmap.mmap, pos: int) -> bytes:
    """What inflates of a damaged member before the damage, in small steps, so the record's
    headers (its URL) are known even when the damage is inside the first chunk read."""
    inflater = zlib_ng.decompressobj(_GZIP_WBITS)
    head = b""
    for at in range(pos, min(pos + _HEAD_BYTES, len(data)), 64):
        try:
            head += inflater.decompress(data[at : at + 64])
        except INFLATE_ERRORS:
            break
        if len(head) >= _HEAD_BYTES or inflater.eof:
            break
    return head[:_HEAD_BYTES]


def _member_head(pos: int, length: int, head: bytes, size: int) -> RecordHead:
    """The record of an intact member; raises _BrokenError unless it holds exactly one record."""
    warc_head, sep, http = head.partition(b"\r\n\r\n")
    if not sep:
        raise _BrokenError(f"record headers past {_HEAD_BYTES} bytes", head, intact=True)
    try:
        fields = warc_fields(warc_head)
    except ValueError as exc:
        raise _BrokenError(str(exc), head, intact=True) from exc
    declared = fields.get("content-length", "")
    if not declared.isdigit() or size != len(warc_head) + 4 + int(declared) + 4:
        raise _BrokenError("the gzip member is not exactly one record", head, intact=True)
    return RecordHead(pos, length, fields, _http_status(fields, http))


def _scan_members(path: Path, data: mmap.mmap) -> Iterator[RecordHead | Damage]:
    pos, end, resyncing = 0, len(data), False
    while pos < end:
        try:
            length, head, size = _inflate_member(data, pos)
            entry = _member_head(pos, length, head, size)
        except _BrokenError as exc:
            if pos == 0 and (exc.intact or exc.head.startswith(b"filedesc:")):
                # an intact member that is not one WARC record (or an ARC file): not damage
                # but another layout, which warcio reads or refuses with its own explanation
                yield from _scan_warcio(path)
                return
            if not resyncing:
                yield Damage(path, pos, str(exc), _uri_of(exc.head))
            resyncing = True
            found = data.find(_GZIP_MAGIC, pos + 1)
            if found < 0:
                return
            pos = found
            continue
        resyncing = False
        yield entry
        pos += length


def _uri_of(head: bytes) -> str | None:
    warc_head, _sep, _rest = head.partition(b"\r\n\r\n")
    try:
        uri = warc_fields(warc_head).get("warc-target-uri")
    except ValueError:
        return None
    return uri.strip("<>") if uri else None


def _plain_record(data: mmap.mmap, pos: int) -> tuple[RecordHead, int]:
    """The plain record at ``pos`` and where the next one starts; raises _BrokenError."""
    head_end = data.find(b"\r\n\r\n", pos, pos + _HEAD_BYTES)
    if head_end < 0:
        raise _BrokenError("record headers cut short or too long", data[pos : pos + _HEAD_BYTES])
    head = data[pos:head_end]
    try:
        fields = warc_fields(head)
    except ValueError as exc:
        raise _BrokenError(str(exc), head + b"\r\n\r\n") from exc
    declared = fields.get("content-length", "")
    stop = head_end + 4 + int(declared) if declared.isdigit() else -1
    tail = data[stop : stop + 4]
    ends = tail == b"\r\n\r\n" or (stop + len(tail) == len(data) and b"\r\n\r\n".startswith(tail))
    if stop < 0 or stop > len(data) or not ends:
        raise _BrokenError(
            "the record does not end where its Content-Length says", head + b"\r\n\r\n"
        )
    nxt = stop + len(tail)
    while data[nxt : nxt + 2] == b"\r\n":  # writers differ in blank lines between records
        nxt += 2
    block = data[head_end + 4 : min(stop, head_end + 4 + 256)]
    return RecordHead(pos, nxt - pos, fields, _http_status(fields, block)), nxt


def _scan_plain(path: Path, data: mmap.mmap, pos: int) -> Iterator[RecordHead | Damage]:
    end, resyncing = len(data), False
    while pos < end:
        try:
            entry, nxt = _plain_record(data, pos)
        except _BrokenError as exc:
            if not resyncing:
                yield Damage(path, pos, str(exc), _uri_of(exc.head))
            resyncing = True
            found = data.find(b"WARC/1.", pos + 1)  # framing decides if it is a record
            if found < 0:
                return
            pos = found
            continue
        resyncing = False
        yield entry
        pos = nxt


def _scan_warcio(path: Path) -> Iterator[RecordHead | Damage]:
    """Records of a file only warcio can walk.  A record it cannot read ends the walk with a
    :class:`Damage` (warcio cannot resynchronise); a file gzipped as one stream raises."""
    with path.open("rb") as fh:
        records = ArchiveIterator(fh)
        it, offset = iter(records), 0
        while True:
            try:
                record = next(it)
                offset = records.get_record_offset()
                entry = _warcio_head(records, record)
            except StopIteration:
                return
            except ArchiveLoadFailed as exc:
                if "single gzip" in str(exc):
                    raise  # a layout, not damage: warcio's message says how to fix it
                yield Damage(path, offset, f"warcio: {exc}")
                return
            except Exception as exc:  # warcio raises anything from a damaged record
                yield Damage(path, offset, f"warcio: {type(exc).__name__}: {exc}")
                return
            yield entry


def _warcio_head(records: Any, record: Any) -> RecordHead:
    fields = {k.lower(): v for k, v in reversed(record.rec_headers.headers)}
    status = 0
    if record.rec_type in ("response", "revisit") and _http_headers(record) is not None:
        status = int(record.http_headers.get_statuscode() or 0)
    records.read_to_end(record)
    return RecordHead(records.get_record_offset(), 0, fields, status)


def _http_headers(record: Any) -> Any:
    """The record's HTTP headers; warcio parses them only for http(s) URIs, so a
    ``file://`` capture (the sample site) is parsed here."""
    if record.http_headers is None and record.rec_type in ("response", "revisit"):
        ctype = record.rec_headers.get_header("Content-Type") or ""
        if ctype.startswith("application/http"):
            try:
                record.http_headers = StatusAndHeadersParser([], verify=False).parse(
                    record.raw_stream
                )
            except (EOFError, ValueError):
                return None
    return record.http_headers


# --- reading one record -------------------------------------------------------------------


def read_record(path: Path, offset: int, length: int = 0) -> Record:
    """The record at ``offset`` of ``path``, ``length`` bytes long (its gzip member, or the
    plain record; 0: unknown, read through warcio).  Raises RecordError when the bytes
    there are not an intact record, OSError when the file cannot be read."""
    if length <= 0:
        return _read_warcio(path, offset)
    with path.open("rb") as fh:
        fh.seek(offset)
        raw = fh.read(length)
    try:
        data = zlib_ng.decompress(raw, _GZIP_WBITS) if raw[:3] == _GZIP_MAGIC else raw
        fields, block = split_record(data)
    except _BAD_BYTES as exc:
        raise RecordError(f"no intact record at {path.name}:{offset}: {exc}") from exc
    if not fields.get("content-type", "").startswith("application/http"):
        return Record(fields, body=block)
    return _plain_http(fields, block) or _warcio_record(io.BytesIO(data), path, offset)


def _plain_http(fields: dict[str, str], block: bytes) -> Record | None:
    """The HTTP message of ``block`` split here; None when its body needs warcio's decoding
    (chunked or content-encoded) or its head is not plain ``name: value`` lines."""
    head, sep, body = block.partition(b"\r\n\r\n")
    if not sep:
        return None
    lines = head.decode("iso-8859-1").split("\r\n")
    status = _http_status(fields, lines[0].encode("iso-8859-1"))
    headers = []
    for line in lines[1:]:
        name, colon, value = line.partition(":")
        if not colon:
            return None
        name, value = name.strip(), value.strip()
        if name.lower() in _ENCODED and value.lower() not in ("", "identity"):
            return None
        headers.append((name, value))
    return Record(fields, status, headers, body)


def _read_warcio(path: Path, offset: int) -> Record:
    with path.open("rb") as fh:
        fh.seek(offset)
        return _warcio_record(fh, path, offset)


def _warcio_record(stream: io.IOBase | io.BufferedReader, path: Path, offset: int) -> Record:
    try:
        record: Any = next(iter(ArchiveIterator(stream)))
        fields = {k.lower(): v for k, v in reversed(record.rec_headers.headers)}
        if _http_headers(record) is None:
            return Record(fields, body=bytes(record.content_stream().read(_READ_CAP)))
        status = int(record.http_headers.get_statuscode() or 0)
        body = bytes(record.content_stream().read(_READ_CAP))
        return Record(fields, status, list(record.http_headers.headers), body)
    except Exception as exc:  # warcio raises anything from a damaged record
        raise RecordError(f"no readable record at {path.name}:{offset}: {exc}") from exc
