"""State machine lifecycle and the AWS errors, through boto3."""

from __future__ import annotations

import json
import uuid

import pytest
from botocore.exceptions import ClientError

from conftest import PAYMENT_ARN, ROLE

PASS = {"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": {"v": 1}, "End": True}}}


def error_of(call, **kwargs) -> tuple[str, int, str]:
    with pytest.raises(ClientError) as info:
        call(**kwargs)
    e = info.value.response
    return e["Error"]["Code"], e["ResponseMetadata"]["HTTPStatusCode"], e["Error"]["Message"]


def test_payment_example_is_preloaded(sfn):
    arns = [m["stateMachineArn"] for m in sfn.list_state_machines()["stateMachines"]]
    assert PAYMENT_ARN in arns
    d = sfn.describe_state_machine(stateMachineArn=PAYMENT_ARN)
    assert (d["name"], d["type"], d["status"]) == ("payment", "EXPRESS", "ACTIVE")
    assert json.loads(d["definition"])["StartAt"] == "ValidateRequest"


def test_lifecycle(sfn):
    name = f"e2e-{uuid.uuid4().hex[:12]}"
    arn = sfn.create_state_machine(name=name, definition=json.dumps(PASS), roleArn=ROLE,
                                   type="EXPRESS")["stateMachineArn"]
    assert arn == f"arn:aws:states:us-east-1:123456789012:stateMachine:{name}"
    d = sfn.describe_state_machine(stateMachineArn=arn)
    assert (d["name"], d["type"], json.loads(d["definition"])) == (name, "EXPRESS", PASS)
    assert arn in [m["stateMachineArn"] for m in sfn.list_state_machines()["stateMachines"]]
    r = sfn.start_sync_execution(stateMachineArn=arn, input="{}")
    assert json.loads(r["output"]) == {"v": 1}

    updated = {"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": {"v": 2}, "End": True}}}
    sfn.update_state_machine(stateMachineArn=arn, definition=json.dumps(updated))
    assert json.loads(sfn.describe_state_machine(stateMachineArn=arn)["definition"]) == updated
    r = sfn.start_sync_execution(stateMachineArn=arn, input="{}")
    assert json.loads(r["output"]) == {"v": 2}

    sfn.delete_state_machine(stateMachineArn=arn)
    code, status, _ = error_of(sfn.describe_state_machine, stateMachineArn=arn)
    assert (code, status) == ("StateMachineDoesNotExist", 400)
    assert arn not in [m["stateMachineArn"] for m in sfn.list_state_machines()["stateMachines"]]


def test_invalid_definition_names_the_json_pointer(sfn):
    bad = {"StartAt": "A", "States": {"A": {"Type": "Pass", "Nxt": "B", "End": True}}}
    code, status, message = error_of(sfn.create_state_machine, name="bad-def", definition=json.dumps(bad),
                                     roleArn=ROLE, type="EXPRESS")
    assert (code, status) == ("InvalidDefinition", 400)
    assert message.startswith("Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED")
    assert "at /States/A" in message


def test_malformed_input(sfn):
    code, status, message = error_of(sfn.start_sync_execution, stateMachineArn=PAYMENT_ARN, input="{not json")
    assert (code, status) == ("InvalidExecutionInput", 400)
    assert message.startswith("Invalid State Machine Execution Input: '")


def test_input_over_256_kib(sfn):
    big = json.dumps({"blob": "x" * 300_000})
    code, status, message = error_of(sfn.start_sync_execution, stateMachineArn=PAYMENT_ARN, input=big)
    assert (code, status) == ("ValidationException", 400)
    assert "262144" in message


def test_unknown_state_machine(sfn):
    arn = PAYMENT_ARN + "-missing"
    code, status, message = error_of(sfn.start_sync_execution, stateMachineArn=arn, input="{}")
    assert (code, status, message) == ("StateMachineDoesNotExist", 400, f"State Machine Does Not Exist: '{arn}'")


def test_bad_arn(sfn):
    code, status, message = error_of(sfn.start_sync_execution, stateMachineArn="arn:aws:foo", input="{}")
    assert (code, status) == ("InvalidArn", 400)
    assert message.startswith("Invalid Arn: '")


@pytest.mark.parametrize("where", ["state machine", "execution"])
def test_name_of_81_characters(sfn, where):
    name = "n" * 81
    if where == "state machine":
        code, status, message = error_of(sfn.create_state_machine, name=name, definition=json.dumps(PASS),
                                         roleArn=ROLE, type="EXPRESS")
    else:
        code, status, message = error_of(sfn.start_sync_execution, stateMachineArn=PAYMENT_ARN, name=name,
                                         input="{}")
    assert (code, status) == ("ValidationException", 400)
    assert message == (f"1 validation error detected: Value '{name}' at 'name' failed to satisfy constraint: "
                       "Member must have length less than or equal to 80")


def test_invalid_name(sfn):
    code, _, message = error_of(sfn.create_state_machine, name="a b", definition=json.dumps(PASS),
                                roleArn=ROLE, type="EXPRESS")
    assert (code, message) == ("InvalidName", "Invalid Name: 'a b'")
