"""Every path of the bundled payment example, through boto3's StartSyncExecution."""

from __future__ import annotations

import json
import queue
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from conftest import PAYMENT_ARN, output, request, sample


def start(sfn, payload, arn: str = PAYMENT_ARN) -> dict:
    text = payload if isinstance(payload, str) else json.dumps(payload)
    return sfn.start_sync_execution(stateMachineArn=arn, input=text)


def test_happy_path_with_3ds(sfn):
    out = output(start(sfn, sample("happy")))
    assert out["threeDS"] == {"status": "AUTHENTICATED", "eci": "05"}
    assert out["auth"] == {"status": "APPROVED", "authCode": "AUTH-pay-0001", "amount": 250.0}
    assert out["capture"] == {"status": "CAPTURED", "captureId": "CAP-pay-0001"}
    assert [n["channel"] for n in out["notifications"]] == ["email", "webhook"]
    assert out["transaction"] == {"saved": True, "transactionId": "TX-pay-0001"}


def test_response_shape(sfn):
    r = start(sfn, sample("happy"))
    assert r["stateMachineArn"] == PAYMENT_ARN
    assert r["executionArn"].startswith("arn:aws:states:us-east-1:123456789012:express:payment:")
    assert r["stopDate"] >= r["startDate"]
    assert json.loads(r["input"]) == json.loads(sample("happy"))
    assert r["billingDetails"]["billedDurationInMilliseconds"] >= 100


def test_small_amount_skips_3ds(sfn):
    out = output(start(sfn, request(amount=40.0)))
    assert "threeDS" not in out
    assert out["transaction"]["saved"] is True


@pytest.mark.parametrize(
    ("payload", "error", "cause"),
    [
        (sample("declined"), "PaymentDeclined",
         "authorization declined: card ending 0002 declined by the issuer for payment pay-0002"),
        (sample("capture-failure"), "CaptureFailed",
         "the acquirer rejected the capture of AUTH-pay-0003; authorization AUTH-pay-0003 voided"),
        (request("0036"), "AuthenticationFailed", "3-D Secure authentication failed"),
        (request(amount=20000.0, three_ds=False), "PaymentDeclined",
         "authorization status DECLINED: amount above the card's limit"),
        ({"paymentId": "p", "amount": 0}, "PaymentError",
         "ValidationError: invalid payment request: amount must be a number greater than 0"),
    ],
    ids=["declined", "capture-failure", "3ds-failed", "soft-decline", "invalid-request"],
)
def test_failure_paths(sfn, payload, error, cause):
    r = start(sfn, payload)
    assert (r["status"], r.get("error"), r.get("cause")) == ("FAILED", error, cause)
    assert "output" not in r


def test_authorization_timeout_is_retried(sfn):
    t0 = time.monotonic()
    out = output(start(sfn, request("0119", amount=40.0)))
    assert out["auth"]["status"] == "APPROVED"
    assert time.monotonic() - t0 >= 0.9  # one retry after IntervalSeconds 1


def test_flaky_webhook_is_retried(sfn):
    out = output(start(sfn, request(merchant="m-flaky")))
    assert out["notifications"][1] == {"channel": "webhook", "delivered": True, "merchantId": "m-flaky",
                                       "attempts": 2}


@pytest.mark.parametrize(
    ("case", "status", "error"),
    [("HappyPath", "SUCCEEDED", None), ("Declined", "FAILED", "PaymentDeclined"),
     ("AuthTimeoutThenSuccess", "SUCCEEDED", None), ("CaptureFailure", "FAILED", "CaptureFailed")],
)
def test_mock_file_test_cases(sfn, case, status, error):
    r = start(sfn, sample("happy"), arn=f"{PAYMENT_ARN}#{case}")
    assert (r["status"], r.get("error")) == (status, error), r
    if status == "SUCCEEDED":
        assert json.loads(r["output"])["transaction"]["transactionId"] == "TX-pay-0001"


def test_unknown_mock_test_case_fails(sfn):
    r = start(sfn, sample("happy"), arn=f"{PAYMENT_ARN}#NoSuchCase")
    assert (r["status"], r["error"]) == ("FAILED", "States.Runtime")


# --- 3-D Secure challenge: the Task Token goes to the card's Access Control Server -------------


class Acs:
    """A tiny Access Control Server on a free loopback port: it records each challenge POST (whose
    body carries the Task Token) and answers 200; the test then answers the Task with the AWS CLI."""

    def __init__(self):
        self.requests: queue.Queue = queue.Queue()
        acs = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's name)
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                acs.requests.put(json.loads(body))
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b'{"challenge":"started"}')

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/challenge"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def next(self) -> dict:
        return self.requests.get(timeout=15)

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def acs():
    server = Acs()
    yield server
    server.close()


