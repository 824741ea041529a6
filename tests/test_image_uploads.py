"""Finding 7 (issue 21): small files, large memory. Through the real mini-program API: a PNG claiming 6300x6300
is refused before decoding, decodes run at most two at a time, big JPEGs decode at a reduced scale, uploads are
counted per user per day and per booking (deleting does not give an upload back), and the booking and the
caller's rights are checked before the body is read."""

from __future__ import annotations

import asyncio
import io
import socket
import struct
import threading
import zlib

from PIL import Image

from bot.miniprogram import materials as materials_module
from tests.api_utils import multipart, signed_in
from tests.test_api import proxy_form


def png_claiming(width: int, height: int) -> bytes:
    """A valid grey PNG of width x height zero pixels: compresses to a few hundred KB, decodes to width*height bytes."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    raw = zlib.compressobj(9)
    row = b"\x00" * (width + 1)
    idat = b"".join(raw.compress(row) for _ in range(height)) + raw.flush()
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


async def upload(user, number: str, filename: str, data: bytes, ctype: str = "image/png"):
    body, content_type = multipart({"material": "照片"}, {"file": (filename, data, ctype)})
    return await user.call("POST", f"/api/v1/bookings/{number}/materials", raw=body, headers={"Content-Type": content_type})


async def booked(server, wechat_api, services, openid: str):
    user = await signed_in(server, wechat_api, openid)
    number = (await user.book(proxy_form(services))).json["number"]
    return user, number


async def test_a_small_png_claiming_40_megapixels_is_refused_before_decoding(server, wechat_api, services, monkeypatch):
    bomb = png_claiming(6300, 6300)
    assert len(bomb) < 200_000
    decoded = []
    original = Image.Image.load

    def load(self):  # the real decoder, watched: no pixel of the bomb may be decoded
        decoded.append(self.size)
        return original(self)

    monkeypatch.setattr(Image.Image, "load", load)
    user, number = await booked(server, wechat_api, services, "o_wxa_bomb")
    replies = await asyncio.gather(*(upload(user, number, f"b{i}.png", bomb) for i in range(3)))
    assert [r.status for r in replies] == [400] * 3
    assert all(r.error["message"] == materials_module.MESSAGES["image_too_large"] for r in replies)
    assert (6300, 6300) not in decoded
    assert await services.store.material_files.count_documents({}) == 0
    assert await services.store.material_chunks.count_documents({}) == 0


async def test_decodes_run_at_most_two_at_a_time(server, wechat_api, services, monkeypatch):
    running, peak, lock = [0], [0], threading.Lock()
    original = materials_module.clean_image

    def watched(data, kind):
        with lock:
            running[0] += 1
            peak[0] = max(peak[0], running[0])
        try:
            threading.Event().wait(0.2)  # hold the slot long enough for the others to queue behind it
            return original(data, kind)
        finally:
            with lock:
                running[0] -= 1

    monkeypatch.setattr(materials_module, "clean_image", watched)
    photo = io.BytesIO()
    Image.new("RGB", (400, 300), (20, 120, 200)).save(photo, "JPEG")
    users = [await booked(server, wechat_api, services, f"o_wxa_par_{i}") for i in range(5)]
    replies = await asyncio.gather(*(upload(u, n, "p.jpg", photo.getvalue(), "image/jpeg") for u, n in users))
    assert [r.status for r in replies] == [201] * 5
    assert peak[0] == materials_module.DECODE_SLOTS == 2


async def test_a_big_jpeg_is_decoded_and_stored_at_a_reduced_scale(server, wechat_api, services):
    photo = io.BytesIO()
    Image.new("L", (6400, 4800), 200).save(photo, "JPEG", quality=60)  # 30.7 MP: over the 20 MP limit at full scale
    user, number = await booked(server, wechat_api, services, "o_wxa_big")
    reply = await upload(user, number, "big.jpg", photo.getvalue(), "image/jpeg")
    assert reply.status == 201, reply.body
    got = await user.call("GET", f"/api/v1/bookings/{number}/materials/{reply.json['id']}")
    stored = Image.open(io.BytesIO(got.body))
    assert stored.size == (3200, 2400)


async def test_uploads_are_counted_per_user_per_day(server, wechat_api, services):
    services.miniprogram.materials.quota.daily_per_user = 3
    user, number = await booked(server, wechat_api, services, "o_wxa_quota")
    photo = io.BytesIO()
    Image.new("RGB", (40, 30), (1, 2, 3)).save(photo, "PNG")
    statuses = [(await upload(user, number, f"{i}.png", photo.getvalue())).status for i in range(4)]
    assert statuses == [201, 201, 201, 429]
    counters = [d async for d in services.store.material_quota.find({})]
    assert {d["_id"].split(":")[0] for d in counters} == {"user", "booking"}


async def test_deleting_and_uploading_again_does_not_get_round_the_booking_cap(server, wechat_api, services):
    store = services.miniprogram.materials
    store.max_files, store.quota.per_booking = 2, 4
    user, number = await booked(server, wechat_api, services, "o_wxa_cycle")
    photo = io.BytesIO()
    Image.new("RGB", (40, 30), (1, 2, 3)).save(photo, "PNG")
    for i in range(4):
        reply = await upload(user, number, f"{i}.png", photo.getvalue())
        assert reply.status == 201
        assert (await user.call("DELETE", f"/api/v1/bookings/{number}/materials/{reply.json['id']}")).status == 204
    refused = await upload(user, number, "again.png", photo.getvalue())
    assert refused.status == 409 and refused.error["code"] == "too_many_files"
    assert await services.store.material_files.count_documents({"booking": number}) == 0


def send_head_only(url: str, path: str, token: str, length: int) -> bytes:
    """Send the headers of a large upload and 16 bytes of its body, then wait for the answer."""
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as conn:
        head = (
            f"POST {path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\n"
            f"Content-Type: multipart/form-data; boundary=x\r\nContent-Length: {length}\r\n\r\n"
        )
        conn.sendall(head.encode() + b"--x\r\n" + b"\x00" * 11)
        answer = b""
        while b"\r\n\r\n" not in answer:
            piece = conn.recv(4096)
            if not piece:
                break
            answer += piece
        return answer


async def test_the_booking_and_rights_are_checked_before_the_body_is_read(server, wechat_api, services):
    alice, number = await booked(server, wechat_api, services, "o_wxa_owner")
    mallory = await signed_in(server, wechat_api, "o_wxa_mallory")
    path = f"/api/v1/bookings/{number}/materials"
    answer = await asyncio.to_thread(send_head_only, server.url, path, mallory.tokens["access_token"], 9_000_000)
    assert answer.startswith(b"HTTP/1.1 404")  # answered with 9 MB still unsent
    services.miniprogram.materials.quota.daily_per_user = 0
    answer = await asyncio.to_thread(send_head_only, server.url, path, alice.tokens["access_token"], 9_000_000)
    assert answer.startswith(b"HTTP/1.1 429")
