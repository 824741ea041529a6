"""Login, token refresh, logout, the user's profile, phone binding and proxy binding."""

from __future__ import annotations

from bot.bookings.invites import InviteError
from bot.miniprogram.accounts import AccountError
from bot.miniprogram.content import SCENE_PROFILE, ContentRejected, keep_verdict
from handlers.api.base import ApiError, MiniProgramHandler, Operation
from handlers.api.models import LoginRequest, PhoneRequest, Profile, ProfileUpdate, ProxyRequest, RefreshRequest, Tokens


class LoginHandler(MiniProgramHandler):
    operations = {
        "post": Operation(
            "Log in with a wx.login() code (jscode2session); returns an access token and a refresh token",
            auth="public",
            body=LoginRequest,
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
            "Exchange a refresh token for new tokens (the old refresh token stops working; using it again revokes the session)",
            auth="public",
            body=RefreshRequest,
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
    operations = {"post": Operation("Log out: this session's access and refresh tokens stop working", status=204, errors=(401,))}

    async def post(self) -> None:
        await self.api.accounts.logout(self.identity)
        self.set_status(204)
        self.clear_header("Content-Type")
        self.finish()


class MeHandler(MiniProgramHandler):
    operations = {
        "get": Operation("The signed-in user: role, station, how accounts are linked, masked phone", response=Profile),
        "patch": Operation(
            "Set the optional nickname and avatar the user typed (checked by msgSecCheck)",
            body=ProfileUpdate,
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
            "Bind the phone number from the getPhoneNumber button's code (wxa/business/getuserphonenumber); "
            "bookings whose contact phone it is then show in the user's list",
            body=PhoneRequest,
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
            "Become a village station's proxy (代办员) with the station's invitation code",
            body=ProxyRequest,
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
