"""Materials (申请材料) uploaded for a booking: photos or PDFs sent with wx.uploadFile (multipart/form-data,
field `file`, form field `material`). Checked, re-encoded and encrypted by bot/miniprogram/materials.py;
every read is audited there. Whoever may see the booking may see and add its materials."""

from __future__ import annotations

from tornado import httputil, web

from handlers.api.base import ApiError, Operation
from handlers.api.bookings import BookingHandlerBase
from handlers.api.models import Material, MaterialList

MULTIPART_OVERHEAD = 64 * 1024


@web.stream_request_body
class MaterialsHandler(BookingHandlerBase):
    """Streams the upload so that it alone may exceed the server's 1 MB body limit, up to MATERIALS_MAX_MB."""

    operations = {
        "get": Operation("The materials uploaded for a booking", response=MaterialList, errors=(401, 404)),
        "post": Operation(
            "Upload one material (JPEG, PNG or PDF; the type is read from the content, images are re-encoded "
            "without metadata, everything is stored encrypted)",
            response=Material,
            status=201,
            upload=True,
            errors=(400, 401, 404, 409, 413, 415),
        ),
    }

    async def prepare(self) -> None:
        self._chunks: list[bytes] = []
        self._size = 0
        self._limit = self.api.materials.max_bytes + MULTIPART_OVERHEAD
        if self.request.method == "POST":
            self.request.connection.set_max_body_size(self._limit)
        await super().prepare()
        if self.request.method == "POST" and self.identity is not None:
            # The booking, the caller's right to it and the upload quotas, before a byte of the body is read.
            booking = await self.booking(*self.path_args)
            try:
                await self.api.materials.admit(booking, f"wxa:{self.identity.openid}")
            except Exception as exc:  # noqa: BLE001 - domain errors become API errors, anything else re-raised
                raise self.domain_error(exc) from None

    def data_received(self, chunk: bytes) -> None:
        self._size += len(chunk)
        if self._size > self._limit:
            raise ApiError(413, "file_too_large", f"文件太大了，请不要超过 {self.api.config.materials_max_mb} MB。")
        self._chunks.append(chunk)

    async def get(self, number: str) -> None:
        booking = await self.booking(number)
        self.respond(MaterialList, {"materials": await self.api.materials.list_for(booking["number"])})

    async def post(self, number: str) -> None:
        booking = await self.booking(number)
        fields: dict = {}
        uploads: dict = {}
        content_type = self.request.headers.get("Content-Type", "")
        if not content_type.startswith("multipart/form-data"):
            raise ApiError(400, "file_missing", "请用表单上传文件（multipart/form-data）。", field="file")
        httputil.parse_body_arguments(content_type, b"".join(self._chunks), fields, uploads)
        files = uploads.get("file") or []
        if len(files) != 1:
            raise ApiError(400, "file_missing", "请选择一个文件上传。", field="file")
        raw_material = (fields.get("material") or [b""])[0]
        material = raw_material.decode("utf-8", "replace").strip()[:60]
        if not material:
            raise ApiError(400, "invalid_field", "请说明这是哪一项材料。", field="material")
        upload = files[0]
        try:
            saved = await self.api.materials.save(
                booking, f"wxa:{self.identity.openid}", material, upload.get("filename", "")[:100], upload["body"]
            )
        except Exception as exc:  # noqa: BLE001 - domain errors become API errors, anything else re-raised
            raise self.domain_error(exc) from None
        self.respond(Material, saved, status=201)


class MaterialHandler(BookingHandlerBase):
    operations = {
        "get": Operation("Download one material (audited)", content="application/octet-stream", errors=(401, 404)),
        "delete": Operation("Remove a material while the booking is open", status=204, errors=(401, 404, 409)),
    }

    async def get(self, number: str, file_id: str) -> None:
        booking = await self.booking(number)
        try:
            meta, data = await self.api.materials.read(file_id, booking, f"wxa:{self.identity.openid}")
        except Exception as exc:  # noqa: BLE001
            raise self.domain_error(exc) from None
        self.send_file(data, meta["content_type"], meta["filename"])

    async def delete(self, number: str, file_id: str) -> None:
        booking = await self.booking(number)
        try:
            await self.api.materials.delete(file_id, booking, f"wxa:{self.identity.openid}")
        except Exception as exc:  # noqa: BLE001
            raise self.domain_error(exc) from None
        self.set_status(204)
        self.clear_header("Content-Type")
        self.finish()
