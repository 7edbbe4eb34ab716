"""`expressway serve --verify-sigv4`: boto3 and the AWS CLI sign their requests; the server verifies them
against the configured credentials and refuses the others as AWS does."""

from __future__ import annotations

import os
import subprocess
import time
import json
import urllib.error
import urllib.request

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from conftest import PAYMENT_ARN, REGION, ROOT, _answers, _binary, _free_port, output, request

KEYS = {"AKIDE2E1": "secret-one", "AKIDE2E2": "secret-two"}


@pytest.fixture(scope="module")
def signed_endpoint(tmp_path_factory):
    binary = _binary()
    if not binary.is_file():
        pytest.fail(f"no expressway binary at {binary}: run `cargo build --release` or set EXPRESSWAY_BIN")
    port = _free_port()
    log = tmp_path_factory.mktemp("sigv4") / "serve.log"
    env = {k: v for k, v in os.environ.items() if k not in ("SFN_MOCK_CONFIG", "AWS_ENDPOINT_URL_LAMBDA")}
    env["EXPRESSWAY_SIGV4_CREDENTIALS"] = ",".join(f"{k}:{v}" for k, v in KEYS.items())
    with open(log, "wb") as out:
        proc = subprocess.Popen([str(binary), "serve", "--port", str(port), "--verify-sigv4"], cwd=ROOT,
                                env=env, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while not _answers(url + "/metrics"):
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"expressway serve --verify-sigv4 did not start:\n{log.read_text()}")
            time.sleep(0.05)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def client(endpoint: str, key: str, secret: str):
    return boto3.client(
        "stepfunctions", endpoint_url=endpoint, region_name=REGION,
        aws_access_key_id=key, aws_secret_access_key=secret,
        config=Config(inject_host_prefix=False, retries={"max_attempts": 0}),
    )


def error_of(call) -> tuple[str, str, int]:
    with pytest.raises(ClientError) as e:
        call()
    err = e.value.response
    return err["Error"]["Code"], err["Error"]["Message"], err["ResponseMetadata"]["HTTPStatusCode"]


@pytest.mark.parametrize("key", sorted(KEYS))
def test_each_configured_key_is_accepted(signed_endpoint, key):
    sfn = client(signed_endpoint, key, KEYS[key])
    assert any(m["stateMachineArn"] == PAYMENT_ARN for m in sfn.list_state_machines()["stateMachines"])
    out = output(sfn.start_sync_execution(stateMachineArn=PAYMENT_ARN, input=json.dumps(request())))
    assert out["transaction"]["saved"] is True


def test_wrong_secret_is_invalid_signature(signed_endpoint):
    sfn = client(signed_endpoint, "AKIDE2E1", "not-the-secret")
    code, message, status = error_of(sfn.list_state_machines)
    assert (code, status) == ("InvalidSignatureException", 400)
    assert message.startswith("The request signature we calculated does not match the signature you provided.")


def test_unknown_key_is_unrecognized_client(signed_endpoint):
    sfn = client(signed_endpoint, "AKIDNOBODY", "whatever")
    assert error_of(sfn.list_state_machines) == (
        "UnrecognizedClientException", "The security token included in the request is invalid.", 400)


def test_unsigned_request_is_missing_authentication_token(signed_endpoint):
    req = urllib.request.Request(signed_endpoint + "/", data=b"{}", method="POST", headers={
        "X-Amz-Target": "AWSStepFunctions.ListStateMachines", "Content-Type": "application/x-amz-json-1.0"})
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(req, timeout=5)
    assert e.value.code == 400
    body = json.loads(e.value.read())
    assert body == {"__type": "com.amazon.coral.service#MissingAuthenticationTokenException",
                    "message": "Missing Authentication Token"}


def test_aws_cli_signs_too(signed_endpoint):
    env = dict(os.environ, AWS_DISABLE_HOST_PREFIX_INJECTION="true", AWS_DEFAULT_REGION=REGION, AWS_PAGER="",
               AWS_ACCESS_KEY_ID="AKIDE2E2", AWS_SECRET_ACCESS_KEY="secret-two")
    ok = subprocess.run(["aws", "stepfunctions", "list-state-machines", "--endpoint-url", signed_endpoint],
                        env=env, capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert ok.returncode == 0 and PAYMENT_ARN in ok.stdout, ok.stderr
    env["AWS_SECRET_ACCESS_KEY"] = "nope"
    bad = subprocess.run(["aws", "stepfunctions", "list-state-machines", "--endpoint-url", signed_endpoint],
                         env=env, capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert bad.returncode != 0 and "InvalidSignatureException" in bad.stderr, bad.stderr


def test_metrics_stay_open(signed_endpoint):
    with urllib.request.urlopen(signed_endpoint + "/metrics", timeout=5) as r:
        assert r.status == 200
