"""What an uploaded file is, read from its first bytes, never from its name: a PDF, a PNG, a
JPEG or a Word document (.docx: a zip holding word/document.xml; .doc: an OLE compound file).
Anything else, HTML and SVG included, is refused, so nothing uploaded is ever served as a page."""

from __future__ import annotations

import io
import zipfile

WORD = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
WORD_97 = "application/msword"
ACCEPTED = {"application/pdf": "PDF", "image/png": "PNG image", "image/jpeg": "JPEG image", WORD: "Word document",
            WORD_97: "Word document"}
EXTENSIONS = {"application/pdf": ".pdf", "image/png": ".png", "image/jpeg": ".jpg", WORD: ".docx", WORD_97: ".doc"}


def file_type(data: bytes) -> str | None:
    """The content type of ``data`` if it is one pepflow accepts, else None."""
    if data.startswith(b"%PDF-"):
        return "application/pdf"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return WORD_97
    if data.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                return WORD if "word/document.xml" in archive.namelist() else None
        except zipfile.BadZipFile:
            return None
    return None
