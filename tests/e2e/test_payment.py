"""Every path of the bundled payment example, through boto3's StartSyncExecution."""

from __future__ import annotations

import json
import time

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
