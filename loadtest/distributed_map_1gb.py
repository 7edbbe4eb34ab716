#!/usr/bin/env python3
"""A distributed Map reading a 1 GiB S3 object in moto: peak RSS of `expressway serve`.

Starts moto's server and `expressway serve` on free loopback ports, uploads a
JSON Lines object of SIZE_MIB MiB (generated on the fly, never held whole by
this script), runs an EXPRESS machine whose distributed Map reads it with an
ItemReader (JSONL) and an ItemBatcher (256 KiB batches) into child executions
that return one small value each, and reports the execution's status and
duration and the server's peak RSS (VmHWM) before and after.

    python3 loadtest/distributed_map_1gb.py [EXPRESSWAY_BINARY] [SIZE_MIB]

Default binary: target/release/expressway (build it with
`cargo build --release`); SIZE_MIB defaults to 1024. Needs boto3 and
moto[server]. Both servers are stopped at the end.
"""

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request

import boto3
import boto3.s3.transfer
import botocore.config


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(url, deadline=60):
    end = time.time() + deadline
    while time.time() < end:
        try:
            urllib.request.urlopen(url, timeout=2)
            return
        except urllib.error.HTTPError:
            return
        except Exception:
            time.sleep(0.2)
    raise SystemExit(f"{url} did not answer")


def vm_hwm_mib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return 0.0


class Lines:
    """A file-like object yielding SIZE bytes of JSON Lines, 64 KiB per line."""

    def __init__(self, size):
        self.left = size
        self.n = 0
        self.buf = bytearray()

    def read(self, want=-1):
        if want is None or want < 0:
            want = self.left + len(self.buf)
        while len(self.buf) < want and self.left > 0:
            base = len(json.dumps({"id": self.n, "pad": ""})) + 1
            if self.left >= base:
                pad = "x" * min(65_000, self.left - base)
                line = (json.dumps({"id": self.n, "pad": pad}) + "\n").encode()
                self.n += 1
            else:  # too little left for an item: a blank line
                line = b" " * (self.left - 1) + b"\n"
            self.buf += line
            self.left -= len(line)
        out = bytes(self.buf[:want])
        del self.buf[:want]
        return out


def main():
    binary = sys.argv[1] if len(sys.argv) > 1 else "target/release/expressway"
    size_mib = int(sys.argv[2]) if len(sys.argv) > 2 else 1024
    moto_port, port = free_port(), free_port()
    env = dict(
        os.environ,
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_REGION="us-east-1",
        AWS_DEFAULT_REGION="us-east-1",
        AWS_ENDPOINT_URL_S3=f"http://127.0.0.1:{moto_port}",
    )
    moto = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(moto_port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    server = None
    try:
        wait_http(f"http://127.0.0.1:{moto_port}/moto-api/")
        s3 = boto3.client(
            "s3",
            endpoint_url=f"http://127.0.0.1:{moto_port}",
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
        s3.create_bucket(Bucket="big")
        t = time.time()
        body = Lines(size_mib * 1024 * 1024)
        s3.upload_fileobj(
            body,
            "big",
            "items.jsonl",
            Config=boto3.s3.transfer.TransferConfig(multipart_chunksize=64 * 1024 * 1024),
        )
        size = s3.head_object(Bucket="big", Key="items.jsonl")["ContentLength"]
        print(f"uploaded {size} bytes ({body.n} lines) in {time.time() - t:.1f} s")

        server = subprocess.Popen(
            [binary, "serve", "--port", str(port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_http(f"http://127.0.0.1:{port}/")
        sfn = boto3.client(
            "stepfunctions",
            endpoint_url=f"http://127.0.0.1:{port}",
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
            config=botocore.config.Config(inject_host_prefix=False, read_timeout=600),
        )
        definition = {
            "StartAt": "Read",
            "States": {
                "Read": {
                    "Type": "Map",
                    "ItemReader": {
                        "Resource": "arn:aws:states:::s3:getObject",
                        "ReaderConfig": {"InputType": "JSONL"},
                        "Parameters": {"Bucket": "big", "Key": "items.jsonl"},
                    },
                    "ItemBatcher": {"MaxInputBytesPerBatch": 262144},
                    "MaxConcurrency": 100,
                    "ItemProcessor": {
                        "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "EXPRESS"},
                        "StartAt": "Count",
                        "States": {
                            "Count": {
                                "Type": "Pass",
                                "Parameters": {"n.$": "States.ArrayLength($.Items)"},
                                "OutputPath": "$.n",
                                "End": True,
                            }
                        },
                    },
                    "End": True,
                }
            },
        }
        arn = sfn.create_state_machine(
            name="big-read",
            definition=json.dumps(definition),
            roleArn="arn:aws:iam::123456789012:role/x",
            type="EXPRESS",
        )["stateMachineArn"]
        before = vm_hwm_mib(server.pid)
        t = time.time()
        out = sfn.start_sync_execution(stateMachineArn=arn, input="{}")
        took = time.time() - t
        after = vm_hwm_mib(server.pid)
        status = out["status"]
        if status == "SUCCEEDED":
            counts = json.loads(out["output"])
            detail = f"{len(counts)} child executions, {sum(counts)} items"
        else:
            detail = f"{out.get('error')}: {out.get('cause')}"
        print(f"status {status} in {took:.1f} s: {detail}")
        print(f"expressway peak RSS (VmHWM): {before:.0f} MiB before, {after:.0f} MiB after")
        print(f"load average: {os.getloadavg()}")
        sys.exit(0 if status == "SUCCEEDED" else 1)
    finally:
        for p in (server, moto):
            if p is not None:
                p.terminate()
                p.wait()


if __name__ == "__main__":
    main()
