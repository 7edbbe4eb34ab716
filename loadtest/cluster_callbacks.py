#!/usr/bin/env python3
"""Task Token callbacks across instances (issue 13, guarantee 3): latency.

Starts redis-server and two `expressway serve --cluster` instances (a, b) on
free loopback ports, creates a machine whose HTTP Task (`.waitForTaskToken`)
posts its token to a worker in this script, starts N executions on a, then
sends each token's SendTaskSuccess to b (which forwards it to a) one at a
time and prints the latency percentiles of those calls (HTTP round trip
included) and how many executions ended SUCCEEDED.

Usage (after `cargo build --release --bin expressway`):
    python3 loadtest/cluster_callbacks.py [N]     # default N = 500
Environment: EXPRESSWAY_BIN (default target/release/expressway).
"""
import http.server
import json
import os
import queue
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.environ.get("EXPRESSWAY_BIN", os.path.join(ROOT, "target", "release", "expressway"))
N = int(sys.argv[1]) if len(sys.argv) > 1 else 500
ARN = "arn:aws:states:us-east-1:123456789012:stateMachine:callback"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def call(port, op, body):
    req = urllib.request.Request(
        f"http://127.0.0.1:{port}/",
        data=json.dumps(body).encode(),
        headers={"X-Amz-Target": f"AWSStepFunctions.{op}",
                 "Content-Type": "application/x-amz-json-1.0"},
    )
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.loads(r.read() or b"{}")


def wait_port(port):
    for _ in range(300):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise SystemExit(f"nothing listens on {port}")


def main():
    work = tempfile.mkdtemp()
    procs = []
    tokens = queue.Queue()

    class Worker(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("content-length", 0)))
            tokens.put(json.loads(body)["token"])
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", "2")
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, *args):
            pass

    worker = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Worker)
    threading.Thread(target=worker.serve_forever, daemon=True).start()
    try:
        rport = free_port()
        procs.append(subprocess.Popen(
            ["redis-server", "--bind", "127.0.0.1", "--port", str(rport), "--save", "",
             "--appendonly", "no", "--dir", work],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        wait_port(rport)
        os.mkdir(os.path.join(work, "defs"))
        ports = {}
        for node in ("a", "b"):
            ports[node] = free_port()
            procs.append(subprocess.Popen(
                [BIN, "serve", "--port", str(ports[node]), "--definitions",
                 os.path.join(work, "defs"), "--cluster", f"redis://127.0.0.1:{rport}",
                 "--node-id", node],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
            wait_port(ports[node])
        definition = {"StartAt": "Call", "States": {"Call": {
            "Type": "Task", "Resource": "arn:aws:states:::http:invoke.waitForTaskToken",
            "Parameters": {
                "ApiEndpoint": f"http://127.0.0.1:{worker.server_address[1]}/token",
                "Method": "POST",
                "Authentication": {"ConnectionArn": "arn:aws:events:us-east-1:123456789012:connection/c/1"},
                "RequestBody": {"token.$": "$$.Task.Token"}},
            "TimeoutSeconds": 120, "End": True}}}
        call(ports["a"], "CreateStateMachine", {
            "name": "callback", "roleArn": "arn:aws:iam::123456789012:role/r",
            "type": "EXPRESS", "definition": json.dumps(definition)})
        arns = [call(ports["a"], "StartExecution", {"stateMachineArn": ARN})["executionArn"]
                for _ in range(N)]
        got = [tokens.get(timeout=30) for _ in range(N)]
        took = []
        for t in got:
            began = time.perf_counter()
            call(ports["b"], "SendTaskSuccess", {"taskToken": t, "output": "{\"ok\":true}"})
            took.append((time.perf_counter() - began) * 1000)
        time.sleep(0.5)
        ok = sum(call(ports["a"], "DescribeExecution", {"executionArn": a})["status"] == "SUCCEEDED"
                 for a in arns)
        took.sort()
        pick = lambda q: took[min(len(took) - 1, int(q * len(took)))]
        print(f"{N} SendTaskSuccess to b for Tasks waiting on a: "
              f"p50 {pick(0.5):.2f} ms, p99 {pick(0.99):.2f} ms, max {took[-1]:.2f} ms; "
              f"{ok}/{N} executions SUCCEEDED")
        if ok != N:
            raise SystemExit("FAIL: not every execution ended")
    finally:
        for p in procs:
            p.kill()
            p.wait()
        worker.shutdown()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
