"""Every setting of the service, read from the environment (and an optional .env file) in one place.

The names and defaults are a contract (see DESIGN.md): `make run` starts with nothing set.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

log = logging.getLogger(__name__)

DEV_PLACEHOLDER = "dev-placeholder"
DEV_ADMIN_TOKEN = "dev-admin-token"
WECHAT_API_DEFAULT = "https://api.weixin.qq.com/"
DEFAULT_DATA_DIR = "var"
IN_MEMORY = ":memory:"

# Notification templates: logical template -> {"id": the platform's template id, "fields": {keyword: logical field}}.
# Logical fields a notification carries: number, item, status, time, note, date, due (README, notifications).
# The dev defaults imitate templates from WeChat's library so the template paths run against the sandbox;
# production starts with none and skips a channel until its templates are configured.
_STATUS_FIELDS = {"character_string1": "number", "thing2": "item", "phrase3": "status", "time4": "time", "thing5": "note"}
_REMINDER_FIELDS = {"character_string1": "number", "thing2": "item", "time3": "date", "thing4": "note"}
_RATING_FIELDS = {"character_string1": "number", "thing2": "item", "thing3": "note"}
_ALERT_FIELDS = {"character_string1": "number", "thing2": "item", "time3": "due", "phrase4": "status"}
_CHAT_REPLY_FIELDS = {"thing1": "note", "time2": "time"}


def _dev_templates(prefix: str) -> dict:
    return {
        "booking_status": {"id": f"{prefix}-booking-status", "fields": dict(_STATUS_FIELDS)},
        "visit_reminder": {"id": f"{prefix}-visit-reminder", "fields": dict(_REMINDER_FIELDS)},
        "rating_request": {"id": f"{prefix}-rating-request", "fields": dict(_RATING_FIELDS)},
        "staff_alert": {"id": f"{prefix}-staff-alert", "fields": dict(_ALERT_FIELDS)},
        "chat_reply": {"id": f"{prefix}-chat-reply", "fields": dict(_CHAT_REPLY_FIELDS)},
    }


def _dev_sms_templates() -> dict:
    plain = {"number": "number", "item": "item", "status": "status", "note": "note"}
    return {
        "booking_status": {"id": "SMS_DEV_STATUS", "fields": plain},
        "visit_reminder": {"id": "SMS_DEV_REMINDER", "fields": {"number": "number", "item": "item", "date": "date"}},
        "rating_request": {"id": "SMS_DEV_RATING", "fields": {"number": "number", "item": "item"}},
        "staff_alert": {"id": "SMS_DEV_ALERT", "fields": {"number": "number", "item": "item", "due": "due"}},
        "chat_reply": {"id": "SMS_DEV_CHAT_REPLY", "fields": {"note": "note"}},
    }


# Secrets shorter than this, or made of few distinct characters, are guessable.
MIN_KEY_LENGTH = 32
WEAK_WORDS = ("dev", "test", "secret", "password", "changeme", "example", "placeholder")


def weak_key(value: str) -> str | None:
    """Why `value` is not a production secret, or None."""
    if not value:
        return "is required in production"
    if len(value) < MIN_KEY_LENGTH:
        return f"is shorter than {MIN_KEY_LENGTH} characters"
    if len(set(value)) < 10 or any(word in value.lower() for word in WEAK_WORDS):
        return "looks like a placeholder, not a random key"
    return None


class SettingsError(ValueError):
    """A setting is missing or invalid; the message names the variable."""


def _load_dotenv(path: Path, environ: dict) -> None:
    """Fill `environ` from KEY=VALUE lines of a .env file, never overriding real variables."""
    if not path.is_file():
        return
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.partition("=")
        environ.setdefault(key.strip(), value.strip().strip("'\""))


def _templates(environ: dict, name: str, default: dict) -> dict:
    """A JSON template map (see _dev_templates); unset gives `default`."""
    raw = environ.get(name, "")
    if raw == "":
        return default
    try:
        value = json.loads(raw)
    except ValueError:
        raise SettingsError(f'{name} must be JSON: {{"booking_status": {{"id": ..., "fields": {{...}}}}}}') from None
    if not isinstance(value, dict) or not all(
        isinstance(t, dict) and isinstance(t.get("id"), str) and isinstance(t.get("fields"), dict) for t in value.values()
    ):
        raise SettingsError(f'{name}: every template needs an "id" string and a "fields" object')
    return value


def _hours(environ: dict, name: str, default: tuple[int, int] | None) -> tuple[int, int] | None:
    raw = environ.get(name, "")
    if raw == "":
        return default
    if raw.lower() in ("off", "none", "0"):
        return None
    try:
        start, end = (int(x) for x in raw.split("-"))
    except ValueError:
        raise SettingsError(f"{name} must look like 21-8 (hours, China time) or off, got {raw!r}") from None
    if not (0 <= start < 24 and 0 <= end < 24):
        raise SettingsError(f"{name} hours must be 0..23")
    return start, end


def _networks(environ: dict, name: str) -> tuple[str, ...]:
    """Comma-separated IP addresses or networks (10.0.0.0/8); each checked, so a typo fails at start."""
    found = []
    for part in (environ.get(name) or "").split(","):
        if part.strip():
            try:
                found.append(str(ipaddress.ip_network(part.strip(), strict=False)))
            except ValueError:
                raise SettingsError(f"{name}: {part.strip()!r} is not an IP address or network") from None
    return tuple(found)


def _int(environ: dict, name: str, default: int) -> int:
    raw = environ.get(name, "")
    if raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise SettingsError(f"{name} must be an integer, got {raw!r}") from None


@dataclass(frozen=True)
class Settings:
    host: str = "127.0.0.1"
    port: int = 8000
    wechat_token: str = "dev-token"
    wechat_appid: str = "wx" + DEV_PLACEHOLDER
    wechat_secret: str = DEV_PLACEHOLDER
    wechat_aes_key: str | None = None
    wechat_max_skew: int = 300
    wechat_api_base: str | None = None  # unset: WeChat's, or the dev sandbox (see api_base)
    wxa_appid: str = "wxa" + DEV_PLACEHOLDER
    wxa_secret: str = DEV_PLACEHOLDER
    mongodb_uri: str = "mongomock://"
    mongodb_db: str = "govbot"
    secret: str = field(default_factory=lambda: secrets.token_urlsafe(32), repr=False)
    data_key: str = field(default_factory=lambda: secrets.token_urlsafe(32), repr=False)
    env: str = "dev"
    # Extension: the address residents' phones reach the server at, for links to /guide/<code>.
    public_url: str = ""
    # Extension: bearer token of the staff admin API (/api/v1/admin, `python -m bot.admin`).
    # Dev default below; production without BOT_ADMIN_TOKEN disables the admin API.
    admin_token: str | None = field(default=DEV_ADMIN_TOKEN, repr=False)
    # Addresses (or networks) of the reverse proxies whose X-Real-IP / X-Forwarded-For / X-Forwarded-Proto
    # are believed; none by default, so a client can never choose the address throttles and audits see.
    trusted_proxies: tuple[str, ...] = ()
    # Not part of the environment contract: where the knowledge-base seed files live.
    kb_data_dir: Path = Path(__file__).parent / "knowledge_base" / "data"
    # Seconds of WeChat's 5 s budget we allow ourselves before answering "success"
    # and delivering the reply later as a customer-service message.
    reply_budget: float = 4.0
    # Console back office (README, "Staff console: bookings, items, report").
    desk_agents_see_all: bool = False  # agents act on every station's bookings, not only their own
    report_followup_workdays: int = 15  # a 差评 is followed up (整改) within this many working days
    report_issuer: str = "为民服务中心"  # 制表单位 in the printed report's footer
    # Staff console (README, "Staff console"): sessions, login throttling, hand-off to staff, live queue.
    staff_idle_minutes: int = 30
    staff_login_delay: float = 15.0
    staff_lock_after: int = 6
    staff_lock_minutes: int = 30
    handoff_hours: str = "09:00-17:30"
    handoff_unclaimed_minutes: int = 10
    handoff_answer_target: int = 180
    handoff_phone: str = "96128"
    console_live: str = "auto"  # auto: in-process on the embedded store, poll on MongoDB; or memory, poll
    console_poll_seconds: float = 0.5
    # Extension: where the embedded store keeps its data (BOT_DATA_DIR, default ./var); None keeps it
    # in memory only (tests, or BOT_DATA_DIR=:memory:). Ignored on a real MongoDB.
    data_dir: Path | None = None
    # Extension: messages one user may send per minute and per hour before the bot answers "too fast"
    # (BOT_RATE_PER_MINUTE, BOT_RATE_PER_HOUR; per process, bot/limits.py). Benchmarks lift them.
    rate_per_minute: int = 30
    rate_per_hour: int = 600
    # Extension: server processes sharing the port (BOT_PROCESSES; 0 = one per core). Only on a real
    # MongoDB: the embedded store lives inside one process.
    processes: int = 1
    # Names of the secret variables that were set (BOT_SECRET, BOT_DATA_KEY): the others were generated.
    secrets_given: frozenset = frozenset()
    # Extension (notifications): templates per channel, SMS gateway, quiet hours, staff alerts.
    wechat_templates: dict = field(default_factory=lambda: _dev_templates("dev-tpl"))
    wechat_subscribe_templates: dict = field(default_factory=lambda: _dev_templates("dev-sub"))
    wxa_subscribe_templates: dict = field(default_factory=lambda: _dev_templates("dev-wxa"))
    wxa_state: str = "developer"  # miniprogram_state of subscribe messages: developer, trial or formal
    sms_provider: str = "sandbox"  # none | sandbox (the fake gateway next to the WeChat API) | http
    sms_url: str = ""
    sms_sign: str = "为民服务"
    sms_templates: dict = field(default_factory=_dev_sms_templates)
    notify_quiet_hours: tuple[int, int] | None = (21, 8)  # China time; only urgent notifications go out then
    notify_coalesce_seconds: int = 20  # changes to one booking within this time go out as one message
    notify_staff_openids: tuple[str, ...] = ()  # who hears of bookings nearing their due date
    notify_workers: int = 4  # concurrent sends per process; 0: this process sends nothing
    # Extension (mini-program API, README "Mini-program API"): token lifetimes, rate limits, uploads, content check.
    api_token_minutes: int = 30
    api_refresh_days: int = 30
    api_rate_per_minute: int = 120  # requests per signed-in user
    api_address_rate_per_minute: int = 600  # requests per client address (a village office shares one)
    api_login_per_minute: int = 20  # logins per client address
    materials_max_mb: int = 10
    materials_retention_days: int = 180  # after the booking closes
    materials_daily_per_user: int = 30  # uploads one mini-program user may make per day
    content_check: str = "wechat"  # wechat (msgSecCheck v2) | off

    @property
    def embedded_store(self) -> bool:
        return self.mongodb_uri.startswith("mongomock://")

    @property
    def base_url(self) -> str:
        return self.public_url or f"http://{self.host}:{self.port}"

    @property
    def uses_sandbox(self) -> bool:
        """Dev server with placeholder credentials: real WeChat would refuse every call, so outbound
        messages go to the built-in sandbox at /dev/wechat-api/, where `bot.simulate` reads them."""
        return self.env == "dev" and self.wechat_api_base is None and DEV_PLACEHOLDER in self.wechat_appid

    @property
    def api_base(self) -> str:
        """WeChat API base URL ending in a slash, e.g. https://api.weixin.qq.com/"""
        if self.wechat_api_base:
            return self.wechat_api_base.rstrip("/") + "/"
        if self.uses_sandbox:
            return f"http://127.0.0.1:{self.port}/dev/wechat-api/"
        return WECHAT_API_DEFAULT

    @classmethod
    def from_env(cls, environ: dict | None = None, dotenv: Path | None = None) -> Settings:
        env = dict(os.environ if environ is None else environ)
        _load_dotenv(dotenv or Path.cwd() / ".env", env)
        mode = env.get("BOT_ENV", "dev") or "dev"
        if mode not in ("dev", "production"):
            raise SettingsError(f"BOT_ENV must be 'dev' or 'production', got {mode!r}")
        aes_key = env.get("WECHAT_AES_KEY") or None
        if aes_key is not None and len(aes_key) != 43:
            raise SettingsError("WECHAT_AES_KEY must be the 43-character EncodingAESKey")
        values = dict(
            host=env.get("BOT_HOST") or cls.host,
            port=_int(env, "BOT_PORT", cls.port),
            wechat_token=env.get("WECHAT_TOKEN") or cls.wechat_token,
            wechat_appid=env.get("WECHAT_APPID") or cls.wechat_appid,
            wechat_secret=env.get("WECHAT_SECRET") or cls.wechat_secret,
            wechat_aes_key=aes_key,
            wechat_max_skew=_int(env, "WECHAT_MAX_SKEW", cls.wechat_max_skew),
            wechat_api_base=env.get("WECHAT_API_BASE") or None,
            wxa_appid=env.get("WXA_APPID") or cls.wxa_appid,
            wxa_secret=env.get("WXA_SECRET") or cls.wxa_secret,
            mongodb_uri=env.get("MONGODB_URI") or cls.mongodb_uri,
            mongodb_db=env.get("MONGODB_DB") or cls.mongodb_db,
            env=mode,
            public_url=(env.get("BOT_PUBLIC_URL") or "").rstrip("/"),
            admin_token=env.get("BOT_ADMIN_TOKEN") or (DEV_ADMIN_TOKEN if mode == "dev" else None),
            trusted_proxies=_networks(env, "BOT_TRUSTED_PROXIES"),
            desk_agents_see_all=(env.get("DESK_AGENTS_SEE_ALL") or "").lower() in ("1", "true", "yes"),
            report_followup_workdays=_int(env, "REPORT_FOLLOWUP_WORKDAYS", cls.report_followup_workdays),
            report_issuer=(env.get("REPORT_ISSUER") or "").strip() or cls.report_issuer,
            staff_idle_minutes=_int(env, "STAFF_SESSION_IDLE_MINUTES", cls.staff_idle_minutes),
            staff_lock_after=_int(env, "STAFF_LOCK_AFTER", cls.staff_lock_after),
            staff_login_delay=float(_int(env, "STAFF_LOGIN_DELAY", int(cls.staff_login_delay))),
            staff_lock_minutes=_int(env, "STAFF_LOCK_MINUTES", cls.staff_lock_minutes),
            handoff_hours=env.get("HANDOFF_HOURS") or cls.handoff_hours,
            handoff_unclaimed_minutes=_int(env, "HANDOFF_UNCLAIMED_MINUTES", cls.handoff_unclaimed_minutes),
            handoff_answer_target=_int(env, "HANDOFF_ANSWER_TARGET_SECONDS", cls.handoff_answer_target),
            handoff_phone=env.get("HANDOFF_PHONE") or cls.handoff_phone,
            console_live=env.get("CONSOLE_LIVE") or cls.console_live,
            wechat_templates=_templates(env, "WECHAT_TEMPLATES", _dev_templates("dev-tpl") if mode == "dev" else {}),
            wechat_subscribe_templates=_templates(
                env, "WECHAT_SUBSCRIBE_TEMPLATES", _dev_templates("dev-sub") if mode == "dev" else {}
            ),
            wxa_subscribe_templates=_templates(
                env, "WXA_SUBSCRIBE_TEMPLATES", _dev_templates("dev-wxa") if mode == "dev" else {}
            ),
            wxa_state=env.get("WXA_STATE") or ("developer" if mode == "dev" else "formal"),
            sms_provider=env.get("SMS_PROVIDER") or ("sandbox" if mode == "dev" else "none"),
            sms_url=env.get("SMS_URL", ""),
            sms_sign=env.get("SMS_SIGN") or cls.sms_sign,
            sms_templates=_templates(env, "SMS_TEMPLATES", _dev_sms_templates() if mode == "dev" else {}),
            notify_quiet_hours=_hours(env, "NOTIFY_QUIET_HOURS", cls.notify_quiet_hours),
            notify_coalesce_seconds=_int(env, "NOTIFY_COALESCE_SECONDS", cls.notify_coalesce_seconds),
            notify_staff_openids=tuple(x.strip() for x in env.get("NOTIFY_STAFF_OPENIDS", "").split(",") if x.strip()),
            notify_workers=_int(env, "NOTIFY_WORKERS", cls.notify_workers),
            api_token_minutes=_int(env, "API_TOKEN_MINUTES", cls.api_token_minutes),
            api_refresh_days=_int(env, "API_REFRESH_DAYS", cls.api_refresh_days),
            api_rate_per_minute=_int(env, "API_RATE_PER_MINUTE", cls.api_rate_per_minute),
            api_address_rate_per_minute=_int(env, "API_ADDRESS_RATE_PER_MINUTE", cls.api_address_rate_per_minute),
            api_login_per_minute=_int(env, "API_LOGIN_PER_MINUTE", cls.api_login_per_minute),
            materials_max_mb=_int(env, "MATERIALS_MAX_MB", cls.materials_max_mb),
            materials_retention_days=_int(env, "MATERIALS_RETENTION_DAYS", cls.materials_retention_days),
            materials_daily_per_user=_int(env, "MATERIALS_DAILY_PER_USER", cls.materials_daily_per_user),
            content_check=env.get("CONTENT_CHECK") or cls.content_check,
        )
        if values["content_check"] not in ("wechat", "off"):
            raise SettingsError("CONTENT_CHECK must be wechat or off")
        for name in (
            "api_token_minutes",
            "api_refresh_days",
            "api_rate_per_minute",
            "api_address_rate_per_minute",
            "api_login_per_minute",
            "materials_max_mb",
            "materials_daily_per_user",
        ):
            if values[name] < 1:
                raise SettingsError(f"{name.upper()} must be at least 1")
        if values["wxa_state"] not in ("developer", "trial", "formal"):
            raise SettingsError("WXA_STATE must be developer, trial or formal")
        if values["sms_provider"] not in ("none", "sandbox", "http"):
            raise SettingsError("SMS_PROVIDER must be none, sandbox or http")
        if values["sms_provider"] == "http" and not values["sms_url"]:
            raise SettingsError("SMS_PROVIDER=http needs SMS_URL")
        if values["console_live"] not in ("auto", "memory", "poll"):
            raise SettingsError("CONSOLE_LIVE must be auto, memory or poll")
        values["rate_per_minute"] = _int(env, "BOT_RATE_PER_MINUTE", cls.rate_per_minute)
        values["rate_per_hour"] = _int(env, "BOT_RATE_PER_HOUR", cls.rate_per_hour)
        values["processes"] = _int(env, "BOT_PROCESSES", cls.processes)
        if values["processes"] != 1 and values["mongodb_uri"].startswith("mongomock://"):
            raise SettingsError("BOT_PROCESSES: the embedded store (mongomock://) runs in one process; set MONGODB_URI")
        data_dir = env.get("BOT_DATA_DIR") or DEFAULT_DATA_DIR
        values["data_dir"] = None if data_dir == IN_MEMORY else Path(data_dir)
        values["secrets_given"] = frozenset(n for n in ("BOT_SECRET", "BOT_DATA_KEY") if env.get(n))
        if env.get("BOT_SECRET"):
            values["secret"] = env["BOT_SECRET"]
        if env.get("BOT_DATA_KEY"):
            values["data_key"] = env["BOT_DATA_KEY"]
        settings = cls(**values)
        if mode == "production":
            settings.check_production(env)
        elif not settings.embedded_store and not env.get("BOT_DATA_KEY"):
            # A generated key dies with the process: every field it encrypted in a real database would be
            # unreadable after a restart ("encrypted field failed authentication").
            raise SettingsError(
                "MONGODB_URI points at a real database but BOT_DATA_KEY is not set: set a fixed key "
                "(e.g. `openssl rand -hex 32`), or encrypted personal data becomes unreadable after a restart"
            )
        return settings

    def check_production(self, env: dict) -> None:
        """Refuse to run production on dev placeholders, generated keys or the embedded store."""
        problems = []
        for name in ("WECHAT_APPID", "WECHAT_SECRET", "WXA_APPID", "WXA_SECRET"):
            if not env.get(name) or DEV_PLACEHOLDER in env.get(name, ""):
                problems.append(f"{name} is not set")
        if not env.get("WECHAT_TOKEN") or env.get("WECHAT_TOKEN") == "dev-token":
            problems.append("WECHAT_TOKEN is the dev default")
        for name in ("BOT_SECRET", "BOT_DATA_KEY"):
            problem = weak_key(env.get(name, ""))
            if problem:
                problems.append(f"{name} {problem}")
        if self.admin_token is not None:
            if self.admin_token == DEV_ADMIN_TOKEN:
                problems.append("BOT_ADMIN_TOKEN is the dev default")
            elif len(self.admin_token) < MIN_KEY_LENGTH:
                problems.append(f"BOT_ADMIN_TOKEN is shorter than {MIN_KEY_LENGTH} characters")
        if self.embedded_store:
            problems.append("MONGODB_URI selects the in-memory embedded store")
        if self.sms_provider == "sandbox":
            problems.append("SMS_PROVIDER=sandbox sends no real SMS")
        if problems:
            raise SettingsError("BOT_ENV=production refuses to start: " + "; ".join(problems))
