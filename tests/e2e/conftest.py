"""Fixtures of the end-to-end suite: a fresh `expressway serve` (no arguments, run from the
checkout, so it serves the bundled payment example with its handlers and mock file) on a free
port, a boto3 client for it, and a helper running the AWS CLI against it.

The binary is $EXPRESSWAY_BIN, else target/release/expressway under $CARGO_TARGET_DIR or ./target.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import boto3
import pytest
from botocore.config import Config

ROOT = Path(__file__).resolve().parents[2]
PAYMENT = ROOT / "examples" / "payment"
REGION = "us-east-1"
ACCOUNT = "123456789012"
PAYMENT_ARN = f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:payment"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/e2e"
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test"}


def _binary() -> Path:
    if os.environ.get("EXPRESSWAY_BIN"):
        return Path(os.environ["EXPRESSWAY_BIN"])
    target = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
    return target / "release" / "expressway"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _answers(url: str) -> bool:
    try:
        urllib.request.urlopen(url, timeout=1)
    except urllib.error.HTTPError:
        return True
    except OSError:
        return False
    return True


@pytest.fixture(scope="session")
def endpoint(tmp_path_factory):
    binary = _binary()
    if not binary.is_file():
        pytest.fail(f"no expressway binary at {binary}: run `cargo build --release` or set EXPRESSWAY_BIN")
    port = _free_port()
    log = tmp_path_factory.mktemp("serve") / "serve.log"
    env = {k: v for k, v in os.environ.items() if k not in ("SFN_MOCK_CONFIG", "AWS_ENDPOINT_URL_LAMBDA")}
    with open(log, "wb") as out:
        proc = subprocess.Popen([str(binary), "serve", "--port", str(port)], cwd=ROOT, env=env,
                                stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while not _answers(url + "/"):
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"expressway serve did not start:\n{log.read_text()}")
            time.sleep(0.05)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture(scope="session")
def sfn(endpoint):
    """A boto3 Step Functions client; StartSyncExecution's `sync-` host prefix is turned off."""
    return boto3.client(
        "stepfunctions", endpoint_url=endpoint, region_name=REGION,
        aws_access_key_id="test", aws_secret_access_key="test",
        config=Config(inject_host_prefix=False, retries={"max_attempts": 0}),
    )


@pytest.fixture(scope="session")
def aws(endpoint):
    """Runs `aws stepfunctions ARGS… --endpoint-url ENDPOINT` and returns the CompletedProcess."""

    def run(*args: str) -> subprocess.CompletedProcess:
        env = dict(os.environ, AWS_DISABLE_HOST_PREFIX_INJECTION="true", AWS_DEFAULT_REGION=REGION,
                   AWS_REGION=REGION, AWS_PAGER="", **CREDENTIALS)
        return subprocess.run(["aws", "stepfunctions", *args, "--endpoint-url", endpoint, "--output", "json"],
                              env=env, capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)

    return run


def request(last4: str = "4242", amount: float = 250.0, three_ds: bool = True, merchant: str = "m-42",
            payment_id: str | None = None) -> dict:
    """A payment request like examples/payment/input-happy.json with the scenario fields replaced."""
    return {
        "paymentId": payment_id or f"pay-{last4}",
        "amount": amount,
        "currency": "EUR",
        "merchantId": merchant,
        "card": {"last4": last4, "brand": "visa", "threeDS": three_ds},
        "customer": {"id": "cust-7", "email": "alice@example.com"},
    }


def sample(name: str) -> str:
    """The text of examples/payment/input-NAME.json."""
    return (PAYMENT / f"input-{name}.json").read_text()


def output(response: dict) -> dict:
    assert response["status"] == "SUCCEEDED", response
    return json.loads(response["output"])
