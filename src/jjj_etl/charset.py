"""Bytes → text for HTML pages: BOM, then header charset, then ``<meta>`` charset, then detection.

Detection tells GBK/GB2312/GB18030 from Big5 (traditional Chinese) by how common the
decoded characters are.

GBK and GB2312 labels are read as GB18030 (a strict superset, and what such pages really
use).  A declared charset is only trusted when the bytes decode under it without error; a
single-byte "server default" label (ISO-8859-1, ASCII, windows-1252) yields to a ``<meta>``
declaration, and valid multi-byte UTF-8 is read as UTF-8 whatever the label says.  Nothing
here raises: the last resort is UTF-8 with replacement characters.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Mapping

from charset_normalizer import from_bytes

__all__ = ["decode_html", "media_type", "normalize_charset"]

_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),  # before UTF-16 LE: same first two bytes
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_ALIASES = {
    "gbk": "gb18030",
    "gb2312": "gb18030",
    "x-gbk": "gb18030",
    "cp936": "gb18030",
    "gb_2312-80": "gb18030",
    "euc-cn": "gb18030",
    "iso-8859-1": "cp1252",  # WHATWG: the latin-1 label means windows-1252
    "latin-1": "cp1252",
    "latin1": "cp1252",
    "us-ascii": "cp1252",
    "ascii": "cp1252",
    "utf8": "utf-8",
    "unicode-1-1-utf-8": "utf-8",
}
# single-byte labels servers send by default: weaker evidence than a <meta> in the page
_WEAK = frozenset({"cp1252", "iso8859-1", "ascii"})
_OTHER_CJK = frozenset(
    {"cp949", "euc_kr", "big5", "big5hkscs", "cp950", "shift_jis", "cp932", "euc_jp", "johab"}
)
_META = re.compile(
    rb"""<meta[^>]+charset\s*=\s*["']?\s*([a-zA-Z0-9_:.\-]+)""",
    re.IGNORECASE,
)
_BIG5 = ("big5", "cp950", "big5hkscs")
_GB_COMMON = 0.9
_UTF8_EVIDENCE = 8  # non-ASCII characters of valid UTF-8 that outweigh a declared charset
_PREFIX = 4096  # the spec says the <meta> must sit in the first 1024 bytes; be generous


def normalize_charset(label: str | None) -> str | None:
    """A Python codec name for a charset label, or None if unknown.

    >>> normalize_charset("GB2312"), normalize_charset("UTF8"), normalize_charset("nope")
    ('gb18030', 'utf-8', None)
    """
    if not label:
        return None
    key = label.strip().strip("\"'").lower()
    key = _ALIASES.get(key, key)
    try:
        name = codecs.lookup(key).name
    except LookupError:
        return None
    return _ALIASES.get(name, name)


def _try(data: bytes, charset: str | None) -> str | None:
    if charset is None:
        return None
    try:
        return data.decode(charset)
    except (UnicodeDecodeError, LookupError):
        return None


def _meta_charset(data: bytes) -> str | None:
    match = _META.search(data[:_PREFIX])
    return normalize_charset(match.group(1).decode("ascii", "replace")) if match else None


def _gb2312_share(text: str) -> float:
    """Share of the Han characters of ``text`` that are in GB2312 (the 6 763 common ones)."""
    han = "".join(_HAN.findall(text))
    if not han:
        return 0.0
    # every Han character GB2312 holds is two bytes in it; the others are dropped
    return len(han.encode("gb2312", errors="ignore")) / 2 / len(han)


_HAN = re.compile(r"[\u4e00-\u9fff]+")


def _chinese(data: bytes) -> str | None:
    """GB18030 or Big5 for Chinese bytes.  Big5 bytes nearly always decode as GB18030 too,
    into rare characters; real GB text is almost all GB2312 characters, so a low GB2312
    share (below 90 %) with valid Big5 means Big5."""
    gb = _try(data, "gb18030")
    if gb is not None and _gb2312_share(gb) >= _GB_COMMON:
        return "gb18030"
    big5 = next((c for c in _BIG5 if _try(data, c) is not None), None)
    return big5 or ("gb18030" if gb is not None else None)


def _detect(data: bytes) -> str | None:
    """charset-normalizer's guess; on short text it confuses CJK codecs, and our sources
    are Chinese, so a CJK guess is settled between GB18030 and Big5 by :func:`_chinese`."""
    best = from_bytes(data[:200_000]).best()
    guess = normalize_charset(best.encoding) if best is not None else None
    if guess in _OTHER_CJK or guess == "gb18030":
        return _chinese(data) or guess
    return guess


def _from_bom(data: bytes) -> tuple[str, str] | None:
    for bom, charset in _BOMS:
        if data.startswith(bom):
            text = data[len(bom) :].decode(charset, errors="replace")
            return text, charset
    return None


def _utf8_wins(text: str, header: str | None, meta: str | None) -> bool:
    """Valid UTF-8 beats a declared charset unless the declaration is explicit and the text
    too short to tell (a few GBK characters can happen to be valid UTF-8)."""
    if header in (None, "utf-8") or header in _WEAK or meta == "utf-8":
        return True
    return sum(1 for ch in text if ord(ch) > 0x7F) >= _UTF8_EVIDENCE


def decode_html(data: bytes, header_charset: str | None = None) -> tuple[str, str]:
    """Decode an HTML body; return ``(text, charset used)`` with a Python codec name.

    Order: a byte-order mark; bytes that are valid non-ASCII UTF-8 are UTF-8 (a wrong label
    is more likely than GBK that happens to be valid UTF-8) unless an explicit header
    charset is backed by too little text to tell; else the ``Content-Type``
    header's charset, the page's ``<meta>`` charset (first when the header only names a
    single-byte server default), detection with charset-normalizer, and last UTF-8 with
    replacement characters.  Each candidate must decode strictly.  Never raises.

    >>> decode_html("京津冀".encode("gbk"), "GB2312")
    ('京津冀', 'gb18030')
    >>> decode_html(b'<meta charset="utf-8"><p>caf\\xc3\\xa9', "iso-8859-1")[1]
    'utf-8'
    """
    bom = _from_bom(data)
    if bom is not None:
        return bom
    header = normalize_charset(header_charset)
    meta = _meta_charset(data)
    if data.isascii():  # any ASCII-compatible label reads it the same; report the label
        label = next((c for c in (header, meta) if c and not c.startswith("utf-")), None)
        return data.decode("ascii"), label or "utf-8"
    utf8 = _try(data, "utf-8")
    if utf8 is not None and _utf8_wins(utf8, header, meta):
        return utf8, "utf-8"
    # a server default single-byte label loses to the page's own declaration
    candidates = [meta, header] if header in _WEAK else [header, meta]
    candidates.append(_detect(data))
    for candidate in candidates:
        text = _try(data, candidate)
        if text is not None and candidate is not None:
            return text, candidate
    fallback = header or meta or "utf-8"
    return data.decode(fallback, errors="replace"), fallback


def media_type(headers: Mapping[str, str]) -> tuple[str | None, str | None]:
    """``(media type, charset label)`` from a Content-Type header; None when absent.

    >>> media_type({"content-type": 'Text/HTML; Charset="GBK"'})
    ('text/html', 'GBK')
    """
    raw = headers.get("content-type")
    if not raw:
        return None, None
    media, *params = (p.strip() for p in raw.split(";"))
    charset = next(
        (
            v.strip().strip("\"'")
            for k, _, v in (p.partition("=") for p in params)
            if k.strip().lower() == "charset" and v.strip()
        ),
        None,
    )
    return media.lower() or None, charset
