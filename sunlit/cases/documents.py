"""Uploaded documents: type by content (never by name), size limit, metadata stripping, and
content-addressed storage under ``documents/ab/cd/<sha256>``.

Images are re-encoded by Pillow, which drops EXIF (GPS position, camera, time) and other
metadata; the stored bytes, and so the hash, are those of the cleaned file.
"""

from __future__ import annotations

import hashlib
import io
import zipfile
from dataclasses import dataclass

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils.translation import gettext as _

from .errors import CaseErrorCode, CaseRefused

PDF = "application/pdf"
JPEG = "image/jpeg"
PNG = "image/png"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

ALLOWED_LABEL = "PDF, JPEG, PNG, DOCX, XLSX"


def max_bytes() -> int:
    return int(getattr(settings, "SUNLIT_DOCUMENT_MAX_BYTES", 10 * 1024 * 1024))


def sniff(data: bytes) -> str | None:
    """The content type from the bytes themselves, or None for anything not accepted."""
    if data.startswith(b"%PDF-"):
        return PDF
    if data.startswith(b"\xff\xd8\xff"):
        return JPEG
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if data.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                names = set(archive.namelist())
        except (zipfile.BadZipFile, ValueError):
            return None
        if "[Content_Types].xml" in names:
            if any(n.startswith("word/") for n in names):
                return DOCX
            if any(n.startswith("xl/") for n in names):
                return XLSX
    return None


def strip_image(data: bytes, content_type: str) -> bytes:
    """Re-encode an image without its metadata (orientation applied first so nothing turns sideways)."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    Image.MAX_IMAGE_PIXELS = 60_000_000  # refuse decompression bombs
    try:
        with Image.open(io.BytesIO(data)) as img:
            img.load()
            img = ImageOps.exif_transpose(img)
            out = io.BytesIO()
            if content_type == JPEG:
                if img.mode not in ("RGB", "L"):
                    img = img.convert("RGB")
                img.save(out, format="JPEG", quality=90, optimize=True)
            else:
                img.save(out, format="PNG", optimize=True)
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError, ValueError):
        raise CaseRefused(
            _("The image could not be read; upload it again or as a PDF."), code=CaseErrorCode.DOCUMENT_TYPE
        ) from None
    return out.getvalue()


@dataclass(frozen=True)
class CleanFile:
    data: bytes
    sha256: str
    content_type: str

    @property
    def size(self) -> int:
        return len(self.data)


def clean(data: bytes) -> CleanFile:
    if len(data) > max_bytes():
        raise CaseRefused(
            _("The file is larger than %(mb)d MB.") % {"mb": max_bytes() // (1024 * 1024)},
            code=CaseErrorCode.DOCUMENT_TOO_LARGE,
        )
    if not data:
        raise CaseRefused(_("The file is empty."), code=CaseErrorCode.DOCUMENT_TYPE)
    content_type = sniff(data)
    if content_type is None:
        raise CaseRefused(
            _("This kind of file is not accepted. Upload %(types)s.") % {"types": ALLOWED_LABEL},
            code=CaseErrorCode.DOCUMENT_TYPE,
        )
    if content_type in (JPEG, PNG):
        data = strip_image(data, content_type)
    return CleanFile(data=data, sha256=hashlib.sha256(data).hexdigest(), content_type=content_type)


def storage_name(sha256: str) -> str:
    return f"documents/{sha256[:2]}/{sha256[2:4]}/{sha256}"


def store(clean_file: CleanFile) -> bool:
    """Write the bytes unless that content is already stored. Returns True when newly written."""
    name = storage_name(clean_file.sha256)
    if default_storage.exists(name):
        return False
    saved = default_storage.save(name, ContentFile(clean_file.data))
    if saved != name:  # a concurrent writer won the race; keep one copy
        default_storage.delete(saved)
    return True


def discard(sha256: str) -> None:
    """Delete stored content that no row references (after a rolled-back upload)."""
    from .models import CaseDocument

    if not CaseDocument.objects.filter(sha256=sha256).exists():
        default_storage.delete(storage_name(sha256))


def open_stored(sha256: str):
    return default_storage.open(storage_name(sha256), "rb")
