"""Staff accounts, sessions and login throttling on their own (the console tests cover them through the browser)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.staff.accounts import StaffAccounts, StaffError
from bot.staff.sessions import SessionStore, WeakSecret, check_secret
from bot.staff.throttle import LoginThrottle, ThrottlePolicy
from tests.utils import FakeClock


async def test_a_session_ends_after_inactivity_and_when_the_password_changes(services):
    clock = FakeClock()
    accounts = services.console.accounts
    sessions = SessionStore(services.store.staff_sessions, idle_minutes=30, clock=clock)
    account = await accounts.create("liming", "agent", "A long passphrase 1", must_change=False, created_by="test")
    token = await sessions.start(account, "127.0.0.1")
    clock.now += timedelta(minutes=29)
    assert await sessions.resume(token, accounts)  # activity moves the expiry on
    clock.now += timedelta(minutes=29)
    assert await sessions.resume(token, accounts)
    clock.now += timedelta(minutes=31)
    assert await sessions.resume(token, accounts) is None
    token = await sessions.start(await accounts.get("liming"), "127.0.0.1")
    await accounts.change_password("liming", "A long passphrase 1", "Another long one 2")
    assert await sessions.resume(token, accounts) is None
    assert await sessions.resume("forged", accounts) is None


async def test_passwords_are_argon2_hashes_with_a_minimum_length(services):
    accounts: StaffAccounts = services.console.accounts
    with pytest.raises(StaffError):
        await accounts.create("wang", "agent", "short", must_change=False, created_by="test")
    account = await accounts.create("wang", "agent", "Long enough pw 3", must_change=False, created_by="test")
    assert account["password_hash"].startswith("$argon2id$") and "Long enough pw 3" not in account["password_hash"]
    assert await accounts.authenticate("WANG", "Long enough pw 3")
    assert await accounts.authenticate("wang", "wrong") is None
    assert await accounts.authenticate("nobody", "Long enough pw 3") is None


async def test_throttle_waits_then_locks_and_a_success_clears_the_account(services):
    clock = FakeClock()
    throttle = LoginThrottle(
        services.store.login_throttle, ThrottlePolicy(free_failures=2, delay_seconds=10, lock_after=4), clock
    )
    assert (await throttle.failed("li", "10.0.0.1")).allowed
    second = await throttle.failed("li", "10.0.0.1")
    assert not second.allowed and second.wait_seconds == 10
    clock.now += timedelta(seconds=10)
    assert (await throttle.check("li", "10.0.0.1")).allowed
    await throttle.failed("li", "10.0.0.1")
    clock.now += timedelta(seconds=20)
    assert (await throttle.failed("li", "10.0.0.2")).locked
    clock.now += timedelta(minutes=5)
    assert (await throttle.check("li", "10.0.0.3")).locked  # a lock holds from any address
    assert [lock["name"] for lock in await throttle.locks()] == ["li"]
    assert await throttle.lift("account:li")
    assert (await throttle.check("li", "10.0.0.3")).allowed


def test_production_refuses_a_dev_secret():
    with pytest.raises(WeakSecret):
        check_secret("production", "test-cookie-secret")
    check_secret("dev", "test-cookie-secret")
