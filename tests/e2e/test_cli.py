"""The AWS CLI against expressway (AWS_DISABLE_HOST_PREFIX_INJECTION=true, --endpoint-url)."""

from __future__ import annotations

import json

from conftest import PAYMENT, PAYMENT_ARN


def ok(proc) -> dict:
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_start_sync_execution_happy(aws):
    r = ok(aws("start-sync-execution", "--state-machine-arn", PAYMENT_ARN,
               "--input", f"file://{PAYMENT / 'input-happy.json'}"))
    assert r["status"] == "SUCCEEDED"
    assert json.loads(r["output"])["transaction"]["transactionId"] == "TX-pay-0001"


def test_start_sync_execution_capture_failure(aws):
    r = ok(aws("start-sync-execution", "--state-machine-arn", PAYMENT_ARN,
               "--input", f"file://{PAYMENT / 'input-capture-failure.json'}"))
    assert (r["status"], r["error"]) == ("FAILED", "CaptureFailed")


def test_mock_test_case(aws):
    r = ok(aws("start-sync-execution", "--state-machine-arn", f"{PAYMENT_ARN}#Declined",
               "--input", f"file://{PAYMENT / 'input-happy.json'}"))
    assert (r["status"], r["error"]) == ("FAILED", "PaymentDeclined")


def test_list_and_describe(aws):
    machines = ok(aws("list-state-machines"))["stateMachines"]
    assert PAYMENT_ARN in [m["stateMachineArn"] for m in machines]
    assert ok(aws("describe-state-machine", "--state-machine-arn", PAYMENT_ARN))["type"] == "EXPRESS"


def test_error_code_is_reported(aws):
    p = aws("start-sync-execution", "--state-machine-arn", PAYMENT_ARN + "-missing", "--input", "{}")
    assert p.returncode != 0
    assert "(StateMachineDoesNotExist)" in p.stderr, p.stderr
    p = aws("start-sync-execution", "--state-machine-arn", PAYMENT_ARN, "--input", "{oops")
    assert p.returncode != 0
    assert "(InvalidExecutionInput)" in p.stderr, p.stderr
