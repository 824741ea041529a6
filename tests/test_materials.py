"""bot/miniprogram/materials.py: uploaded materials are type-checked from their content, cleaned of metadata,
stored encrypted in chunks, audited on every read and purged after retention."""

from __future__ import annotations

import hashlib
import hmac
import io
import os
import struct
import zlib
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from PIL import Image, PngImagePlugin, features

from bot.miniprogram import materials as materials_module
from bot.miniprogram.materials import CHUNK, MaterialError, MaterialStore
from bot.staff.audit import AuditLog
from bot.store import Store

# Near the real time: mongomock expires TTL-indexed documents (the upload quota's) against the real clock.
T0 = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)


class Clock:
    """Moves one second per call, so uploads have distinct times; `now` can be moved by a test."""

    def __init__(self, now: datetime = T0):
        self.now = now

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now


def booking(number: str = "DB202612020001", status: str = "submitted", **extra) -> dict:
    return {"number": number, "status": status, "item_code": "hukou_transfer", "history": [], **extra}


@pytest.fixture
async def env(config):
    """The store, audit log and settings the `services` fixture has, without building the whole app (seconds per test):
    MaterialStore needs nothing else. One test below uses the real `env` wiring."""
    store = Store.connect(config.mongodb_uri, config.mongodb_db)
    await store.client.drop_database(config.mongodb_db)
    await store.ensure_indexes()
    yield SimpleNamespace(store=store, audit=AuditLog(store.audit), config=config)
    await store.client.drop_database(config.mongodb_db)
    store.close()


@pytest.fixture
async def materials(env):
    return MaterialStore(env.store, env.config.data_key, env.audit, clock=Clock())


async def refused(coro) -> MaterialError:
    with pytest.raises(MaterialError) as caught:
        await coro
    return caught.value


async def stored_counts(env) -> tuple[int, int]:
    return (
        await env.store.material_files.count_documents({}),
        await env.store.material_chunks.count_documents({}),
    )


# ---- test images and PDFs, built in memory ----


def two_colour_photo() -> Image.Image:
    """40x20: left half red, right half blue."""
    image = Image.new("RGB", (40, 20), (255, 0, 0))
    image.paste((0, 0, 255), (20, 0, 40, 20))
    return image


def jpeg_with_gps() -> bytes:
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: the camera was turned; shown rotated 90° clockwise
    exif[0x010F] = "PhoneMaker"
    exif[0x8825] = {1: "N", 2: (27.0, 20.0, 17.0), 3: "E", 4: (103.0, 42.0, 55.0)}  # GPS: the resident's home
    out = io.BytesIO()
    two_colour_photo().save(
        out,
        "JPEG",
        quality=95,
        exif=exif,
        comment=b"SECRETCOMMENT",
        icc_profile=b"SECRETICC" * 20,
        xmp=b"<x:xmpmeta>SECRETXMP</x:xmpmeta>",
    )
    return out.getvalue()


def small_jpeg(size=(16, 16), colour=(10, 120, 200)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, "JPEG")
    return out.getvalue()


