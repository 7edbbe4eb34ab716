"""Activities through boto3: a worker thread polls GetActivityTask and answers with
SendTaskSuccess / SendTaskFailure while StartSyncExecution of a machine with an activity Task
waits; and the activity API errors."""

from __future__ import annotations

import json
import threading
import uuid

import pytest
from botocore.exceptions import ClientError

from conftest import ACCOUNT, REGION, ROLE


def error_of(call, **kwargs) -> tuple[str, str]:
    with pytest.raises(ClientError) as info:
        call(**kwargs)
    e = info.value.response
    return e["Error"]["Code"], e["Error"]["Message"]


def activity_machine(sfn, activity_arn: str, **task_fields) -> str:
    task = {"Type": "Task", "Resource": activity_arn, "ResultPath": "$.worker", "End": True, **task_fields}
    definition = {"StartAt": "Work", "States": {"Work": task}}
    return sfn.create_state_machine(name=f"act-{uuid.uuid4().hex[:10]}", definition=json.dumps(definition),
                                    roleArn=ROLE, type="EXPRESS")["stateMachineArn"]


def worker(sfn, activity_arn: str, answer, results: list) -> threading.Thread:
    """Polls once and answers the task with `answer(input) -> (method, kwargs)`."""

    def run():
        task = sfn.get_activity_task(activityArn=activity_arn, workerName="e2e-worker")
        results.append(task)
        method, kwargs = answer(json.loads(task["input"]))
        getattr(sfn, method)(taskToken=task["taskToken"], **kwargs)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def test_worker_answers_success(sfn):
    arn = sfn.create_activity(name=f"work-{uuid.uuid4().hex[:8]}")["activityArn"]
    machine = activity_machine(sfn, arn, TimeoutSeconds=30)
    seen: list = []
    thread = worker(sfn, arn, lambda i: ("send_task_success", {"output": json.dumps({"doubled": i["n"] * 2})}),
                    seen)
    r = sfn.start_sync_execution(stateMachineArn=machine, input=json.dumps({"n": 21}))
    thread.join(timeout=10)
    assert r["status"] == "SUCCEEDED", r
    assert json.loads(r["output"]) == {"n": 21, "worker": {"doubled": 42}}
    assert json.loads(seen[0]["input"]) == {"n": 21}


def test_worker_answers_failure(sfn):
    arn = sfn.create_activity(name=f"fail-{uuid.uuid4().hex[:8]}")["activityArn"]
    machine = activity_machine(sfn, arn, HeartbeatSeconds=5, TimeoutSeconds=30)
    thread = worker(sfn, arn, lambda i: ("send_task_failure", {"error": "Worker.Declined", "cause": "no stock"}), [])
    r = sfn.start_sync_execution(stateMachineArn=machine, input="{}")
    thread.join(timeout=10)
    assert (r["status"], r["error"], r["cause"]) == ("FAILED", "Worker.Declined", "no stock")


def test_activity_api(sfn):
    name = f"api-{uuid.uuid4().hex[:8]}"
    created = sfn.create_activity(name=name, tags=[{"key": "team", "value": "e2e"}])
    arn = created["activityArn"]
    assert arn == f"arn:aws:states:{REGION}:{ACCOUNT}:activity:{name}"
    assert sfn.create_activity(name=name)["activityArn"] == arn
    d = sfn.describe_activity(activityArn=arn)
    assert (d["name"], d["activityArn"]) == (name, arn)
    listed = [a["activityArn"] for a in sfn.list_activities()["activities"]]
    assert arn in listed
    assert error_of(sfn.create_activity, name="bad name")[0] == "InvalidName"
    assert error_of(sfn.describe_activity, activityArn="arn:aws:states:us-east-1:123456789012:stateMachine:x")[0] \
        == "InvalidArn"
    sfn.delete_activity(activityArn=arn)
    code, message = error_of(sfn.describe_activity, activityArn=arn)
    assert (code, message) == ("ActivityDoesNotExist", f"Activity Does Not Exist: '{arn}'")
    assert error_of(sfn.get_activity_task, activityArn=arn)[0] == "ActivityDoesNotExist"


def test_missing_activity_fails_the_execution(sfn):
    arn = f"arn:aws:states:{REGION}:{ACCOUNT}:activity:never-{uuid.uuid4().hex[:8]}"
    machine = activity_machine(sfn, arn)
    r = sfn.start_sync_execution(stateMachineArn=machine, input="{}")
    assert (r["status"], r["error"]) == ("FAILED", "States.Runtime")
    assert r["cause"].endswith(f"The activity {arn} does not exist.")
