"""Finding 2 (issue 21): PDFs with JavaScript hidden in object streams, uploaded through the real mini-program
API, are refused and leave nothing in the store; every material download is an attachment, never sniffed."""

from __future__ import annotations

import io
import logging
import struct
import zlib

import pytest
from pypdf import PdfReader

from tests.api_utils import multipart, signed_in
from tests.test_api import proxy_form
from tests.test_materials import plain_pdf

HIDDEN = b"<< /S /JavaScript /JS (app.alert(document.cookie)) >>"


def pdf_with_object_stream(packed: bytes, stream_keys: bytes) -> bytes:
    """A PDF 1.5 whose catalog opens with object 5, which lives only inside object stream 4 and is listed
    by a cross-reference stream: the way current writers save, and what viewers run."""
    objects = {
        1: b"<< /Type /Catalog /Pages 2 0 R /OpenAction 5 0 R >>",
        2: b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        3: b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>",
        4: b"<< /Type /ObjStm /N 1 /First 4 " + stream_keys + b" /Length %d >>\nstream\n" % len(packed) + packed + b"\nendstream",
    }
    out = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"
    offsets = {}
    for number, body in objects.items():
        offsets[number] = len(out)
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    offsets[6] = len(out)
    rows = [struct.pack(">BIH", 0, 0, 65535)]
    rows += [struct.pack(">BIH", 1, offsets[n], 0) for n in (1, 2, 3, 4)]
    rows.append(struct.pack(">BIH", 2, 4, 0))  # object 5: in object stream 4, first entry
    rows.append(struct.pack(">BIH", 1, offsets[6], 0))
    table = b"".join(rows)
    out += b"6 0 obj\n<< /Type /XRef /Size 7 /W [1 4 2] /Root 1 0 R /Length %d >>\nstream\n" % len(table)
    out += table + b"\nendstream\nendobj\nstartxref\n%d\n%%%%EOF\n" % offsets[6]
    return out


ATTACKS = {
    # A stray key containing "obj" after /Filter: a byte scan that finds the dictionary by its last "obj"
    # misses the filter and never inflates the stream.
    "stray-obj-key": pdf_with_object_stream(zlib.compress(b"5 0 " + HIDDEN), b"/Filter /FlateDecode /Xobj 1"),
    # Compressed twice: inflating once leaves compressed bytes that hide the action.
    "double-flate": pdf_with_object_stream(
        zlib.compress(zlib.compress(b"5 0 " + HIDDEN)), b"/Filter [/FlateDecode /FlateDecode]"
    ),
}


def test_the_attack_pdfs_are_real_pdfs_that_open_with_javascript():
    for data in ATTACKS.values():
        action = PdfReader(io.BytesIO(data)).trailer["/Root"]["/OpenAction"].get_object()
        assert action["/S"] == "/JavaScript" and "document.cookie" in action["/JS"]
        assert b"JavaScript" not in data  # nothing to see in the raw bytes


@pytest.mark.parametrize("name", list(ATTACKS))
async def test_hidden_javascript_is_refused_through_the_api_and_nothing_is_stored(server, wechat_api, services, caplog, name):
    caplog.set_level(logging.INFO, logger="bot.miniprogram.materials")
    alice = await signed_in(server, wechat_api, "o_wxa_pdf")
    number = (await alice.book(proxy_form(services))).json["number"]
    body, ctype = multipart({"material": "申请表"}, {"file": ("申请表.pdf", ATTACKS[name], "application/pdf")})
    reply = await alice.call("POST", f"/api/v1/bookings/{number}/materials", raw=body, headers={"Content-Type": ctype})
    assert reply.status == 400 and reply.error["code"] == "file_type" and "活动内容" in reply.error["message"]
    assert await services.store.material_files.count_documents({}) == 0
    assert await services.store.material_chunks.count_documents({}) == 0
    assert "pdf refused: active" in caplog.text


async def test_every_material_download_is_an_attachment_never_sniffed(server, wechat_api, services):
    alice = await signed_in(server, wechat_api, "o_wxa_dl")
    number = (await alice.book(proxy_form(services))).json["number"]
    path = f"/api/v1/bookings/{number}/materials"
    body, ctype = multipart({"material": "申请表"}, {"file": ("申请表.pdf", plain_pdf(), "application/pdf")})
    up = await alice.call("POST", path, raw=body, headers={"Content-Type": ctype})
    assert up.status == 201, up.body
    got = await alice.call("GET", f"{path}/{up.json['id']}")
    assert got.status == 200 and got.headers["Content-Type"] == "application/pdf"
    assert got.headers["Content-Disposition"].startswith("attachment;") and "%E7%94%B3" in got.headers["Content-Disposition"]
    assert got.headers["X-Content-Type-Options"] == "nosniff" and "sandbox" in got.headers["Content-Security-Policy"]