def challenge(acs: Acs, payment_id: str, heartbeat: int = 30, timeout: int = 90) -> dict:
    r = request(payment_id=payment_id)
    r["card"].update(acsUrl=acs.url, acsHeartbeatSeconds=heartbeat, acsTimeoutSeconds=timeout)
    return r


@pytest.fixture
def run_async(sfn):
    """Starts StartSyncExecution in a thread; returns its future."""
    pool = ThreadPoolExecutor(max_workers=2)

    def go(payload: dict):
        return pool.submit(start, sfn, payload)

    yield go
    pool.shutdown(wait=True)


def test_3ds_challenge_send_task_success(acs, run_async, aws):
    pending = run_async(challenge(acs, "pay-3ds-ok"))
    body = acs.next()
    assert {k: body[k] for k in ("paymentId", "amount", "currency", "challengeId")} == {
        "paymentId": "pay-3ds-ok", "amount": 250.0, "currency": "EUR", "challengeId": "3DS-pay-3ds-ok"}
    answered = aws("send-task-success", "--task-token", body["taskToken"],
                   "--task-output", '{"status": "AUTHENTICATED", "eci": "02"}')
    assert answered.returncode == 0, answered.stderr
    out = output(pending.result(timeout=30))
    assert out["threeDS"] == {"status": "AUTHENTICATED", "eci": "02"}
    assert out["transaction"] == {"saved": True, "transactionId": "TX-pay-3ds-ok"}
    # The token is spent: a second answer is TaskTimedOut, as on AWS.
    again = aws("send-task-success", "--task-token", body["taskToken"], "--task-output", "{}")
    assert again.returncode != 0 and "TaskTimedOut" in again.stderr, again.stderr


def test_3ds_challenge_send_task_failure(acs, run_async, aws):
    pending = run_async(challenge(acs, "pay-3ds-fail"))
    token = acs.next()["taskToken"]
    answered = aws("send-task-failure", "--task-token", token, "--error", "ThreeDSFailed",
                   "--cause", "cardholder cancelled the challenge")
    assert answered.returncode == 0, answered.stderr
    r = pending.result(timeout=30)
    assert (r["status"], r["error"], r["cause"]) == (
        "FAILED", "AuthenticationFailed",
        "3-D Secure challenge not completed: ThreeDSFailed: cardholder cancelled the challenge")


def test_3ds_challenge_missed_heartbeat(acs, run_async):
    t0 = time.monotonic()
    pending = run_async(challenge(acs, "pay-3ds-silent", heartbeat=1, timeout=30))
    acs.next()  # the ACS never answers
    r = pending.result(timeout=30)
    assert (r["status"], r["error"], r["cause"]) == (
        "FAILED", "AuthenticationFailed", "3-D Secure challenge not completed: States.HeartbeatTimeout")
    assert 1.0 <= time.monotonic() - t0 < 10


def test_3ds_challenge_heartbeats_then_timeout(acs, run_async, aws):
    t0 = time.monotonic()
    pending = run_async(challenge(acs, "pay-3ds-slow", heartbeat=3, timeout=6))
    token = acs.next()["taskToken"]
    # send-task-heartbeat keeps it alive past HeartbeatSeconds; only TimeoutSeconds ends it.
    while not pending.done():
        beat = aws("send-task-heartbeat", "--task-token", token)
        assert beat.returncode == 0 or pending.done(), beat.stderr
        time.sleep(0.5)
    r = pending.result()
    assert (r["status"], r["error"], r["cause"]) == (
        "FAILED", "AuthenticationFailed", "3-D Secure challenge not completed: States.Timeout")
    assert time.monotonic() - t0 >= 6


def test_3ds_challenge_heartbeats_then_success(acs, run_async, aws):
    t0 = time.monotonic()
    pending = run_async(challenge(acs, "pay-3ds-beat", heartbeat=3, timeout=30))
    token = acs.next()["taskToken"]
    # Heartbeats (each CLI call takes about a second) carry it past HeartbeatSeconds.
    while time.monotonic() - t0 < 4.5:
        time.sleep(0.3)
        beat = aws("send-task-heartbeat", "--task-token", token)
        assert beat.returncode == 0, beat.stderr
    answered = aws("send-task-success", "--task-token", token,
                   "--task-output", '{"status": "AUTHENTICATED", "eci": "05"}')
    assert answered.returncode == 0, answered.stderr
    assert output(pending.result(timeout=30))["threeDS"]["status"] == "AUTHENTICATED"
