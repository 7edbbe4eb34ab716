"""Versions, aliases, GetExecutionHistory and DescribeStateMachineForExecution through boto3:
botocore parses every response with the service model, so a field of the wrong type or a
misnamed details member shows up here."""

from __future__ import annotations

import json
import time
import uuid

import pytest
from botocore.exceptions import ClientError

from conftest import ROLE


def tagged(tag: str) -> str:
    return json.dumps({"StartAt": "P", "States": {
        "P": {"Type": "Pass", "Parameters": {"tag": tag, "id.$": "$$.StateMachine.Id"}, "Next": "S"},
        "S": {"Type": "Succeed"}}})


def wait_done(sfn, arn: str) -> dict:
    for _ in range(500):
        d = sfn.describe_execution(executionArn=arn)
        if d["status"] != "RUNNING":
            return d
        time.sleep(0.01)
    raise AssertionError(f"{arn} still running")


def test_versions_aliases_and_history(sfn):
    name = f"ver-{uuid.uuid4().hex[:10]}"
    created = sfn.create_state_machine(name=name, definition=tagged("one"), roleArn=ROLE,
                                       type="EXPRESS", publish=True, versionDescription="first")
    arn = created["stateMachineArn"]
    v1 = created["stateMachineVersionArn"]
    assert v1 == f"{arn}:1"
    updated = sfn.update_state_machine(stateMachineArn=arn, definition=tagged("two"), publish=True)
    v2 = updated["stateMachineVersionArn"]
    assert v2 == f"{arn}:2"
    published = sfn.publish_state_machine_version(stateMachineArn=arn,
                                                  revisionId=updated["revisionId"])
    assert published["stateMachineVersionArn"] == v2
    versions = sfn.list_state_machine_versions(stateMachineArn=arn)["stateMachineVersions"]
    assert [v["stateMachineVersionArn"] for v in versions] == [v2, v1]
    described = sfn.describe_state_machine(stateMachineArn=v1)
    assert (described["stateMachineArn"], described["description"]) == (v1, "first")
    assert json.loads(described["definition"])["States"]["P"]["Parameters"]["tag"] == "one"

    alias = sfn.create_state_machine_alias(
        name="PROD", description="live",
        routingConfiguration=[{"stateMachineVersionArn": v1, "weight": 100}])["stateMachineAliasArn"]
    assert alias == f"{arn}:PROD"
    a = sfn.describe_state_machine_alias(stateMachineAliasArn=alias)
    assert a["routingConfiguration"] == [{"stateMachineVersionArn": v1, "weight": 100}]
    assert a["creationDate"] <= a["updateDate"]
    listed = sfn.list_state_machine_aliases(stateMachineArn=arn)["stateMachineAliases"]
    assert [x["stateMachineAliasArn"] for x in listed] == [alias]

    out = sfn.start_sync_execution(stateMachineArn=alias, input="{}")
    assert json.loads(out["output"]) == {"tag": "one", "id": v1}

    execution = sfn.start_execution(stateMachineArn=alias, input='{"k":"v"}')["executionArn"]
    d = wait_done(sfn, execution)
    assert d["status"] == "SUCCEEDED"
    assert (d["stateMachineArn"], d["stateMachineVersionArn"], d["stateMachineAliasArn"]) == (arn, v1, alias)
    machine = sfn.describe_state_machine_for_execution(executionArn=execution)
    assert machine["stateMachineArn"] == v1
    assert json.loads(machine["definition"])["States"]["P"]["Parameters"]["tag"] == "one"

    events = sfn.get_execution_history(executionArn=execution)["events"]
    assert [e["type"] for e in events] == [
        "ExecutionStarted", "PassStateEntered", "PassStateExited", "SucceedStateEntered",
        "SucceedStateExited", "ExecutionSucceeded"]
    assert [e["id"] for e in events] == [1, 2, 3, 4, 5, 6]
    assert [e["previousEventId"] for e in events] == [0, 0, 2, 3, 4, 5]
    started = events[0]["executionStartedEventDetails"]
    assert (started["input"], started["roleArn"]) == ('{"k":"v"}', ROLE)
    assert (started["stateMachineAliasArn"], started["stateMachineVersionArn"]) == (alias, v1)
    assert events[1]["stateEnteredEventDetails"]["name"] == "P"
    assert json.loads(events[-1]["executionSucceededEventDetails"]["output"]) == {"tag": "one", "id": v1}
    assert all(e["timestamp"].year >= 2024 for e in events)
    newest = sfn.get_execution_history(executionArn=execution, reverseOrder=True, maxResults=2,
                                       includeExecutionData=False)
    assert [e["type"] for e in newest["events"]] == ["ExecutionSucceeded", "SucceedStateExited"]
    assert "output" not in newest["events"][0]["executionSucceededEventDetails"]
    paginator = sfn.get_paginator("get_execution_history")
    pages = list(paginator.paginate(executionArn=execution, PaginationConfig={"PageSize": 4}))
    assert [len(p["events"]) for p in pages] == [4, 2]

    with pytest.raises(ClientError) as info:
        sfn.delete_state_machine_version(stateMachineVersionArn=v1)
    assert info.value.response["Error"]["Code"] == "ConflictException"
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 409
    sfn.update_state_machine_alias(stateMachineAliasArn=alias,
                                   routingConfiguration=[{"stateMachineVersionArn": v2, "weight": 100}])
    out = sfn.start_sync_execution(stateMachineArn=alias, input="{}")
    assert json.loads(out["output"])["tag"] == "two"
    sfn.delete_state_machine_alias(stateMachineAliasArn=alias)
    with pytest.raises(sfn.exceptions.ResourceNotFound):
        sfn.describe_state_machine_alias(stateMachineAliasArn=alias)
    sfn.delete_state_machine_version(stateMachineVersionArn=v1)
    with pytest.raises(sfn.exceptions.StateMachineDoesNotExist):
        sfn.start_sync_execution(stateMachineArn=v1, input="{}")
    sfn.delete_state_machine(stateMachineArn=arn)


def test_history_errors(sfn):
    unknown = "arn:aws:states:us-east-1:123456789012:execution:nope:nope"
    with pytest.raises(sfn.exceptions.ExecutionDoesNotExist):
        sfn.get_execution_history(executionArn=unknown)
    with pytest.raises(sfn.exceptions.ExecutionDoesNotExist):
        sfn.describe_state_machine_for_execution(executionArn=unknown)
    with pytest.raises(sfn.exceptions.InvalidArn):
        sfn.redrive_execution(executionArn="arn:aws:states:us-east-1:123456789012:express:a:b:c")
