"""Bytes that are not HTML whatever the server's Content-Type says (WHATWG MIME sniffing).

A PDF, an image or an archive served as ``text/html`` would otherwise be decoded as text
and mined for figures; the magic numbers below are the ones the MIME Sniffing Standard and
``file(1)`` use.  Text is told from binary by control bytes, as the standard does.
"""

from __future__ import annotations

import codecs

_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", "a PDF document"),
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"BM", "a BMP image"),
    (b"\x00\x00\x01\x00", "an icon"),
    (b"PK\x03\x04", "a ZIP archive (or an office document)"),
    (b"PK\x05\x06", "a ZIP archive"),
    (b"\x1f\x8b", "gzip-compressed data"),
    (b"BZh", "bzip2-compressed data"),
    (b"\xfd7zXZ\x00", "xz-compressed data"),
    (b"(\xb5/\xfd", "zstd-compressed data"),
    (b"7z\xbc\xaf\x27\x1c", "a 7z archive"),
    (b"Rar!\x1a\x07", "a RAR archive"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an old office document"),
    (b"OggS", "Ogg media"),
    (b"ID3", "MP3 audio"),
    (b"\x1aE\xdf\xa3", "WebM/Matroska video"),
    (b"wOFF", "a web font"),
    (b"wOF2", "a web font"),
    (b"\x7fELF", "an executable"),
    (b"MZ", "an executable"),
)
_TEXT_BOMS = (codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
# control bytes the standard calls "binary data bytes" (not TAB, LF, FF, CR, ESC)
_BINARY = frozenset([*range(0x00, 0x09), 0x0B, *range(0x0E, 0x1B), *range(0x1C, 0x20)])
_WINDOW = 1445  # the standard's resource header length
_BINARY_SHARE = 0.1  # a few stray control bytes in real pages are noise, not a binary file


def binary_kind(raw: bytes) -> str | None:
    """What non-HTML content ``raw`` is (e.g. ``"a PDF document"``), or None for text.

    >>> binary_kind(b"%PDF-1.7 ..."), binary_kind(b"<html><body>hi</body></html>")
    ('a PDF document', None)
    """
    head = raw[:_WINDOW]
    if head.startswith(_TEXT_BOMS) or head[:4] in (codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE):
        return None
    stripped = head.lstrip(b" \t\r\n\x0c")
    for magic, kind in _MAGIC:
        if head.startswith(magic) or stripped.startswith(magic):
            return kind
    if head[:4] == b"RIFF" and head[8:12] in (b"WEBP", b"WAVE", b"AVI "):
        return "RIFF media (WebP/WAV/AVI)"
    if head[4:8] == b"ftyp":
        return "MP4/QuickTime media"
    if head:
        binary = sum(1 for b in head if b in _BINARY)
        if binary > _BINARY_SHARE * len(head):
            return "binary data"
    return None
