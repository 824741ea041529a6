"""Login, token refresh, logout, the user's profile, phone binding and proxy binding."""

from __future__ import annotations

from bot.bookings.invites import InviteError
from bot.miniprogram.accounts import REFRESH_GRACE, AccountError
from bot.miniprogram.avatars import AVATAR_MAX_BYTES
from bot.miniprogram.content import SCENE_PROFILE, ContentRejected, keep_verdict
from bot.miniprogram.materials import MaterialError
from bot.miniprogram.subscribe import resident_template_ids
from handlers.api.base import ApiError, MiniProgramHandler, Operation
from handlers.api.models import (
    LoginRequest,
    PhoneRequest,
    Profile,
    ProfileUpdate,
    ProxyRequest,
    RefreshRequest,
    SubscriptionRequest,
    Subscriptions,
    Tokens,
)


class LoginHandler(MiniProgramHandler):
    operations = {
        "post": Operation(
            "Log in",
            description="Exchange a wx.login() code (jscode2session) for an access token, a refresh token and the "
            "profile. In the dev sandbox the code `dev:<name>` is always the same user.",
            auth="public",
            body=LoginRequest,
            example={"code": "dev:zhang"},
            response=Tokens,
            errors=(400, 403, 429, 503),
        )
    }

    async def post(self) -> None:
        body = self.body(LoginRequest)
        try:
            tokens = await self.api.accounts.login(body.code)
            identity = await self.api.accounts.authenticate(tokens["access_token"])
        except AccountError as exc:
            raise self.domain_error(exc) from None
        self.respond(Tokens, {**tokens, "user": await self.api.accounts.profile(identity)})


class RefreshHandler(MiniProgramHandler):
    operations = {
        "post": Operation(
            "Refresh the tokens",
            description="Exchange a refresh token for new tokens. The old refresh token is replaced; for "
            f"{int(REFRESH_GRACE.total_seconds())} seconds it still returns the same new pair (several requests of a "
            "page that expired together may all refresh), after that using it again revokes the session. "
            "401 `refresh_invalid`: log in again.",
            auth="public",
            body=RefreshRequest,
            example={"refresh_token": "Yk3n0Qd8Lw2xZr5T.c2VjcmV0LXJlZnJlc2gtdG9rZW4tZXhhbXBsZQ"},
            response=Tokens,
            errors=(400, 401),
        )
    }

    async def post(self) -> None:
        body = self.body(RefreshRequest)
        try:
            tokens = await self.api.accounts.refresh(body.refresh_token)
        except AccountError as exc:
            raise self.domain_error(exc) from None
        self.respond(Tokens, tokens)


class LogoutHandler(MiniProgramHandler):
    operations = {
        "post": Operation(
            "Log out", description="This session's access and refresh tokens stop working.", status=204, errors=(401,)
        )
    }

    async def post(self) -> None:
        await self.api.accounts.logout(self.identity)
        self.set_status(204)
        self.clear_header("Content-Type")
        self.finish()


class MeHandler(MiniProgramHandler):
    operations = {
        "get": Operation(
            "The signed-in user",
            description="Role, station, how chat and mini-program accounts are linked, masked phone, nickname, avatar.",
            response=Profile,
        ),
        "patch": Operation(
            "Change nickname or avatar",
            description="Set the optional nickname and avatar URL the user chose (the nickname passes msgSecCheck); "
            "a field left out is unchanged.",
            body=ProfileUpdate,
            example={"nickname": "老张"},
            response=Profile,
            errors=(400, 401),
        ),
    }

    async def get(self) -> None:
        self.respond(Profile, await self.api.accounts.profile(self.identity))

    async def patch(self) -> None:
        body = self.body(ProfileUpdate)
        try:
            review = await self.api.content.check(self.identity.openid, {"nickname": body.nickname or ""}, SCENE_PROFILE)
            await keep_verdict(self.api.accounts.users, {"_id": self.identity.openid}, review)
        except ContentRejected as exc:
            raise self.domain_error(exc) from None
        self.respond(Profile, await self.api.accounts.update_profile(self.identity, body.nickname, body.avatar_url))


