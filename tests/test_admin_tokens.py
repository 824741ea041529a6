"""Finding 8 (issue 21): the admin API's token has an identity. Personal tokens made and revoked on the console act
as their account; the shared BOT_ADMIN_TOKEN must name an enabled account and creates only the first one; an
account an admin makes for someone else must change its password at first login."""

from __future__ import annotations

import dataclasses
import re

import pytest

from tests.console_utils import PASSWORD, make_staff
from tests.staff_http import StaffBrowser
from tests.test_bookings import admin, book_home_visit_for_mother

SHARED = {"Authorization": "Bearer " + "s" * 48}


@pytest.fixture
def config(config):
    """Production-like: a real shared token, not the dev default."""
    return dataclasses.replace(config, admin_token="s" * 48)


def bearer(token: str) -> dict:
    return {"Authorization": "Bearer " + token}


async def test_the_shared_token_must_name_an_enabled_account(server, services):
    _resident, number = await book_home_visit_for_mother(server, "o_shared")
    await make_staff(services, "wangfang")
    await make_staff(services, "gone")
    await services.console.accounts.update("gone", disabled=True)
    for who in ("不存在的人", "gone", ""):
        code, body = await admin(server, f"bookings/{number}?staff={who}", token=SHARED)
        assert code in (400, 403), (who, code, body)
    assert await services.store.audit.count_documents({"action": "view_contact"}) == 0
    code, _ = await admin(server, f"bookings/{number}?staff=WangFang", token=SHARED)
    assert code == 200
    entry = await services.store.audit.find_one({"action": "view_contact"})
    assert entry["actor"] == "staff:wangfang" and entry["via"] == "shared-token"


async def create_token_on_console(server, services, for_user: str) -> tuple[StaffBrowser, str]:
    await make_staff(services, "root", "admin")
    root = StaffBrowser(server)
    await root.login("root")
    page = await root.post("/console/staff", {"action": "token_create", "username": for_user, "label": "夜间脚本"})
    assert page.code == 200
    raw = re.search(r'class="new-token">([^<]+)<', page.body.decode()).group(1)
    return root, raw


async def test_a_personal_token_acts_as_its_account_until_revoked(server, services):
    _resident, number = await book_home_visit_for_mother(server, "o_personal")
    await make_staff(services, "liming")
    root, raw = await create_token_on_console(server, services, "liming")
    assert raw not in str([d async for d in services.store.staff_tokens.find({})])  # only its hash is kept
    code, _ = await admin(server, f"bookings/{number}?staff=不存在的人", token=bearer(raw))
    assert code == 200
    entry = await services.store.audit.find_one({"action": "view_contact"})
    token = await services.store.staff_tokens.find_one({})
    assert entry["actor"] == "staff:liming" and entry["via"] == f"token:{token['_id']}"
    created = await services.store.audit.find_one({"action": "token_create"})
    assert created["actor"] == "staff:root" and created["target"] == "staff:liming"
    audit_page = (await root.get("/console/audit")).body.decode()
    assert f"API 令牌 {token['_id']}" in audit_page  # supervisors see which token acted

    revoked = await root.post("/console/staff", {"action": "token_revoke", "token_id": token["_id"]})
    assert revoked.code == 302
    assert (await admin(server, f"bookings/{number}?staff=liming", token=bearer(raw)))[0] == 401
    # Disabling the account ends its tokens too.
    _root, second = await create_token_on_console_again(server, root, "liming")
    await services.console.accounts.update("liming", disabled=True)
    assert (await admin(server, f"bookings/{number}", token=bearer(second)))[0] == 401


async def create_token_on_console_again(server, root: StaffBrowser, for_user: str):
    page = await root.post("/console/staff", {"action": "token_create", "username": for_user, "label": "备用"})
    return root, re.search(r'class="new-token">([^<]+)<', page.body.decode()).group(1)


async def test_accounts_are_created_through_the_api_only_by_an_admin_or_as_the_very_first(server, services):
    first = {"username": "operator", "role": "admin", "password": PASSWORD}
    code, body = await admin(server, "staff", first, token=SHARED)
    assert code == 201 and body["must_change"] is False  # the operator signs in with the password they chose
    operator = StaffBrowser(server)
    assert (await operator.login("operator", PASSWORD)).headers["Location"] == "/console/"

    second = {"username": "intruder", "role": "admin", "password": PASSWORD}
    assert (await admin(server, "staff", second, token=SHARED))[0] == 403
    await make_staff(services, "agent1")
    _root, agent_token = await create_token_on_console(server, services, "agent1")
    assert (await admin(server, "staff", second, token=bearer(agent_token)))[0] == 403
    assert await services.console.accounts.get("intruder") is None

    _root, admin_token = await create_token_on_console_again(server, _root, "root")
    made = {"username": "newbie", "role": "supervisor", "password": PASSWORD, "must_change": False}
    code, body = await admin(server, "staff", made, token=bearer(admin_token))
    assert code == 201 and body["must_change"] is True
    entry = await services.store.audit.find_one({"action": "staff_create", "target": "staff:newbie"})
    assert entry["actor"] == "staff:root" and entry["via"].startswith("token:")
    newbie = StaffBrowser(server)
    assert (await newbie.login("newbie", PASSWORD)).headers["Location"] == "/console/password"
