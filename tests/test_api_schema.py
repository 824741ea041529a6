"""Schemathesis (property-based) against the served OpenAPI document of the mini-program API: no 5xx, and every
response matches the document (status codes, content types, headers, bodies). Tornado is neither ASGI nor WSGI,
so it runs against a real server process (`python -m bot` on a free port, dev sandbox as the WeChat API)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.utils import SERVER_START_SECONDS, free_port

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def api_server(tmp_path):
    port = free_port()
    env = {
        **os.environ,
        "BOT_PORT": str(port),
        "BOT_DATA_DIR": ":memory:",
        "BOT_ENV": "dev",
        # The fuzzer sends thousands of requests from one address: lift the limits (their own tests cover them).
        "API_RATE_PER_MINUTE": "1000000",
        "API_ADDRESS_RATE_PER_MINUTE": "1000000",
        "API_LOGIN_PER_MINUTE": "1000000",
        "NOTIFY_WORKERS": "0",
    }
    for name in ("WECHAT_APPID", "WECHAT_API_BASE", "MONGODB_URI"):
        env.pop(name, None)
    log = open(tmp_path / "server.log", "wb")
    proc = subprocess.Popen([sys.executable, "-m", "bot"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.time() + SERVER_START_SECONDS
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=2) as r:
                if r.status == 200:
                    break
        except OSError:
            time.sleep(0.3)
    else:
        proc.kill()
        pytest.fail("server did not start: " + (tmp_path / "server.log").read_text()[-2000:])
    yield base, tmp_path / "server.log"
    proc.terminate()
    proc.wait(timeout=10)


def login(base: str, code: str = "dev:schemathesis") -> str:
    request = urllib.request.Request(
        base + "/api/v1/login", data=json.dumps({"code": code}).encode(), headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=10) as r:
        return json.loads(r.read())["access_token"]


def served_document(base: str) -> dict:
    with urllib.request.urlopen(base + "/api/v1/openapi.json", timeout=10) as r:
        return json.loads(r.read())


def toml_value(value) -> str:
    return json.dumps(value, ensure_ascii=False)  # a JSON string or number is a TOML one


def schemathesis_config(document: dict) -> str:
    """The run's configuration: the booking the document supplies as its example (a valid one, with today's first
    bookable date) fixed into generated bookings, so that bookings are created and the stateful phase follows the
    links from them; and the statuses that mean "valid by the schema, refused by a rule it cannot express"."""
    create = document["paths"]["/api/v1/bookings"]["post"]
    booking = create["requestBody"]["content"]["application/json"]["example"]
    overrides = ", ".join(f'"body.{k}" = {toml_value(v)}' for k, v in booking.items())
    # Codes only WeChat can vouch for (phone, invitation), a file's content, an ID checksum: 400 is the right
    # answer to schema-valid data there, as the document says.
    # A login code is good once; a cursor only as the server made it; 居民 is a proxy's relation, 本人 a resident's.
    domain_checked = ["post_login", "post_me_phone", "post_me_proxy", "get_bookings", "post_bookings"]
    accepted = ["2xx", "3xx", "400", "401", "403", "404", "409", "429"]
    return "\n".join(
        [
            "[[operations]]",
            'include-operation-id = "post_bookings"',
            f"parameters = {{ {overrides} }}",
            "",
            "[[operations]]",
            f"include-operation-id = {toml_value(domain_checked)}",
            f"checks.positive_data_acceptance.expected-statuses = {toml_value(accepted)}",
            "",
            "[[operations]]",
            'include-operation-id = ["post_bookings_number_materials", "post_me_avatar"]',
            f"checks.positive_data_acceptance.expected-statuses = {toml_value([*accepted, '413', '415'])}",
            "",
        ]
    )


def test_the_api_keeps_its_openapi_document_under_fuzzing(api_server, tmp_path):
    base, server_log = api_server
    token = login(base)
    config = tmp_path / "schemathesis.toml"
    config.write_text(schemathesis_config(served_document(base)), encoding="utf-8")
    result = subprocess.run(
        [
            str(Path(sys.executable).parent / "schemathesis"),
            "--config-file",
            str(config),
            "run",
            base + "/api/v1/openapi.json",
            "--url",
            base,
            "--checks",
            "all",
            "--max-examples",
            "30",
            "--seed",
            "20261203",
            "--phases",
            "examples,coverage,fuzzing,stateful",
            "--generation-database",
            "none",
            "--request-timeout",
            "20",
            "--exclude-path",
            "/api/v1/logout",  # would end the fuzzer's own session; tests/test_api.py covers it
            "-H",
            f"Authorization: Bearer {token}",
            "--no-color",
        ],
        capture_output=True,
        text=True,
        timeout=1500,
        cwd=tmp_path,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-8000:] + "\n--- server log ---\n" + server_log.read_text()[-3000:]
    # The run really exercised the API: every operation, over a thousand generated requests, all passing.
    cases = re.search(r"(\d+) generated, (\d+) passed", output)
    assert cases and int(cases.group(1)) > 500 and cases.group(1) == cases.group(2), output[-3000:]
    tested = re.search(r"Tested: (\d+)", output)
    assert tested and int(tested.group(1)) >= 20, output[-3000:]
    assert re.search(r"Stateful", output), output[-3000:]