class PhoneHandler(MiniProgramHandler):
    operations = {
        "post": Operation(
            "Link the verified phone",
            description="Bind the phone number from the getPhoneNumber button's code (wxa/business/getuserphonenumber); "
            "bookings whose contact phone it is then show in the user's list. In the dev sandbox the code "
            "`dev-phone:<11 digits>` is that number.",
            body=PhoneRequest,
            example={"code": "dev-phone:13912345678"},
            response=Profile,
            errors=(400, 401, 429, 503),
        )
    }

    async def post(self) -> None:
        body = self.body(PhoneRequest)
        try:
            profile = await self.api.accounts.bind_phone(self.identity, body.code)
        except AccountError as exc:
            raise self.domain_error(exc) from None
        self.respond(Profile, profile)


class ProxyBindHandler(MiniProgramHandler):
    operations = {
        "post": Operation(
            "Become a station proxy",
            description="Become a village station's proxy (代办员) with the station's invitation code.",
            body=ProxyRequest,
            example={"invite_code": "YQ7K3M9P2X"},
            response=Profile,
            errors=(400, 401, 409),
        )
    }

    async def post(self) -> None:
        body = self.body(ProxyRequest)
        if self.actor.kind == "proxy":
            raise ApiError(409, "already_proxy", "您已经是服务站代办员了。")
        try:
            await self.api.invites.redeem(self.actor.id, body.invite_code.strip())
        except InviteError as exc:
            raise ApiError(400, "invite_invalid", str(exc), field="invite_code") from None
        self.respond(Profile, await self.api.accounts.profile(await self.api.accounts.reload(self.identity)))


class SubscriptionsHandler(MiniProgramHandler):
    operations = {
        "post": Operation(
            "Record subscribe-message consent",
            description="Record the templates the user accepted in wx.requestSubscribeMessage outside the booking form "
            "(say on the booking's page, to hear about it again). Each acceptance is one message, as WeChat counts them.",
            body=SubscriptionRequest,
            response=Subscriptions,
            example={"accepted": ["dev-wxa-booking-status"]},
            errors=(400, 401),
        )
    }

    async def post(self) -> None:
        body = self.body(SubscriptionRequest)
        allowed = resident_template_ids(self.config.wxa_subscribe_templates)
        recorded = [t for t in dict.fromkeys(body.accepted) if t in allowed]
        for template_id in recorded:
            await self.api.subscriptions.accept("wxa", self.identity.openid, template_id)
        self.respond(Subscriptions, {"recorded": recorded})


class AvatarUploadHandler(MiniProgramHandler):
    operations = {
        "post": Operation(
            "Upload an avatar",
            description="The image chooseAvatar gave (its wxfile:// path is only on the phone), sent with wx.uploadFile "
            "as form field `file`: JPEG, PNG or WebP up to 2 MB, re-encoded without metadata and made small. The "
            "profile's avatar_url then points at it (GET /api/v1/avatars/{avatar}, no token needed).",
            response=Profile,
            upload=True,
            errors=(400, 401, 413, 415),
        )
    }

    def body_limit(self) -> int:
        return AVATAR_MAX_BYTES + 64 * 1024

    def too_large(self) -> ApiError:
        return ApiError(413, "file_too_large", "头像图片太大了，请不要超过 2 MB。", field="file")

    async def post(self) -> None:
        _fields, file = self.upload()
        try:
            await self.api.avatars.save(self.identity.openid, file["body"], self.avatar_url)
        except MaterialError as exc:
            raise self.domain_error(exc) from None
        self.respond(Profile, await self.api.accounts.profile(self.identity))

    def avatar_url(self, avatar_id: str) -> str:
        return f"{self.config.base_url}/api/v1/avatars/{avatar_id}"


class AvatarHandler(MiniProgramHandler):
    operations = {
        "get": Operation(
            "An avatar image",
            description="An uploaded avatar; its address changes with every upload, so it may be cached for good.",
            auth="public",
            content=("image/jpeg", "image/png"),
            errors=(404,),
        )
    }

    async def get(self, avatar_id: str) -> None:
        found = await self.api.avatars.read(avatar_id)
        if found is None:
            raise ApiError(404, "not_found", "没有找到这张头像。")
        data, content_type = found
        self.set_header("Content-Type", content_type)
        self.set_header("Cache-Control", "public, max-age=31536000, immutable")
        self.finish(data)