def png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def png_claiming(width: int, height: int, idat: bytes = b"") -> bytes:
    """A PNG whose header claims `width` x `height` 8-bit grey pixels."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) + png_chunk(b"IDAT", idat) + png_chunk(b"IEND", b"")


def pdf(*objects: bytes, trailer: bytes = b"<< /Root 1 0 R /Size 4 >>") -> bytes:
    """A PDF as writers make it: numbered objects, a cross-reference table, trailer and startxref."""
    out = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"
    offsets = []
    for i, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f\r\n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n\r\n" % offset for offset in offsets)
    return out + b"trailer\n" + trailer + b"\nstartxref\n%d\n%%%%EOF\n" % xref


def stream(body: bytes, head: bytes = b"") -> bytes:
    return b"<< /Length %d %s >>\nstream\n" % (len(body), head) + body + b"\nendstream"


CATALOG = b"<< /Type /Catalog /Pages 2 0 R >>"
PAGES = b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>"
PAGE = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>"


def plain_pdf(extra: bytes = b"") -> bytes:
    return pdf(
        CATALOG, PAGES, PAGE, stream(zlib.compress(b"BT /F1 12 Tf 72 720 Td (hello) Tj ET"), b"/Filter /FlateDecode"), extra
    )


# ---- images: type from content, metadata stripped ----


async def test_jpeg_loses_exif_gps_and_metadata_and_is_turned_upright(materials):
    view = await materials.save(booking(), "wxa:o_alice", "居民户口簿", "户口本.jpg", jpeg_with_gps())
    assert set(view) == {"id", "material", "filename", "content_type", "size", "uploaded_at"}
    assert view["content_type"] == "image/jpeg" and view["material"] == "居民户口簿" and view["filename"] == "户口本.jpg"

    _, data = await materials.read(view["id"], booking(), "wxa:o_alice")
    assert view["size"] == len(data)
    for secret in (b"PhoneMaker", b"SECRETCOMMENT", b"SECRETICC", b"SECRETXMP", b"Exif\x00\x00", b"ICC_PROFILE"):
        assert secret not in data
    image = Image.open(io.BytesIO(data))
    image.load()
    assert image.format == "JPEG" and not image.getexif()
    assert not {"exif", "comment", "icc_profile", "xmp"} & set(image.info)
    # Orientation 6 applied before the metadata went: upright, the left (red) half is now on top.
    assert image.size == (20, 40)
    red, blue = image.getpixel((10, 8)), image.getpixel((10, 32))
    assert red[0] > 200 and red[2] < 60 and blue[2] > 200 and blue[0] < 60


async def test_png_loses_text_exif_and_icc_and_keeps_its_pixels(materials):
    original = Image.new("RGBA", (12, 8), (0, 128, 255, 255))
    original.putpixel((3, 3), (255, 0, 0, 0))  # a transparent pixel
    info = PngImagePlugin.PngInfo()
    info.add_text("Author", "SECRETAUTHOR")
    info.add_text("Comment", "SECRETZTXT", zip=True)
    info.add_itxt("Location", "SECRETITXT 昭通")
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    out = io.BytesIO()
    original.save(out, "PNG", pnginfo=info, exif=exif, icc_profile=b"SECRETICC" * 20)
    sent = out.getvalue()
    assert b"tEXt" in sent and b"zTXt" in sent and b"iTXt" in sent and b"eXIf" in sent and b"iCCP" in sent

    view = await materials.save(booking(), "wxa:o_alice", "照片", "照片.png", sent)
    assert view["content_type"] == "image/png" and view["filename"] == "照片.png"
    _, data = await materials.read(view["id"], booking(), "wxa:o_alice")
    for chunk_type in (b"tEXt", b"zTXt", b"iTXt", b"eXIf", b"iCCP"):
        assert chunk_type not in data
    image = Image.open(io.BytesIO(data))
    assert not {"Author", "Comment", "Location", "exif", "icc_profile"} & set(image.info)
    assert image.convert("RGBA").tobytes() == original.tobytes()  # lossless: every pixel, alpha included


async def test_palette_png_with_transparency_is_accepted(materials):
    image = Image.new("P", (8, 8), 1)
    image.putpalette([0, 0, 0, 255, 255, 255] + [0] * 762)
    out = io.BytesIO()
    image.save(out, "PNG", transparency=0)
    view = await materials.save(booking(), "wxa:o_alice", "照片", "p.png", out.getvalue())
    _, data = await materials.read(view["id"], booking(), "wxa:o_alice")
    assert Image.open(io.BytesIO(data)).convert("RGB").getpixel((0, 0)) == (255, 255, 255)


@pytest.mark.skipif(not features.check("webp"), reason="Pillow built without WebP")
async def test_webp_is_stored_as_jpeg_with_a_matching_name(materials):
    out = io.BytesIO()
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    Image.new("RGBA", (16, 16), (0, 200, 0, 255)).save(out, "WEBP", exif=exif)
    view = await materials.save(booking(), "wxa:o_alice", "身份证", "身份证.webp", out.getvalue())
    assert view["content_type"] == "image/jpeg" and view["filename"] == "身份证.jpg"
    _, data = await materials.read(view["id"], booking(), "wxa:o_alice")
    assert data[:3] == b"\xff\xd8\xff" and b"PhoneMaker" not in data
    assert Image.open(io.BytesIO(data)).size == (16, 16)


@pytest.mark.parametrize(
    "content",
    [
        b"<!DOCTYPE html><html><script>alert(1)</script></html>",
        b"PK\x03\x04" + b"\x00" * 60,  # a ZIP (or an .apk, .docx ...)
        b"MZ\x90\x00\x03" + b"\x00" * 60 + b"This program cannot be run in DOS mode",  # a Windows .exe
        b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>',
        b"GIF89a\x01\x00\x01\x00\x00\x00\x00;",
        b"\x7fELF\x02\x01\x01" + b"\x00" * 60,
    ],
    ids=["html", "zip", "exe", "svg", "gif", "elf"],
)
async def test_type_comes_from_the_content_not_the_name(materials, env, content):
    error = await refused(materials.save(booking(), "wxa:o_alice", "身份证", "photo.jpg", content))
    assert (error.status, error.code) == (415, "file_type") and "PDF" in error.message
    assert await stored_counts(env) == (0, 0)


async def test_size_limits_and_empty_files(env):
    materials = MaterialStore(env.store, env.config.data_key, env.audit, max_bytes=1000)
    big = await refused(materials.save(booking(), "wxa:o_alice", "照片", "big.pdf", b"%PDF-1.4\n" + b"0" * 1000 + b"%%EOF"))
    assert (big.status, big.code) == (413, "file_too_large") and "KB" in big.message
    empty = await refused(materials.save(booking(), "wxa:o_alice", "照片", "x.jpg", b""))
    assert (empty.status, empty.code) == (400, "file_empty")
    assert await stored_counts(env) == (0, 0)
    assert (
        "10 MB"
        in (
            await refused(MaterialStore(env.store, "k", env.audit).save(booking(), "u", "m", "f", b"0" * (10 * 1024 * 1024 + 1)))
        ).message
    )


async def test_corrupt_images_are_refused(materials, env):
    whole = small_jpeg((64, 64))
    damaged_png = bytearray(png_claiming(4, 4, zlib.compress(b"\x00" * 20)))
    damaged_png[-20] ^= 0xFF  # inside IDAT: the CRC no longer matches
    for data in (
        b"\xff\xd8\xff\xe0" + b"\x00" * 200,
        whole[: len(whole) // 2],
        bytes(damaged_png),
        b"RIFF\x10\x00\x00\x00WEBPVP8 junk",
    ):
        error = await refused(materials.save(booking(), "wxa:o_alice", "照片", "a.jpg", data))
        assert (error.status, error.code) == (400, "file_corrupt")
    assert await stored_counts(env) == (0, 0)


async def test_decompression_bombs_are_refused_without_decoding(materials, monkeypatch, env):
    # A header claiming ten billion pixels: Pillow's own bomb check.
    claimed = await refused(materials.save(booking(), "wxa:o_alice", "照片", "a.png", png_claiming(100_000, 100_000)))
    # A real, valid 64-megapixel PNG of 64 KB (zeros compress 1000:1): over our 40 MP limit.
    rows = zlib.compress(b"\x00" * (8001 * 8000), 9)
    assert len(rows) < 100_000
    bomb = await refused(materials.save(booking(), "wxa:o_alice", "照片", "b.png", png_claiming(8000, 8000, rows)))
    # And the limit itself, on an ordinary photo.
    monkeypatch.setattr(materials_module, "MAX_PIXELS", 100)
    limited = await refused(materials.save(booking(), "wxa:o_alice", "照片", "c.jpg", small_jpeg((20, 20))))
    for error in (claimed, bomb, limited):
        assert (error.status, error.code) == (400, "file_corrupt")
    assert await stored_counts(env) == (0, 0)


# ---- PDFs ----


async def test_plain_pdf_is_stored_as_sent(materials):
    sent = plain_pdf()
    view = await materials.save(booking(), "wxa:o_alice", "申请表", "申请表.PDF", sent)
    assert view["content_type"] == "application/pdf" and view["filename"] == "申请表.PDF" and view["size"] == len(sent)
    assert (await materials.read(view["id"], booking(), "wxa:o_alice"))[1] == sent


@pytest.mark.parametrize(
    "active",
    [
        plain_pdf(b"<< /S /JavaScript /JS (app.alert(1)) >>"),
        plain_pdf(b"<< /S /J#61vaScript /J#53 (app.alert(1)) >>"),  # names spelled with #xx escapes
        plain_pdf(b"<< /Type /Action /S /Launch /F (cmd.exe) >>"),
        plain_pdf(b"<< /Type /EmbeddedFile /Length 3 >>\nstream\nabc\nendstream"),
        plain_pdf(b"<< /Names << /EmbeddedFiles 9 0 R >> >>"),
        plain_pdf(b"<< /JS 7 0 R >>"),
        # Hidden inside a compressed object stream, invisible to a scan of the raw bytes.
        plain_pdf(
            stream(
                zlib.compress(b"9 0 << /S /JavaScript /JS (app.alert(1)) >>"), b"/Type /ObjStm /N 1 /First 4 /Filter /FlateDecode"
            )
        ),
        # The same with its zlib checksum broken: what decodes before the damage is still scanned.
        plain_pdf(
            stream(
                zlib.compress(b"9 0 << /S /JavaScript /JS (app.alert(1)) >>")[:-4] + b"\x00\x00\x00\x00",
                b"/Type /ObjStm /N 1 /First 4 /Filter /FlateDecode",
            )
        ),
    ],
    ids=[
        "javascript",
        "escaped-names",
        "launch",
        "embedded-file",
        "embedded-files-tree",
        "js-key",
        "object-stream",
        "bad-checksum",
    ],
)
async def test_pdf_with_active_content_is_refused(materials, env, active):
    error = await refused(materials.save(booking(), "wxa:o_alice", "申请表", "申请表.pdf", active))
    assert (error.status, error.code) == (400, "file_type") and "活动内容" in error.message
    assert await stored_counts(env) == (0, 0)


async def test_pdf_that_cannot_be_checked_is_refused(materials):
    truncated = plain_pdf()[:-7]
    encrypted = pdf(CATALOG, PAGES, trailer=b"<< /Root 1 0 R /Encrypt 5 0 R >>")
    unterminated = pdf(CATALOG, b"<< /Length 10 >>\nstream\n0123456789")
    # An object stream under a filter other than Flate is decoded all the same, and what it hides is found.
    hidden = b"9 0 << /S /JavaScript /JS (app.alert(1)) >>".hex().encode() + b">"
    hex_objects = plain_pdf(stream(hidden, b"/Type /ObjStm /N 1 /First 4 /Filter /ASCIIHexDecode"))
    assert (await refused(materials.save(booking(), "u", "m", "a.pdf", truncated))).code == "file_corrupt"
    assert (await refused(materials.save(booking(), "u", "m", "a.pdf", unterminated))).code == "file_corrupt"
    locked = await refused(materials.save(booking(), "u", "m", "a.pdf", encrypted))
    assert (locked.status, locked.code) == (400, "file_type") and "加密" in locked.message
    hex_refused = await refused(materials.save(booking(), "u", "m", "a.pdf", hex_objects))
    assert hex_refused.code == "file_type" and "活动内容" in hex_refused.message


async def test_scanned_pdf_with_chance_js_bytes_in_its_image_is_accepted(materials):
    # A scan is mostly JPEG data, effectively random bytes: "/JS" turns up by chance in one in three 5 MB files.
    noise = os.urandom(2000) + b"\x12/JS\x00\x99/JSq" + os.urandom(2000)
    image = stream(noise, b"/Type /XObject /Subtype /Image /Width 10 /Height 10 /Filter /DCTDecode")
    flate_image = stream(zlib.compress(b"\x01/JS \x02" * 50), b"/Subtype /Image /Width 10 /Height 10 /Filter /FlateDecode")
    view = await materials.save(booking(), "u", "户口簿", "scan.pdf", plain_pdf(image + b"\nendobj\n6 0 obj\n" + flate_image))
    assert view["content_type"] == "application/pdf"


# ---- encryption at rest ----


async def test_chunks_are_encrypted_bound_to_their_file_and_read_back_exactly(materials, env):
    marker = b"SECRET-MARKER-0123456789"
    body = (marker + os.urandom(1000)) * 600  # about 600 KB: three chunks
    sent = plain_pdf(stream(body, b"/Subtype /Image /Width 1 /Height 1 /Filter /DCTDecode"))
    view = await materials.save(booking(), "wxa:o_alice", "申请表", "a.pdf", sent)

    chunks = [c async for c in env.store.material_chunks.find({"file_id": view["id"]}).sort("n", 1)]
    assert [c["n"] for c in chunks] == [0, 1, 2] and len(sent) > 2 * CHUNK
    for chunk in chunks:
        raw = bytes(chunk["data"])
        assert marker not in raw and sent[100:164] not in raw and sent[CHUNK + 100 : CHUNK + 164] not in raw
    async for doc in env.store.material_files.find({}):
        assert marker not in repr(doc).encode()

    # The key is derived from BOT_DATA_KEY as documented, and each chunk is nonce + AES-256-GCM ciphertext.
    root = hashlib.sha256(env.config.data_key.encode()).digest()
    key = hmac.new(root, b"material-files", hashlib.sha256).digest()
    first = bytes(chunks[0]["data"])
    aad = f"material:v1:{booking()['number']}:{view['id']}:0".encode()
    assert AESGCM(key).decrypt(first[:12], first[12:], aad) == sent[:CHUNK]

    meta, data = await materials.read(view["id"], booking(), "wxa:o_alice")
    assert data == sent and meta == view
    stored = await env.store.material_files.find_one({"_id": view["id"]})
    assert stored["sha256"] == hashlib.sha256(sent).hexdigest() and stored["uploaded_by"] == "wxa:o_alice"
    assert stored["purge_after"] is None and stored["booking"] == booking()["number"]


async def test_swapped_tampered_or_missing_chunks_never_decrypt(materials, env):
    chunks = env.store.material_chunks
    a = await materials.save(booking(), "u", "m", "a.pdf", plain_pdf(b"(first)"))
    b = await materials.save(booking(), "u", "m", "b.pdf", plain_pdf(b"(second)"))
    a_chunk = await chunks.find_one({"file_id": a["id"], "n": 0})
    b_chunk = await chunks.find_one({"file_id": b["id"], "n": 0})

    await chunks.update_one({"_id": a_chunk["_id"]}, {"$set": {"data": b_chunk["data"]}})  # swapped between files
    swapped = await refused(materials.read(a["id"], booking(), "u"))
    tampered_data = bytearray(b_chunk["data"])
    tampered_data[20] ^= 0x01
    await chunks.update_one({"_id": b_chunk["_id"]}, {"$set": {"data": bytes(tampered_data)}})
    tampered = await refused(materials.read(b["id"], booking(), "u"))
    for error in (swapped, tampered):
        assert (error.status, error.code) == (500, "file_damaged")

    c = await materials.save(booking(), "u", "m", "c.pdf", plain_pdf(b"(third)"))
    await chunks.delete_many({"file_id": c["id"]})
    assert (await refused(materials.read(c["id"], booking(), "u"))).code == "file_damaged"

    # Metadata moved to another booking: the chunks are bound to the booking they were uploaded for.
    d = await materials.save(booking(), "u", "m", "d.pdf", plain_pdf(b"(fourth)"))
    other = booking("DB202612020002")
    await env.store.material_files.update_one({"_id": d["id"]}, {"$set": {"booking": other["number"]}})
    assert (await refused(materials.read(d["id"], other, "u"))).code == "file_damaged"

    assert await env.store.audit.count_documents({"action": "material.read"}) == 0  # nothing was read


# ---- reads, access, lists, deletes ----


async def test_every_read_is_audited(materials, env):
    view = await materials.save(booking(), "wxa:o_alice", "居民户口簿", "a.jpg", small_jpeg())
    first = await materials.read(view["id"], booking(), "wxa:o_alice")
    second = await materials.read(view["id"], booking(), "staff:liming")
    assert first == second
    entries = [e async for e in env.store.audit.find({"action": "material.read"}).sort("at", 1)]
    assert [e["actor"] for e in entries] == ["wxa:o_alice", "staff:liming"]
    for entry in entries:
        assert entry["target"] == "booking:DB202612020001"
        assert entry["detail"] == {"file": view["id"], "material": "居民户口簿"}


async def test_file_of_another_booking_is_not_found(materials):
    view = await materials.save(booking(), "wxa:o_alice", "照片", "a.jpg", small_jpeg())
    other = booking("DB202612020002")
    for file_id in (view["id"], "no-such-file-id", {"$ne": None}, None, "x" * 300):
        error = await refused(materials.read(file_id, other, "wxa:o_bob"))
        assert (error.status, error.code) == (404, "not_found")
    assert (await refused(materials.read("no-such-file-id", booking(), "wxa:o_alice"))).code == "not_found"
    assert (await refused(materials.delete(view["id"], other, "wxa:o_bob"))).code == "not_found"
    assert len(await materials.list_for(booking()["number"])) == 1


async def test_list_is_oldest_first_and_delete_removes_everything(materials, env):
    ids = [(await materials.save(booking(), "u", f"材料{i}", f"{i}.jpg", small_jpeg(colour=(i, 0, 0))))["id"] for i in range(3)]
    await materials.save(booking("DB202612020002"), "u", "别人的", "x.jpg", small_jpeg())
    listed = await materials.list_for(booking()["number"])
    assert [m["id"] for m in listed] == ids and [m["material"] for m in listed] == ["材料0", "材料1", "材料2"]
    assert all(set(m) == {"id", "material", "filename", "content_type", "size", "uploaded_at"} for m in listed)

    await materials.delete(ids[1], booking(), "wxa:o_alice")
    assert [m["id"] for m in await materials.list_for(booking()["number"])] == [ids[0], ids[2]]
    assert await env.store.material_chunks.count_documents({"file_id": ids[1]}) == 0
    entry = await env.store.audit.find_one({"action": "material.delete"})
    assert entry["actor"] == "wxa:o_alice" and entry["detail"] == {"file": ids[1], "material": "材料1"}


async def test_closed_bookings_take_no_uploads_or_deletes(materials, env):
    view = await materials.save(booking(), "u", "照片", "a.jpg", small_jpeg())
    for status in ("completed", "cancelled", "rejected"):
        closed = booking(status=status)
        upload = await refused(materials.save(closed, "u", "照片", "b.jpg", small_jpeg()))
        delete = await refused(materials.delete(view["id"], closed, "u"))
        assert (upload.status, upload.code) == (delete.status, delete.code) == (409, "booking_closed")
    assert await stored_counts(env) == (1, 1)
    for status in ("accepted", "assigned", "in_progress"):
        await materials.save(booking(status=status), "u", "照片", "c.jpg", small_jpeg())


async def test_too_many_files(env):
    materials = MaterialStore(env.store, env.config.data_key, env.audit, max_files=2)
    first = await materials.save(booking(), "u", "照片", "1.jpg", small_jpeg())
    await materials.save(booking(), "u", "照片", "2.jpg", small_jpeg())
    error = await refused(materials.save(booking(), "u", "照片", "3.jpg", small_jpeg()))
    assert (error.status, error.code) == (409, "too_many_files") and "2" in error.message
    await materials.save(booking("DB202612020002"), "u", "照片", "1.jpg", small_jpeg())  # per booking
    await materials.delete(first["id"], booking(), "u")
    await materials.save(booking(), "u", "照片", "3.jpg", small_jpeg())


async def test_names_are_cleaned_for_display(materials):
    async def name(filename: str, data: bytes = None) -> str:
        return (await materials.save(booking(), "u", "居民户口簿", filename, data or small_jpeg()))["filename"]

    assert await name("C:\\fakepath\\户口本.jpg") == "户口本.jpg"
    assert await name("../../etc/passwd") == "passwd.jpg"
    assert await name("户口\u202egpj.exe") == "户口gpj.jpg"  # the right-to-left override is gone
    assert await name("a\r\nContent-Type: x.JPEG") == "a Content-Type: x.JPEG"
    assert await name("") == "居民户口簿.jpg"
    assert await name("扫描.jpg", plain_pdf()) == "扫描.pdf"
    long = await name("长" * 300 + ".jpg")
    assert len(long) == 100 and long.endswith(".jpg")
    saved = await materials.save(booking(), "u", "  材料\n" + "很" * 100, "a.jpg", small_jpeg())
    assert saved["material"] == ("材料 " + "很" * 100)[:60]
    missing = await refused(materials.save(booking(), "u", " \n ", "a.jpg", small_jpeg()))
    assert (missing.status, missing.code) == (400, "material_missing")


# ---- retention ----


async def test_closed_bookings_files_are_purged_after_retention(materials, env):
    closed_at = T0 + timedelta(days=1)
    done = booking("DB202612020001", status="completed", completed_at=closed_at)
    cancelled = booking("DB202612020002", status="cancelled", history=[{"status": "cancelled", "at": closed_at}])
    still_open = booking("DB202612020003")
    for b in (done, done, cancelled, still_open):
        await materials.save({**b, "status": "submitted"}, "u", "照片", "a.jpg", small_jpeg())
    assert await env.store.material_chunks.count_documents({}) == 4

    assert await materials.mark_closed(still_open) == 0
    assert await materials.mark_closed(done) == 2
    assert await materials.mark_closed(cancelled) == 1
    assert await materials.mark_closed(done) == 0  # the clock is started once
    async for meta in env.store.material_files.find({"booking": {"$ne": still_open["number"]}}):
        assert meta["purge_after"] == closed_at + timedelta(days=180)

    materials.clock.now = closed_at + timedelta(days=179)
    assert await materials.purge_expired() == 0
    materials.clock.now = closed_at + timedelta(days=181)
    assert await materials.purge_expired() == 3
    left = [m async for m in env.store.material_files.find({})]
    assert [m["booking"] for m in left] == [still_open["number"]]
    assert await env.store.material_chunks.count_documents({}) == 1
    assert await env.store.material_chunks.count_documents({"file_id": left[0]["_id"]}) == 1
    purges = [e async for e in env.store.audit.find({"action": "material.purge"})]
    assert sorted(e["target"] for e in purges) == ["booking:DB202612020001", "booking:DB202612020002"]
    assert all(e["actor"] == "system" for e in purges)
    assert {e["target"]: e["detail"]["count"] for e in purges} == {"booking:DB202612020001": 2, "booking:DB202612020002": 1}
    assert await materials.purge_expired() == 0


async def test_closing_time_defaults_to_now(materials, env):
    await materials.save(booking(), "u", "照片", "a.jpg", small_jpeg())
    assert await materials.mark_closed(booking(status="rejected")) == 1
    meta = await env.store.material_files.find_one({})
    assert meta["purge_after"] == materials.clock.now + timedelta(days=180)


# ---- nothing half-written ----


class FailingCollection:
    """A collection whose `method` raises (after `before` has run, for a failure in the middle)."""

    def __init__(self, inner, method: str, before=None):
        self.inner, self.method, self.before = inner, method, before

    def __getattr__(self, name):
        if name != self.method:
            return getattr(self.inner, name)

        async def fail(documents, *args, **kwargs):
            if self.before:
                await self.before(documents)
            raise RuntimeError("disk full")

        return fail


async def test_failure_while_writing_metadata_leaves_no_chunks(materials, env):
    materials.files = FailingCollection(materials.files, "insert_one")
    with pytest.raises(RuntimeError):
        await materials.save(booking(), "u", "照片", "a.jpg", small_jpeg())
    assert await stored_counts(env) == (0, 0)


async def test_failure_midway_through_the_chunks_leaves_none(materials, env):
    real = materials.chunks
    materials.chunks = FailingCollection(real, "insert_many", before=lambda docs: real.insert_one(docs[0]))
    body = os.urandom(3 * CHUNK)
    with pytest.raises(RuntimeError):
        await materials.save(booking(), "u", "申请表", "a.pdf", plain_pdf(stream(body, b"/Subtype /Image /Filter /DCTDecode")))
    assert await stored_counts(env) == (0, 0)


# ---- as the app wires it ----


async def test_the_apps_material_store_round_trip(services):
    materials = services.miniprogram.materials
    assert isinstance(materials, MaterialStore)
    view = await materials.save(booking(), "wxa:o_alice", "居民户口簿", "户口本.jpg", jpeg_with_gps())
    meta, data = await materials.read(view["id"], booking(), "staff:liming")
    assert meta == view and b"PhoneMaker" not in data
    assert await services.audit.recent(actor="staff:liming") and (await services.audit.recent())[0]["action"] == "material.read"
