"""Materials (申请材料) uploaded for a booking: photos or PDFs sent with wx.uploadFile (multipart/form-data,
field `file`, form field `material`). Checked, re-encoded and encrypted by bot/miniprogram/materials.py;
every read is audited there. Whoever may see the booking may see and add its materials."""

from __future__ import annotations

from bot.miniprogram.materials import MaterialError
from handlers.api.base import ApiError, Operation
from handlers.api.bookings import BookingHandlerBase
from handlers.api.models import Material, MaterialList
from handlers.api.openapi_examples import MATERIAL_LINKS

MULTIPART_OVERHEAD = 64 * 1024
MATERIAL_MAX = 60
DOWNLOAD_TYPES = ("image/jpeg", "image/png", "application/pdf")


class MaterialsHandler(BookingHandlerBase):
    """Its body alone may exceed the JSON limit: up to MATERIALS_MAX_MB of file (streamed by the base class)."""

    operations = {
        "get": Operation(
            "A booking's materials",
            description="The files uploaded for a booking, oldest first.",
            response=MaterialList,
            errors=(401, 404),
        ),
        "post": Operation(
            "Upload a material",
            description="Upload one file (JPEG, PNG, WebP or PDF) with wx.uploadFile: form field `file`, and "
            "`material`, which required material it is (at most 60 characters). The type is read from the content; "
            "images are re-encoded without metadata; everything is stored encrypted. Over MATERIALS_MAX_MB: 413 "
            "`file_too_large`, refused from Content-Length before the file is read.",
            response=Material,
            status=201,
            upload=True,
            upload_fields={"material": {"type": "string", "minLength": 1, "maxLength": MATERIAL_MAX}},
            errors=(400, 401, 404, 409, 413, 415),
            response_headers={"Location": ({"type": "string"}, "the new file, …/materials/{file_id}")},
            links=MATERIAL_LINKS,
        ),
    }

    def body_limit(self) -> int:
        return self.api.materials.max_bytes + MULTIPART_OVERHEAD if self.request.method == "POST" else super().body_limit()

    async def prepare(self) -> None:
        await super().prepare()
        if self.request.method == "POST" and self.identity is not None:
            # The booking, the caller's right to it and the upload quotas, before a byte of the body is read.
            booking = await self.booking(*self.path_args)
            try:
                await self.api.materials.admit(booking, f"wxa:{self.identity.openid}")
            except Exception as exc:  # noqa: BLE001 - domain errors become API errors, anything else re-raised
                raise self.domain_error(exc) from None

    def too_large(self) -> ApiError:
        return ApiError(413, "file_too_large", f"文件太大了，请不要超过 {self.api.config.materials_max_mb} MB。")

    async def get(self, number: str) -> None:
        booking = await self.booking(number)
        self.respond(MaterialList, {"materials": await self.api.materials.list_for(booking["number"])})

    async def post(self, number: str) -> None:
        booking = await self.booking(number)
        material, filename, data = self.material_upload()
        try:
            saved = await self.api.materials.save(booking, f"wxa:{self.identity.openid}", material, filename, data)
        except MaterialError as exc:
            raise self.domain_error(exc) from None
        self.set_header("Location", f"/api/v1/bookings/{booking['number']}/materials/{saved['id']}")
        self.respond(Material, saved, status=201)

    def material_upload(self) -> tuple[str, str, bytes]:
        """(material, filename, bytes) of the upload, or a 400 saying what is wrong with it."""
        fields, file = self.upload()
        material = (fields.get("material") or [b""])[0].decode("utf-8", "replace").strip()
        if not material:
            raise ApiError(400, "material_missing", "请说明这是哪一项材料。", field="material")
        if len(material) > MATERIAL_MAX:
            raise ApiError(400, "invalid_field", f"材料名称太长了，请不要超过 {MATERIAL_MAX} 个字。", field="material")
        return material, file.get("filename", "")[:100], file["body"]


class MaterialHandler(BookingHandlerBase):
    operations = {
        "get": Operation(
            "Download a material",
            description="The file's bytes as stored (images re-encoded: JPEG or PNG; or PDF). Every read is audited.",
            content=DOWNLOAD_TYPES,
            errors=(401, 404),
        ),
        "delete": Operation(
            "Remove a material",
            description="Remove a file while the booking is open (afterwards 409 `booking_closed`).",
            status=204,
            errors=(401, 404, 409),
        ),
    }

    async def get(self, number: str, file_id: str) -> None:
        booking = await self.booking(number)
        try:
            meta, data = await self.api.materials.read(file_id, booking, f"wxa:{self.identity.openid}")
        except MaterialError as exc:
            raise self.domain_error(exc) from None
        self.send_file(data, meta["content_type"], meta["filename"])

    async def delete(self, number: str, file_id: str) -> None:
        booking = await self.booking(number)
        try:
            await self.api.materials.delete(file_id, booking, f"wxa:{self.identity.openid}")
        except MaterialError as exc:
            raise self.domain_error(exc) from None
        self.set_status(204)
        self.clear_header("Content-Type")
        self.finish()
