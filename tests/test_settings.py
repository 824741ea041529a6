"""Settings from the environment: defaults, .env, validation, production refusals."""

from __future__ import annotations

import json

import pytest
from tornado.httpclient import AsyncHTTPClient

from settings import DEV_ADMIN_TOKEN, Settings, SettingsError

STRONG_SECRET = "9f2c7a51e0b84d3fa6c1e2d7b5a90f43"
STRONG_DATA_KEY = "Qm7Rz2Lk9Vt4Xw8Np3Hs6Jd1Fb5Gc0Ya"
PRODUCTION = {
    "BOT_ENV": "production",
    "WECHAT_TOKEN": "t0k3n",
    "WECHAT_APPID": "wx1",
    "WECHAT_SECRET": "s",
    "WXA_APPID": "wx2",
    "WXA_SECRET": "s2",
    "BOT_SECRET": STRONG_SECRET,
    "BOT_DATA_KEY": STRONG_DATA_KEY,
    "MONGODB_URI": "mongodb://db:27017",
}


def test_defaults_start_a_dev_server_with_nothing_set(tmp_path):
    s = Settings.from_env({}, dotenv=tmp_path / "none")
    assert (s.host, s.port, s.wechat_token, s.mongodb_uri, s.mongodb_db, s.env) == (
        "127.0.0.1",
        8000,
        "dev-token",
        "mongomock://",
        "govbot",
        "dev",
    )
    assert s.wechat_max_skew == 300 and s.wechat_aes_key is None and s.embedded_store
    assert s.uses_sandbox and s.api_base == "http://127.0.0.1:8000/dev/wechat-api/"
    assert len(s.secret) > 20 and s.secret != Settings.from_env({}, dotenv=tmp_path / "none").secret


def test_environment_overrides_and_dotenv(tmp_path):
    env_file = tmp_path / ".env"
    env_file.write_text("BOT_PORT=9000\nWECHAT_TOKEN='from-file'\n# comment\n", encoding="utf-8")
    s = Settings.from_env({"WECHAT_TOKEN": "from-env", "WECHAT_API_BASE": "http://127.0.0.1:1/"}, dotenv=env_file)
    assert s.port == 9000 and s.wechat_token == "from-env"
    assert not s.uses_sandbox and s.api_base == "http://127.0.0.1:1/"


@pytest.mark.parametrize(
    "env, message",
    [
        ({"BOT_PORT": "eighty"}, "BOT_PORT must be an integer"),
        ({"WECHAT_AES_KEY": "short"}, "43-character"),
        ({"BOT_ENV": "staging"}, "BOT_ENV must be"),
    ],
)
def test_invalid_settings_name_the_variable(tmp_path, env, message):
    with pytest.raises(SettingsError, match=message):
        Settings.from_env(env, dotenv=tmp_path / "none")


def test_production_refuses_placeholders_generated_keys_and_the_embedded_store(tmp_path):
    with pytest.raises(SettingsError) as err:
        Settings.from_env({"BOT_ENV": "production"}, dotenv=tmp_path / "none")
    text = str(err.value)
    for part in ("WECHAT_APPID", "BOT_DATA_KEY", "BOT_SECRET", "embedded store", "WECHAT_TOKEN"):
        assert part in text
    ok = Settings.from_env(PRODUCTION, dotenv=tmp_path / "none")
    assert ok.env == "production" and not ok.uses_sandbox and ok.admin_token is None


async def test_unknown_api_path_is_a_json_404(server):
    r = await AsyncHTTPClient().fetch(f"{server.url}/api/v1/nothing", raise_error=False)
    assert r.code == 404 and r.headers["Content-Type"].startswith("application/json")
    assert json.loads(r.body)["error"]["status"] == 404 and r.headers["X-Request-Id"]


@pytest.mark.parametrize(
    "change, message",
    [
        ({"BOT_ADMIN_TOKEN": DEV_ADMIN_TOKEN}, "BOT_ADMIN_TOKEN is the dev default"),
        ({"BOT_ADMIN_TOKEN": "short-token"}, "BOT_ADMIN_TOKEN is shorter than 32"),
        ({"BOT_SECRET": "x" * 40}, "BOT_SECRET looks like a placeholder"),
        ({"BOT_SECRET": "dev-secret-0123456789abcdefghijkl"}, "BOT_SECRET looks like a placeholder"),
        ({"BOT_DATA_KEY": "abc123"}, "BOT_DATA_KEY is shorter than 32"),
    ],
)
def test_production_refuses_weak_or_dev_secrets_and_admin_tokens(tmp_path, change, message):
    with pytest.raises(SettingsError, match=message):
        Settings.from_env({**PRODUCTION, **change}, dotenv=tmp_path / "none")
    strong = Settings.from_env({**PRODUCTION, "BOT_ADMIN_TOKEN": "Zr4" + STRONG_SECRET}, dotenv=tmp_path / "none")
    assert strong.admin_token.startswith("Zr4")


def test_dev_on_a_real_database_needs_a_fixed_data_key(tmp_path):
    with pytest.raises(SettingsError, match="BOT_DATA_KEY is not set"):
        Settings.from_env({"MONGODB_URI": "mongodb://127.0.0.1:27017"}, dotenv=tmp_path / "none")
    fixed = Settings.from_env({"MONGODB_URI": "mongodb://127.0.0.1:27017", "BOT_DATA_KEY": "k"}, dotenv=tmp_path / "none")
    assert fixed.data_key == "k"
