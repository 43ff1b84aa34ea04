"""The text shown on the pages of a reportlab PDF, with the standard library only (no PDF package is
installed): Flate/ASCII85 content streams, ``Tf`` font changes and ``Tj``/``TJ`` strings; strings in a
``UniGB-UCS2-H`` font (reportlab's CID fonts such as STSong-Light) are UTF-16BE, others Latin-1."""

from __future__ import annotations

import base64
import re
import zlib

_STREAM = re.compile(rb"<<((?:(?!<<).)*?)>>\s*stream\r?\n(.*?)\r?\n?endstream", re.S)
_TOKEN = re.compile(rb"/(\w+)\s+[\d.]+\s+Tf|(\((?:\\.|[^\\)])*\)|<[0-9A-Fa-f\s]*>)|(T\*|Td|TD|ET)", re.S)
_ESC = {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f", b"(": b"(", b")": b")", b"\\": b"\\"}


def _literal(raw: bytes) -> bytes:
    out, i = bytearray(), 0
    while i < len(raw):
        if raw[i : i + 1] == b"\\":
            nxt = raw[i + 1 : i + 2]
            octal = re.match(rb"[0-7]{1,3}", raw[i + 1 : i + 4])
            if nxt in _ESC:
                out += _ESC[nxt]
                i += 2
            elif octal:
                out.append(int(octal.group(), 8) & 0xFF)
                i += 1 + len(octal.group())
            else:
                i += 2
            continue
        out += raw[i : i + 1]
        i += 1
    return bytes(out)


def pdf_text(pdf: bytes) -> str:
    wide = {
        m.group(1)
        for m in re.finditer(rb"/Name\s*/(\w+)[^>]*?/UniGB-UCS2-H|/UniGB-UCS2-H[^>]*?/Name\s*/(\w+)", pdf)
    }
    wide |= {m.group(2) for m in re.finditer(rb"/UniGB-UCS2-H[^>]*?/Name\s*/(\w+)|()", pdf) if m.group(2)}
    for body in re.findall(rb"obj\s*(<<.*?>>)\s*endobj", pdf, re.S):
        if b"UniGB-UCS2-H" in body and (name := re.search(rb"/Name\s*/(\w+)", body)):
            wide.add(name.group(1))
    chunks: list[str] = []
    for header, data in _STREAM.findall(pdf):
        try:
            if b"ASCII85Decode" in header:
                data = base64.a85decode(data.strip().removesuffix(b"~>"), adobe=False)
            if b"FlateDecode" in header:
                data = zlib.decompress(data)
        except (ValueError, zlib.error):
            continue
        font = b""
        for name, string, op in _TOKEN.findall(data):
            if name:
                font = name
            elif string:
                if string.startswith(b"<"):
                    raw = bytes.fromhex(re.sub(rb"\s", b"", string[1:-1]).decode())
                else:
                    raw = _literal(string[1:-1])
                chunks.append(raw.decode("utf-16-be", "replace") if font in wide else raw.decode("latin-1"))
            elif op:
                chunks.append("\n")
    return re.sub(r"\n+", "\n", "".join(chunks))
