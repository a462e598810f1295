"""Checking a document file by its content, never by its name or the browser's word.

``inspect_file`` reads the bytes once: the type from its magic bytes (PDF, TIFF,
JPEG, PNG), the size against the limit, the page count (pikepdf for PDF, Pillow
for images) and the SHA-256. Anything else is refused with a message a person
can act on, before anything is saved.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError

DOCUMENT_MAX_BYTES = 50 * 1024 * 1024  # overridable by settings.DOCUMENT_MAX_BYTES

# (magic prefix, content type, extension)
_SIGNATURES = (
    (b"%PDF-", "application/pdf", "pdf"),
    (b"II*\x00", "image/tiff", "tif"),
    (b"MM\x00*", "image/tiff", "tif"),
    (b"\xff\xd8\xff", "image/jpeg", "jpg"),
    (b"\x89PNG\r\n\x1a\n", "image/png", "png"),
)
ACCEPTED = "PDF, TIFF, JPEG or PNG"
ACCEPT_ATTR = ".pdf,.tif,.tiff,.jpg,.jpeg,.png,application/pdf,image/tiff,image/jpeg,image/png"
INLINE_TYPES = {"application/pdf", "image/jpeg", "image/png"}  # browsers show these themselves


@dataclass(frozen=True)
class FileFacts:
    content_type: str
    extension: str
    size: int
    page_count: int
    sha256: str


def max_bytes() -> int:
    return int(getattr(settings, "DOCUMENT_MAX_BYTES", DOCUMENT_MAX_BYTES))


def _megabytes(n: int) -> str:
    return f"{n / (1024 * 1024):.0f} MB"


def sniff(head: bytes) -> tuple[str, str] | None:
    for magic, content_type, extension in _SIGNATURES:
        if head.startswith(magic):
            return content_type, extension
    return None


def _read(uploaded) -> bytes:
    limit = max_bytes()
    size = getattr(uploaded, "size", None)
    if size is not None and size > limit:
        raise ValidationError(
            f"The file is too large ({_megabytes(size)}); the limit is {_megabytes(limit)}.",
            code="file_too_large",
        )
    if hasattr(uploaded, "seek"):
        uploaded.seek(0)
    data = uploaded.read(limit + 1)
    if hasattr(uploaded, "seek"):
        uploaded.seek(0)
    if len(data) > limit:
        raise ValidationError(
            f"The file is too large; the limit is {_megabytes(limit)}.", code="file_too_large"
        )
    return data


def _pdf_pages(data: bytes) -> int:
    import pikepdf

    try:
        with pikepdf.open(io.BytesIO(data)) as pdf:
            if pdf.is_encrypted:
                raise ValidationError(
                    "The PDF is encrypted or password-protected; save an unprotected copy "
                    "and upload that.",
                    code="pdf_encrypted",
                )
            pages = len(pdf.pages)
    except pikepdf.PasswordError:
        raise ValidationError(
            "The PDF is encrypted or password-protected; save an unprotected copy and upload that.",
            code="pdf_encrypted",
        ) from None
    except (pikepdf.PdfError, ValueError, OSError):
        raise ValidationError(
            "The PDF is damaged and cannot be read; rescan or export it again.", code="pdf_broken"
        ) from None
    if pages < 1:
        raise ValidationError("The PDF has no pages.", code="pdf_empty")
    return pages


def _image_pages(data: bytes, content_type: str) -> int:
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as image:
            pages = getattr(image, "n_frames", 1) if content_type == "image/tiff" else 1
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise ValidationError(
            "The image is damaged and cannot be read; rescan or export it again.",
            code="image_broken",
        ) from None
    return max(1, int(pages))


def inspect_file(uploaded) -> FileFacts:
    """Facts about an uploaded file, or a ValidationError saying what to fix."""
    data = _read(uploaded)
    if not data:
        raise ValidationError("The file is empty.", code="file_empty")
    found = sniff(data[:16])
    if found is None:
        raise ValidationError(
            f"This file is not a {ACCEPTED} (checked by its content, whatever its name says); "
            "upload the document as one of those.",
            code="file_type",
        )
    content_type, extension = found
    if content_type == "application/pdf":
        pages = _pdf_pages(data)
    else:
        pages = _image_pages(data, content_type)
    return FileFacts(
        content_type=content_type,
        extension=extension,
        size=len(data),
        page_count=pages,
        sha256=hashlib.sha256(data).hexdigest(),
    )


def clean_name(name: str, extension: str) -> str:
    """A file name safe to show and to send back: the base of the given name, the true extension."""
    base = (name or "document").replace("\\", "/").rsplit("/", 1)[-1]
    stem = base.rsplit(".", 1)[0] if "." in base else base
    stem = "".join(c for c in stem if c.isalnum() or c in " -_()")[:120].strip() or "document"
    return f"{stem}.{extension}"


def version_file_fields(uploaded, facts: FileFacts | None = None) -> dict:
    """The DocumentVersion fields for an uploaded file (checked first)."""
    from django.core.files.base import ContentFile

    facts = facts or inspect_file(uploaded)
    name = clean_name(getattr(uploaded, "name", ""), facts.extension)
    uploaded.seek(0)
    return {
        "file": ContentFile(uploaded.read(), name=name),
        "file_name": name,
        "content_type": facts.content_type,
        "size": facts.size,
        "page_count": facts.page_count,
        "sha256": facts.sha256,
    }
