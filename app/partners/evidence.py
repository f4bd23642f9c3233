"""Evidence files of progress updates: a few small files per update, stored under ``<var_dir>/partner_evidence``
with a random name (the name the partner gave is kept in the database and used only for the download)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path

from app.i18n import gettext as _
from app.settings import get_settings

#: The largest evidence file accepted (bytes); the upload form's body limit adds room for the other fields.
MAX_EVIDENCE_BYTES = 2 * 1024 * 1024
#: How many files one progress update may carry.
MAX_FILES_PER_UPDATE = 3
#: Accepted kinds of evidence: documents, sheets, photos and plain text.
CONTENT_TYPES = {
    ".pdf": "application/pdf",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".txt": "text/plain",
    ".csv": "text/csv",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}
#: The body limit of the forms that carry evidence files.
UPLOAD_BODY_BYTES = MAX_FILES_PER_UPDATE * MAX_EVIDENCE_BYTES + 256 * 1024


@dataclass(frozen=True)
class Upload:
    filename: str
    content: bytes


def directory() -> Path:
    return get_settings().var_dir / "partner_evidence"


def check(uploads: list[Upload], already: int = 0) -> str | None:
    """The problem with these files (in the reader's words), or None when they may be stored."""
    if len(uploads) + already > MAX_FILES_PER_UPDATE:
        return _("Attach at most %(n)s files to an update.", n=MAX_FILES_PER_UPDATE)
    for upload in uploads:
        suffix = Path(upload.filename).suffix.lower()
        if suffix not in CONTENT_TYPES:
            return _(
                "%(name)s: attach a PDF, a photo (JPEG, PNG), a text, CSV, XLSX or DOCX file.", name=upload.filename
            )
        if len(upload.content) > MAX_EVIDENCE_BYTES:
            return _("%(name)s is larger than %(n)s MB.", name=upload.filename, n=MAX_EVIDENCE_BYTES // (1024 * 1024))
        if not upload.content:
            return _("%(name)s is empty.", name=upload.filename)
    return None


def store(upload: Upload) -> tuple[str, str]:
    """Write the file under a random name; returns (stored name, content type)."""
    suffix = Path(upload.filename).suffix.lower()
    stored = secrets.token_hex(16) + suffix
    folder = directory()
    folder.mkdir(parents=True, exist_ok=True)
    (folder / stored).write_bytes(upload.content)
    return stored, CONTENT_TYPES[suffix]


def path_of(stored_name: str) -> Path | None:
    """The stored file's path, or None when the name is not one this module made or the file is gone."""
    if not stored_name or "/" in stored_name or "\\" in stored_name or stored_name.startswith("."):
        return None
    path = directory() / stored_name
    return path if path.is_file() else None


def clean_name(filename: str) -> str:
    """The file's own name without any folder, at most 200 characters."""
    return Path(filename.replace("\\", "/")).name[-200:] or "evidence"
