"""Schemathesis (property-based) against the served OpenAPI document of the mini-program API: no 5xx, and every
response matches the document (status codes, content types, headers, bodies). Tornado is neither ASGI nor WSGI,
so it runs against a real server process (`python -m bot` on a free port, dev sandbox as the WeChat API)."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHECKS = (
    "not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance"
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


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
    deadline = time.time() + 90
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


def login(base: str) -> str:
    request = urllib.request.Request(
        base + "/api/v1/login", data=json.dumps({"code": "schemathesis"}).encode(), headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=10) as r:
        return json.loads(r.read())["access_token"]


def test_the_api_keeps_its_openapi_document_under_fuzzing(api_server, tmp_path):
    base, server_log = api_server
    token = login(base)
    result = subprocess.run(
        [
            str(Path(sys.executable).parent / "schemathesis"),
            "run",
            base + "/api/v1/openapi.json",
            "--url",
            base,
            "--checks",
            CHECKS,
            "--max-examples",
            "30",
            "--seed",
            "20261203",
            "--phases",
            "examples,coverage,fuzzing",
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
        timeout=1200,
        cwd=tmp_path,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-6000:] + "\n--- server log ---\n" + server_log.read_text()[-3000:]
    # The run really exercised the API: every operation, over a thousand generated requests, all passing.
    cases = re.search(r"(\d+) generated, (\d+) passed", output)
    assert cases and int(cases.group(1)) > 500 and cases.group(1) == cases.group(2), output[-3000:]
    tested = re.search(r"Tested: (\d+)", output)
    assert tested and int(tested.group(1)) >= 20, output[-3000:]
