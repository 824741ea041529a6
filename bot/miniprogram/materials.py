"""Materials (申请材料) uploaded for a booking from the mini-program: photos and PDFs of required documents.

- The type is read from the content (magic bytes), never from the name: JPEG, PNG, WebP or PDF.
- Images are decoded (with a pixel limit against decompression bombs), turned upright by their EXIF
  orientation and re-encoded from the bare pixels (JPEG, or PNG for PNG), which drops EXIF, GPS, XMP, ICC,
  comments, text chunks and any extra frames.
- PDFs with active content (JavaScript, actions, embedded files, XFA, rich media) are refused after a full
  parse that decodes every stream and walks every object (bot/miniprogram/pdfcheck.py); an encrypted PDF,
  which cannot be checked, is refused.
- Bytes are stored encrypted in `material_chunks` (255 KiB chunks like GridFS, AES-256-GCM under a key derived
  from BOT_DATA_KEY, each chunk bound to its booking, file id and position); `material_files` holds the
  metadata, written last so that a file is never half-visible.
- Authorization is the caller's (it passes the booking the reader may see); every read is written to the
  audit log.
- When the booking closes its files get a purge date (closing time + retention); `purge_expired` deletes them.

Decoding, re-encoding and scanning run in a worker thread: a 40-megapixel photo must not stall the event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import io
import logging
import os
import re
import secrets
import unicodedata
from datetime import UTC, datetime, timedelta

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from PIL import Image, ImageOps

from bot.bookings.service import OPEN_STATUSES
from bot.miniprogram import pdfcheck
from bot.miniprogram.quota import DAILY_PER_USER, LIFETIME_PER_BOOKING_FACTOR, QuotaExceeded, UploadQuota

log = logging.getLogger(__name__)

CHUNK = 255 * 1024
# Decoded size limit, checked from the header before any pixel is decoded (a small PNG can claim 6300x6300
# and take 600 MB to decode). Pillow's own check (MAX_IMAGE_PIXELS, about 89 MP) is left alone: it is
# process-wide. A JPEG is decoded at a reduced scale (`draft`: 1/2, 1/4 or 1/8 straight from the DCT)
# whenever it is larger than DECODE_PIXELS, so big phone photos cost little; a JPEG may claim up to
# JPEG_MAX_PIXELS as long as its reduced decode fits MAX_PIXELS.
MAX_PIXELS = 20_000_000
DECODE_PIXELS = 12_000_000
JPEG_MAX_PIXELS = 160_000_000
# Images and PDFs decoded at once per process (each may take a few hundred MB at the limits).
DECODE_SLOTS = 2
MATERIAL_MAX = 60
FILENAME_MAX = 100
FILE_ID = re.compile(r"^[A-Za-z0-9_-]{8,40}$")

IMAGE_FORMATS = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WEBP"}
EXTENSIONS = {
    "image/jpeg": (".jpg", ".jpeg"),
    "image/png": (".png",),
    "application/pdf": (".pdf",),
    "audio/amr": (".amr",),
    "audio/mpeg": (".mp3",),
    "video/mp4": (".mp4",),
}

MESSAGES = {
    "booking_closed": "这个预约已经结束，不能再上传或删除材料。",
    "file_empty": "文件是空的，请重新选择。",
    "material_missing": "请说明这是哪一项材料。",
    "file_type": "只能上传照片（JPG、PNG、WebP）或 PDF 文件。",
    "file_corrupt": "图片打不开，可能已损坏，请重新拍照上传。",
    "image_too_large": "图片尺寸太大了，请缩小后再上传。",
    "pdf_corrupt": "PDF 文件不完整，请重新导出后上传。",
    "pdf_active": "这个 PDF 含有脚本、附件等活动内容，不能上传。请另存为普通 PDF 或拍照上传。",
    "pdf_encrypted": "这个 PDF 设置了加密保护，无法检查。请去掉密码后重新导出，或拍照上传。",
    "pdf_complex": "这个 PDF 内容太多，无法检查。请重新导出或拍照上传。",
    "not_found": "没有找到这个文件。",
    "file_damaged": "这个文件已损坏，无法打开，请重新上传。",
}


class MaterialError(Exception):
    """`status` is HTTP-like, `code` stable for programs, `message` short Chinese for the resident."""

    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message

    def __repr__(self) -> str:
        return f"MaterialError({self.status}, {self.code!r}, {self.message!r})"


# ---- content checks (pure functions, run in a worker thread) ----


def sniff(data: bytes) -> str | None:
    """The content type the bytes really are (from their magic bytes), or None."""
    if data[:3] == b"\xff\xd8\xff":
        return "image/jpeg"
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return "image/png"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if data[:5] == b"%PDF-":
        return "application/pdf"
    return None


def sniff_media(data: bytes) -> str | None:
    """Voice and video as WeChat's media/get returns them (AMR voice, MP3, MP4 video), from their magic bytes."""
    if data[:6] == b"#!AMR\n":
        return "audio/amr"
    if data[:3] == b"ID3" or data[:2] in (b"\xff\xfb", b"\xff\xf3", b"\xff\xf2"):
        return "audio/mpeg"
    if data[4:8] == b"ftyp":
        return "video/mp4"
    return None


