"""`serve`'s connection limits as an AWS client sees them (issue 11, reproducer 5): past
--http-max-connections boto3 gets `ServiceUnavailable` (HTTP 503), retried and then named with
the server's message, and is served again once a connection closes; the file-descriptor soft
limit of a serve started under `ulimit -n 1024` is raised to the hard limit."""

from __future__ import annotations

import resource
import socket
import subprocess
import time

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from conftest import REGION, ROOT, _answers, _binary, _free_port


@pytest.fixture()
def limited():
    """A serve with one connection at most, started with a soft descriptor limit of 1,024."""
    port = _free_port()

    def low_soft_limit():
        _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(1024, hard), hard))

    proc = subprocess.Popen([str(_binary()), "serve", "--port", str(port), "--http-max-connections", "1",
                             "--http-idle-timeout-ms", "60000", "--http-header-read-timeout-ms", "60000"],
                            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            stdin=subprocess.DEVNULL, preexec_fn=low_soft_limit)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while not _answers(url + "/"):
            assert proc.poll() is None and time.monotonic() < deadline, "serve did not start"
            time.sleep(0.05)
        yield proc, port, url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_past_the_connection_limit_boto3_sees_service_unavailable(limited):
    _, port, url = limited
    sfn = boto3.client("stepfunctions", endpoint_url=url, region_name=REGION,
                       aws_access_key_id="test", aws_secret_access_key="test",
                       config=Config(retries={"mode": "standard", "max_attempts": 2}))
    time.sleep(0.2)  # the start-up probe's connection is gone
    hold = socket.create_connection(("127.0.0.1", port))
    try:
        time.sleep(0.2)
        with pytest.raises(ClientError) as refused:
            sfn.list_state_machines()
        error = refused.value.response
        assert error["Error"]["Code"] == "ServiceUnavailable"
        assert error["ResponseMetadata"]["HTTPStatusCode"] == 503
        assert error["ResponseMetadata"]["RetryAttempts"] >= 1
        assert "limit is 1" in error["Error"]["Message"]
    finally:
        hold.close()
    deadline = time.monotonic() + 5
    while True:
        try:
            assert "stateMachines" in sfn.list_state_machines()
            break
        except ClientError:
            assert time.monotonic() < deadline, "no place freed within 5 s"
            time.sleep(0.05)


def test_the_descriptor_soft_limit_is_raised_to_the_hard_limit(limited):
    proc, _, _ = limited
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY:
        pytest.skip("an unlimited hard limit cannot be a soft limit on Linux")
    limits = open(f"/proc/{proc.pid}/limits").read().splitlines()
    soft_now = next(line for line in limits if line.startswith("Max open files")).split()[3]
    assert int(soft_now) == hard, limits
