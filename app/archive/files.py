"""Uploaded files: which we accept, how we keep them, where they live on disk.

A file is checked whole before anything is written: its size, its type (decided by us from
the extension, never by the browser) and, for images, that the bytes really are that image.
Accepted files are stored once per content hash under the instance folder —
`attachments/ab/cd/<sha256>` — written to a temporary file and renamed into place, so a
half-written file never has a real name.
"""
import hashlib
import os
import re
import tempfile
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _

from app.core.errors import Refused

# Our content type for every extension we accept. SVG and HTML are refused on purpose:
# a browser runs the scripts inside them.
CONTENT_TYPES = {
    "png": "image/png",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "gif": "image/gif",
    "webp": "image/webp",
    "pdf": "application/pdf",
    "txt": "text/plain",
    "md": "text/markdown",
    "csv": "text/csv",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "odt": "application/vnd.oasis.opendocument.text",
    "ods": "application/vnd.oasis.opendocument.spreadsheet",
    "odp": "application/vnd.oasis.opendocument.presentation",
}
EXTENSIONS = tuple(CONTENT_TYPES)

# Images a browser may show in the page; everything else is downloaded.
INLINE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})

MAX_FILES = 10  # per post
CHUNK = 64 * 1024


def _is_png(head: bytes) -> bool:
    return head.startswith(b"\x89PNG\r\n\x1a\n")


def _is_jpeg(head: bytes) -> bool:
    return head.startswith(b"\xff\xd8\xff")


def _is_gif(head: bytes) -> bool:
    return head[:6] in (b"GIF87a", b"GIF89a")


def _is_webp(head: bytes) -> bool:
    return head[:4] == b"RIFF" and head[8:12] == b"WEBP"


MAGIC = {"image/png": _is_png, "image/jpeg": _is_jpeg, "image/gif": _is_gif, "image/webp": _is_webp}


@dataclass
class Upload:
    """A file that passed every check and may be stored: its stream is still open."""

    filename: str  # cleaned, for display and download
    content_type: str
    size: int
    sha256: str
    stream: object


def limit() -> int:
    return int(current_app.config["CANOE_UPLOAD_MAX_BYTES"])


def human_size(size: int) -> tuple[int | float, str]:
    """(number, unit) with unit "KB" or "MB": 1 KB at least, megabytes to one decimal."""
    if size < 1024 * 1024:
        return max(1, -(-size // 1024)), "KB"
    megabytes = round(size / (1024 * 1024), 1)
    return int(megabytes) if megabytes.is_integer() else megabytes, "MB"


def _visible(ch: str) -> bool:
    """Not a control or format character ("C*"), nor a line or paragraph separator."""
    category = unicodedata.category(ch)
    return category[0] != "C" and category not in ("Zl", "Zp")


def clean_filename(name: str | None) -> str:
    """A name safe to show and to offer as a download name, Hangul and spaces kept.

    Only the last path part counts; control and invisible formatting characters (which can
    make `exe.pdf` look like `fdp.exe`) go; runs of spaces shrink to one; at most 200 chars.
    """
    name = unicodedata.normalize("NFC", name or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if _visible(ch))
    name = " ".join(name.split()).rstrip(" .")
    stem, dot, ext = name.rpartition(".")
    if not dot:
        stem, ext = name, ""
    if len(name) > 200:
        keep = 200 - len(ext) - 1
        name = f"{stem[:keep].rstrip(' .')}.{ext}" if ext and keep > 0 else name[:200]
    return name


def extension(filename: str) -> str:
    _stem, dot, ext = filename.rpartition(".")
    return ext.lower() if dot else ""


def check(storage) -> Upload:
    """Read one uploaded file (a werkzeug FileStorage) through and judge it; writes nothing.

    Refused (field "files") when it is empty, too large, of a type we don't take, or an
    image whose bytes say otherwise. The messages hold the file's name, so they are plain
    strings (escaped in pages), never lazy ones: Flask-Babel's lazy strings count as safe HTML.
    """
    filename = clean_filename(storage.filename)
    shown = filename or _("(no name)")
    content_type = CONTENT_TYPES.get(extension(filename))
    if content_type is None:
        raise Refused(
            _("%(name)s: we don't take this kind of file. Allowed: %(types)s.", name=shown,
               types=", ".join(EXTENSIONS)),
            "files",
        )
    stream = storage.stream
    stream.seek(0)
    head = stream.read(16)
    if content_type in MAGIC and not MAGIC[content_type](head):
        raise Refused(_("%(name)s doesn't look like the image its name says it is.", name=shown), "files")
    digest, size, most = hashlib.sha256(head), len(head), limit()
    while size <= most:
        chunk = stream.read(CHUNK)
        if not chunk:
            break
        digest.update(chunk)
        size += len(chunk)
    if size > most:
        number, unit = human_size(most)
        raise Refused(_("%(name)s is too large: a file may be at most %(size)s %(unit)s.", name=shown,
                         size=number, unit=unit), "files")
    if size == 0:
        raise Refused(_("%(name)s is empty.", name=shown), "files")
    return Upload(filename, content_type, size, digest.hexdigest(), stream)


def check_all(storages) -> list[Upload]:
    """Every chosen file judged before any is kept; an empty file input counts as none."""
    chosen = [s for s in storages or () if s is not None and s.filename]
    if len(chosen) > MAX_FILES:
        raise Refused(_("Attach at most %(num)d files at a time.", num=MAX_FILES), "files")
    return [check(s) for s in chosen]


def root() -> Path:
    configured = current_app.config.get("CANOE_ATTACHMENT_DIR")
    return Path(configured) if configured else Path(current_app.instance_path) / "attachments"


def path_for(sha256: str) -> Path:
    if not re.fullmatch(r"[0-9a-f]{64}", sha256):
        raise ValueError("not a sha256 hex digest")
    return root() / sha256[:2] / sha256[2:4] / sha256


def store(upload: Upload) -> bool:
    """Keep the file's bytes under their hash. Returns False when they were there already."""
    final = path_for(upload.sha256)
    if final.exists():
        return False
    final.parent.mkdir(parents=True, exist_ok=True)
    upload.stream.seek(0)
    handle, temp = tempfile.mkstemp(dir=final.parent, prefix=".incoming-")
    try:
        with os.fdopen(handle, "wb") as out:
            while chunk := upload.stream.read(CHUNK):
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temp, final)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    return True


def discard(sha256: str) -> None:
    """Remove stored bytes we wrote for a change that did not go through."""
    path_for(sha256).unlink(missing_ok=True)