def _bare(image: Image.Image, target: str) -> Image.Image:
    """The pixels alone in a mode `target` ("JPEG" or "PNG") can store: a new image, so no `info` (EXIF,
    ICC, comments, text) is carried over; transparency is laid on white for JPEG."""
    alpha = image.mode in ("RGBA", "LA", "PA", "La", "RGBa") or (image.mode == "P" and "transparency" in image.info)
    if target == "PNG":
        if image.mode not in ("1", "L", "LA", "RGB", "RGBA", "I;16"):
            image = image.convert("RGBA" if alpha else "RGB")
    elif alpha:
        rgba = image.convert("RGBA")
        flat = Image.new("RGB", rgba.size, (255, 255, 255))
        flat.paste(rgba, mask=rgba.getchannel("A"))
        image = flat
    elif image.mode not in ("L", "RGB"):
        image = image.convert("RGB")
    return Image.frombytes(image.mode, image.size, image.tobytes())


def clean_image(data: bytes, kind: str) -> tuple[bytes, str]:
    """Decode, check, turn upright and re-encode an image without its metadata: (bytes, content type)."""
    fmt = IMAGE_FORMATS[kind]
    too_large = MaterialError(400, "file_corrupt", MESSAGES["image_too_large"])
    try:
        with Image.open(io.BytesIO(data), formats=[fmt]) as probe:
            if probe.width * probe.height > (JPEG_MAX_PIXELS if fmt == "JPEG" else MAX_PIXELS):
                raise too_large
            probe.verify()
        with Image.open(io.BytesIO(data), formats=[fmt]) as image:
            if fmt == "JPEG" and image.width * image.height > DECODE_PIXELS:
                scale = 1
                while scale < 8 and image.width * image.height > DECODE_PIXELS * scale * scale:
                    scale *= 2
                image.draft(image.mode, (-(-image.width // scale), -(-image.height // scale)))
            if image.width * image.height > MAX_PIXELS:
                raise too_large
            image.load()
            upright = ImageOps.exif_transpose(image)
            target = "PNG" if kind == "image/png" else "JPEG"
            bare = _bare(upright, target)
        out = io.BytesIO()
        if target == "PNG":
            bare.save(out, "PNG")
            return out.getvalue(), "image/png"
        bare.save(out, "JPEG", quality=90)
        return out.getvalue(), "image/jpeg"
    except MaterialError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise MaterialError(400, "file_corrupt", MESSAGES["image_too_large"]) from None
    except (OSError, ValueError, SyntaxError, TypeError, KeyError, IndexError, EOFError, MemoryError):
        # Pillow reports damaged data with any of these, depending on the format and where it breaks.
        raise MaterialError(400, "file_corrupt", MESSAGES["file_corrupt"]) from None


def check_pdf(data: bytes) -> None:
    """Refuse a PDF that is damaged, encrypted, too complex to check or carries active content."""
    try:
        pdfcheck.check_pdf(data)
    except pdfcheck.PdfRefused as exc:
        log.info("pdf refused: %s", exc)
        code = "file_corrupt" if exc.reason == "corrupt" else "file_type"
        raise MaterialError(400, code, MESSAGES[f"pdf_{exc.reason}"]) from None


# ---- display text ----


def _clean_text(value: str, limit: int) -> str:
    """Control and format characters (newlines, RTL overrides that turn "gpj.exe" around) removed,
    whitespace collapsed, cut to `limit`."""
    kept = "".join(
        " " if ch.isspace() else ch for ch in (value or "") if ch.isspace() or unicodedata.category(ch) not in ("Cc", "Cf")
    )
    return " ".join(kept.split())[:limit]


def display_name(filename: str, material: str, kind: str) -> str:
    """The name shown for a file: the sender's name without any folder, with an extension that matches
    what is stored (a WebP photo is stored as JPEG)."""
    name = re.split(r"[/\\]", filename or "")[-1]
    name = _clean_text(name, 200).strip(" .") or material or "材料"
    stem, dot, ext = name.rpartition(".")
    good = EXTENSIONS.get(kind, ())
    if dot and ("." + ext.lower()) in good:
        stem, suffix = stem, "." + ext
    else:
        stem, suffix = (stem if dot and 0 < len(ext) <= 5 else name), good[0] if good else ""
    return stem[: FILENAME_MAX - len(suffix)] + suffix


def _size_label(size: int) -> str:
    return f"{size / (1024 * 1024):g} MB" if size >= 1024 * 1024 else f"{max(1, size // 1024)} KB"


def _bson_time(at: datetime) -> datetime:
    """MongoDB keeps milliseconds: the view `save` returns must equal what `list_for` and `read` return."""
    return at.replace(microsecond=at.microsecond // 1000 * 1000)


def public(meta: dict) -> dict:
    return {
        "id": meta["_id"],
        "material": meta["material"],
        "filename": meta["filename"],
        "content_type": meta["content_type"],
        "size": meta["size"],
        "uploaded_at": meta["uploaded_at"],
    }


def _closed_at(booking: dict) -> datetime | None:
    """When the booking reached its closing status: completed_at, else the history entry of that status."""
    at = booking.get("completed_at") if booking.get("status") == "completed" else None
    if at is None:
        for entry in reversed(booking.get("history") or []):
            if isinstance(entry, dict) and entry.get("status") == booking.get("status"):
                at = entry.get("at")
                break
    if not isinstance(at, datetime):
        return None
    return at if at.tzinfo else at.replace(tzinfo=UTC)


class MaterialStore:
    def __init__(
        self,
        store,
        data_key: str,
        audit,
        *,
        max_bytes: int = 10 * 1024 * 1024,
        max_files: int = 20,
        daily_per_user: int = DAILY_PER_USER,
        retention_days: int = 180,
        clock=lambda: datetime.now(UTC),
    ):
        if not data_key:
            raise ValueError("BOT_DATA_KEY is empty")
        self.files = store.material_files
        self.chunks = store.material_chunks
        self.audit = audit
        root = hashlib.sha256(data_key.encode()).digest()
        self._aead = AESGCM(hmac.new(root, b"material-files", hashlib.sha256).digest())
        self.max_bytes = max_bytes
        self.max_files = max_files
        self.retention_days = retention_days
        self.clock = clock
        self.quota = UploadQuota(
            store.material_quota, daily_per_user=daily_per_user, per_booking=max_files * LIFETIME_PER_BOOKING_FACTOR, clock=clock
        )
        self.decode_slots = asyncio.Semaphore(DECODE_SLOTS)

    # ---- write ----

    async def admit(self, booking: dict, uploader: str) -> None:
        """May this user upload to this booking now? Asked before the body is read; counts nothing."""
        if booking.get("status") not in OPEN_STATUSES:
            raise MaterialError(409, "booking_closed", MESSAGES["booking_closed"])
        if await self.files.count_documents({"booking": booking["number"]}) >= self.max_files:
            raise MaterialError(409, "too_many_files", f"每个预约最多上传 {self.max_files} 个文件，请先删除不需要的。")
        try:
            await self.quota.check(uploader, booking["number"])
        except QuotaExceeded as exc:
            raise MaterialError(exc.status, exc.code, exc.message) from None

    async def save(self, booking: dict, uploader: str, material: str, filename: str, data: bytes) -> dict:
        number = booking["number"]
        if booking.get("status") not in OPEN_STATUSES:
            raise MaterialError(409, "booking_closed", MESSAGES["booking_closed"])
        if not data:
            raise MaterialError(400, "file_empty", MESSAGES["file_empty"])
        if len(data) > self.max_bytes:
            raise MaterialError(413, "file_too_large", f"文件太大了，请不要超过 {_size_label(self.max_bytes)}。")
        material = _clean_text(material, MATERIAL_MAX)
        if not material:
            raise MaterialError(400, "material_missing", MESSAGES["material_missing"])
        if await self.files.count_documents({"booking": number}) >= self.max_files:
            raise MaterialError(409, "too_many_files", f"每个预约最多上传 {self.max_files} 个文件，请先删除不需要的。")
        kind = sniff(data)
        if kind is None:
            raise MaterialError(415, "file_type", MESSAGES["file_type"])
        try:
            await self.quota.take(uploader, number)
        except QuotaExceeded as exc:
            raise MaterialError(exc.status, exc.code, exc.message) from None
        async with self.decode_slots:  # at most DECODE_SLOTS decodes in memory at once
            if kind == "application/pdf":
                await asyncio.to_thread(check_pdf, data)
            else:
                data, kind = await asyncio.to_thread(clean_image, data, kind)
        return await self._write(number, uploader, material, filename, kind, data)

    async def save_media(self, owner: dict, uploader: str, material: str, filename: str, data: bytes) -> dict:
        """Voice or video a resident sent on WeChat (bot/handoff/media.py), kept as sent: only AMR, MP3 and MP4,
        recognised by their bytes; sealed and stored like every material."""
        if not data:
            raise MaterialError(400, "file_empty", MESSAGES["file_empty"])
        if len(data) > self.max_bytes:
            raise MaterialError(413, "file_too_large", f"文件太大了，请不要超过 {_size_label(self.max_bytes)}。")
        kind = sniff_media(data)
        if kind is None:
            raise MaterialError(415, "file_type", "不是能保存的语音或视频格式。")
        return await self._write(owner["number"], uploader, _clean_text(material, MATERIAL_MAX), filename, kind, data)

    async def _write(self, number: str, uploader: str, material: str, filename: str, kind: str, data: bytes) -> dict:
        file_id = secrets.token_urlsafe(12)
        meta = {
            "_id": file_id,
            "booking": number,
            "material": material,
            "filename": display_name(filename, material, kind),
            "content_type": kind,
            "size": len(data),
            "sha256": hashlib.sha256(data).hexdigest(),
            "uploaded_by": uploader,
            "uploaded_at": _bson_time(self.clock()),
            "purge_after": None,
        }
        chunks = [
            {"file_id": file_id, "n": n, "data": self._seal(number, file_id, n, data[start : start + CHUNK])}
            for n, start in enumerate(range(0, len(data), CHUNK))
        ]
        try:  # chunks first, metadata last: until the metadata is in, nothing refers to the chunks
            await self.chunks.insert_many(chunks, ordered=True)
            await self.files.insert_one(meta)
        except BaseException:
            with contextlib.suppress(Exception):  # the original error is the one to report
                await self.files.delete_one({"_id": file_id})
                await self.chunks.delete_many({"file_id": file_id})
            raise
        return public(meta)

    @staticmethod
    def _aad(number: str, file_id: str, n: int) -> bytes:
        return f"material:v1:{number}:{file_id}:{n}".encode()

    def _seal(self, number: str, file_id: str, n: int, piece: bytes) -> bytes:
        nonce = os.urandom(12)
        return nonce + self._aead.encrypt(nonce, piece, self._aad(number, file_id, n))

    def _open(self, number: str, file_id: str, n: int, sealed: bytes) -> bytes:
        try:
            return self._aead.decrypt(sealed[:12], sealed[12:], self._aad(number, file_id, n))
        except InvalidTag:
            log.error("material %s of booking %s: chunk %d failed authentication", file_id, number, n)
            raise MaterialError(500, "file_damaged", MESSAGES["file_damaged"]) from None

    # ---- read ----

    async def list_for(self, booking_number: str) -> list[dict]:
        """Public views of a booking's files, oldest first."""
        cursor = self.files.find({"booking": booking_number}).sort([("uploaded_at", 1), ("_id", 1)])
        return [public(meta) async for meta in cursor]

    async def _meta(self, file_id, booking: dict) -> dict:
        meta = None
        if isinstance(file_id, str) and FILE_ID.match(file_id):
            meta = await self.files.find_one({"_id": file_id, "booking": booking["number"]})
        if meta is None:
            raise MaterialError(404, "not_found", MESSAGES["not_found"])
        return meta

    async def read(self, file_id: str, booking: dict, reader: str) -> tuple[dict, bytes]:
        """The file (public view, bytes) if it belongs to `booking`; every read is audited."""
        meta = await self._meta(file_id, booking)
        number = meta["booking"]
        pieces = [p async for p in self.chunks.find({"file_id": file_id}).sort("n", 1)]
        if [p["n"] for p in pieces] != list(range(len(pieces))):
            log.error("material %s of booking %s: chunks missing", file_id, number)
            raise MaterialError(500, "file_damaged", MESSAGES["file_damaged"])
        data = b"".join(self._open(number, file_id, p["n"], bytes(p["data"])) for p in pieces)
        if len(data) != meta["size"] or not hmac.compare_digest(hashlib.sha256(data).hexdigest(), meta["sha256"]):
            log.error("material %s of booking %s: content does not match its checksum", file_id, number)
            raise MaterialError(500, "file_damaged", MESSAGES["file_damaged"])
        await self.audit.record(
            reader, "material.read", f"booking:{number}", detail={"file": file_id, "material": meta["material"]}
        )
        return public(meta), data

    # ---- delete and retention ----

    async def delete(self, file_id: str, booking: dict, actor: str) -> None:
        """Remove a file while its booking is open (afterwards the retention rules apply); audited."""
        if booking.get("status") not in OPEN_STATUSES:
            raise MaterialError(409, "booking_closed", MESSAGES["booking_closed"])
        meta = await self._meta(file_id, booking)
        await self.files.delete_one({"_id": file_id})  # metadata first: the file disappears at once
        await self.chunks.delete_many({"file_id": file_id})
        await self.audit.record(
            actor, "material.delete", f"booking:{meta['booking']}", detail={"file": file_id, "material": meta["material"]}
        )

    async def purge_later(self, file_id: str) -> None:
        """Start a file's retention clock now (a chat's files: no booking closes them)."""
        after = self.clock() + timedelta(days=self.retention_days)
        await self.files.update_one({"_id": file_id, "purge_after": None}, {"$set": {"purge_after": after}})

    async def mark_closed(self, booking: dict) -> int:
        """Start the retention clock of a closed booking's files (from when it closed); returns how many
        files got a purge date. An open booking is left alone (0)."""
        if booking.get("status") in OPEN_STATUSES:
            return 0
        closed = _closed_at(booking) or self.clock()
        done = await self.files.update_many(
            {"booking": booking["number"], "purge_after": None},
            {"$set": {"purge_after": closed + timedelta(days=self.retention_days)}},
        )
        return done.modified_count

    async def purge_expired(self) -> int:
        """Delete the files past their purge date; one "material.purge" audit entry per booking."""
        now = self.clock()
        by_booking: dict[str, list[str]] = {}
        expired = [m async for m in self.files.find({"purge_after": {"$ne": None, "$lte": now}}, {"booking": 1})]
        for meta in expired:
            # Chunks first: if this stops halfway the metadata is still there and the next sweep finishes.
            await self.chunks.delete_many({"file_id": meta["_id"]})
            await self.files.delete_one({"_id": meta["_id"]})
            by_booking.setdefault(meta["booking"], []).append(meta["_id"])
        for number, ids in by_booking.items():
            await self.audit.record("system", "material.purge", f"booking:{number}", detail={"files": ids, "count": len(ids)})
        return sum(len(ids) for ids in by_booking.values())
