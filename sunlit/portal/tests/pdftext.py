"""Text of a reportlab PDF, read with the standard library only (no PDF package is installed).

Enough of PDF for what reportlab writes: content streams with ``/ASCII85Decode`` and
``/FlateDecode`` filters, ``Tf`` font selection, and ``Tj``/``TJ`` strings (literal or hex). Strings
in a font with the ``UniGB-UCS2-H`` encoding (reportlab's CID fonts, e.g. STSong-Light) are
UTF-16BE; the standard Type 1 fonts are read as Latin-1.
"""

from __future__ import annotations

import base64
import re
import zlib

_OBJ = re.compile(rb"(\d+) 0 obj\s*(.*?)endobj", re.S)
_STREAM = re.compile(rb"<<((?:(?!<<).)*?)>>\s*stream\r?\n(.*?)\r?\n?endstream", re.S)
_TOKENS = re.compile(
    rb"/([A-Za-z0-9]+)\s+[\d.]+\s+Tf|(\((?:\\.|[^\\)])*\)|<[0-9A-Fa-f\s]*>)|(TJ|Tj|'|\"|T\*|Td|TD|ET)", re.S
)
_ESCAPES = {
    b"n": b"\n",
    b"r": b"\r",
    b"t": b"\t",
    b"b": b"\b",
    b"f": b"\f",
    b"(": b"(",
    b")": b")",
    b"\\": b"\\",
}


def _decode_stream(header: bytes, data: bytes) -> bytes:
    filters = re.findall(rb"/(ASCII85Decode|FlateDecode)", header.split(b"/Length")[0] + header)
    seen = []
    for f in filters:
        if f not in seen:
            seen.append(f)
    for f in seen:
        if f == b"ASCII85Decode":
            data = base64.a85decode(data.strip().removesuffix(b"~>"), adobe=False)
        elif f == b"FlateDecode":
            data = zlib.decompress(data)
    return data


def _literal(raw: bytes) -> bytes:
    out = bytearray()
    i = 0
    while i < len(raw):
        c = raw[i : i + 1]
        if c == b"\\":
            nxt = raw[i + 1 : i + 2]
            if nxt in _ESCAPES:
                out += _ESCAPES[nxt]
                i += 2
                continue
            octal = re.match(rb"[0-7]{1,3}", raw[i + 1 : i + 4])
            if octal:
                out.append(int(octal.group(0), 8) & 0xFF)
                i += 1 + len(octal.group(0))
                continue
            i += 2  # a line continuation or an unknown escape
            continue
        out += c
        i += 1
    return bytes(out)


def _ucs2_font_names(pdf: bytes) -> set[bytes]:
    names = set()
    for _num, body in _OBJ.findall(pdf):
        if b"/UniGB-UCS2-H" in body:
            match = re.search(rb"/Name\s*/(\w+)", body)
            if match:
                names.add(match.group(1))
    return names


def pdf_text(pdf: bytes) -> str:
    """All text shown on the pages, lines joined with newlines."""
    wide = _ucs2_font_names(pdf)
    chunks: list[str] = []
    for header, data in _STREAM.findall(pdf):
        try:
            content = _decode_stream(header, data)
        except (ValueError, zlib.error):
            continue
        font = b""
        for font_name, string, op in _TOKENS.findall(content):
            if font_name:
                font = font_name
            elif string:
                raw = (
                    bytes.fromhex(re.sub(rb"\s", b"", string[1:-1]).decode())
                    if string.startswith(b"<")
                    else _literal(string[1:-1])
                )
                chunks.append(raw.decode("utf-16-be", "replace") if font in wide else raw.decode("latin-1"))
            elif op in (b"T*", b"Td", b"TD", b"ET", b"'", b'"'):
                chunks.append("\n")
    return re.sub(r"\n+", "\n", "".join(chunks))
