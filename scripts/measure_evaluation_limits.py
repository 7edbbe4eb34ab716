#!/usr/bin/env python3
"""Measures issue 11 reproducer 2 against a real `expressway serve`.

- Deadline: a JSONata state that never ends (a tail-recursive loop, and
  single CPU-bound builtin calls) in a machine with TimeoutSeconds 1, run by
  StartSyncExecution: how far past 1 s the execution ends (server-side
  stopDate - startDate, and the client's wall time).
- Stop: StopExecution of an execution spinning in JSONata: how long the
  process keeps burning CPU after the StopExecution answer (sampled from
  /proc/PID/stat every 2 ms; the kernel counts CPU time in 10 ms ticks, so
  the figure is +-10 ms).
- Big builtins: single calls over 10-20 million items with the memory caps
  raised to 4 GiB, so the deadline ends them: how far past it.
- Memory: each growing expression of the issue, one fresh server each: the
  error it fails with, how long it took, and the server's peak RSS (VmHWM).

EXPRESSWAY_RT=1 (as root) runs each server under `chrt -f 50`.

Usage: scripts/measure_evaluation_limits.py [path/to/expressway] [rounds]
(default target/release/expressway, 10 rounds). Starts and stops its own
servers on free 127.0.0.1 ports; prints one line per figure.
"""

import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

BIN = sys.argv[1] if len(sys.argv) > 1 else "target/release/expressway"
ROUNDS = int(sys.argv[2]) if len(sys.argv) > 2 else 10
ROLE = "arn:aws:iam::123456789012:role/x"
LOOP = "($f := function($i){ $f($i + 1) }; $f(0))"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, shards=2, extra=()):
        self.port = free_port()
        self.dir = tempfile.mkdtemp()
        # EXPRESSWAY_RT=1 (root): run the server at real-time priority, so a
        # figure measures its own work, not the other processes of a loaded
        # machine (the kernel keeps 5 % of the CPU for them).
        rt = ["chrt", "-f", "50"] if os.environ.get("EXPRESSWAY_RT") == "1" else []
        self.proc = subprocess.Popen(
            rt + [BIN, "serve", "--port", str(self.port), "--shards", str(shards),
                  "--definitions", self.dir, *extra],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(200):
            try:
                self.call("ListStateMachines", {})
                return
            except OSError:
                time.sleep(0.02)
        raise RuntimeError("server did not start")

    def call(self, op, body, timeout=600):
        req = urllib.request.Request(
            f"http://127.0.0.1:{self.port}/", data=json.dumps(body).encode(),
            headers={"content-type": "application/x-amz-json-1.0",
                     "x-amz-target": f"AWSStepFunctions.{op}"})
        try:
            with urllib.request.urlopen(req, timeout=timeout) as r:
                return json.loads(r.read())
        except urllib.error.HTTPError as e:
            return json.loads(e.read())

    def machine(self, name, expr, timeout_seconds):
        definition = {
            "QueryLanguage": "JSONata", "TimeoutSeconds": timeout_seconds,
            "StartAt": "Eval",
            "States": {"Eval": {"Type": "Pass", "Output": "{% " + expr + " %}", "End": True}},
        }
        r = self.call("CreateStateMachine", {
            "name": name, "definition": json.dumps(definition), "roleArn": ROLE,
            "type": "EXPRESS"})
        return r["stateMachineArn"]

    def cpu_ticks(self):
        with open(f"/proc/{self.proc.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return int(fields[11]) + int(fields[12])  # utime + stime

    def peak_rss_mib(self):
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) // 1024
        return -1

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=10)


def deadline(server):
    cases = {
        "tail-recursive loop": LOOP,
        "$string of a 5M-item array": "$length($string([1..5000000]))",
        "$sort with a comparator over 2M items":
            "$count($sort([1..2000000], function($a, $b){ $a < $b }))",
        "$distinct of 6M items": "$count($distinct([1..6000000]))",
    }
    for label, expr in cases.items():
        arn = server.machine("deadline" + str(abs(hash(label)) % 100000), expr, 1)
        over, wall = [], []
        statuses = set()
        for _ in range(ROUNDS):
            t0 = time.monotonic()
            r = server.call("StartSyncExecution", {"stateMachineArn": arn, "input": "{}"})
            wall.append(time.monotonic() - t0)
            statuses.add((r.get("status"), r.get("error")))
            over.append((r["stopDate"] - r["startDate"]) * 1000 - 1000)
        print(f"deadline 1 s, {label}: {sorted(statuses)}; past the deadline "
              f"median {statistics.median(over):.0f} ms, max {max(over):.0f} ms "
              f"(client wall median {statistics.median(wall) * 1000:.0f} ms)")


def big_builtins():
    """Single builtin calls over 10-20 million items, with the memory caps
    raised to 4 GiB so that the 1 s deadline, not the bytes cap, ends them:
    how far past the deadline each ends (copies, sorts and page faults
    included)."""
    cases = {
        "$string of 10M items": "$length($string([1..10000000]))",
        "$distinct of 10M items": "$count($distinct([1..10000000]))",
        "$sort with a comparator over 10M items":
            "$count($sort([1..10000000], function($a, $b){ $a < $b }))",
        "$join of 5M strings": "$length($join($map([1..5000000], $string), ','))",
        "$append of two 10M-item arrays": "$count($append([1..10000000], [1..10000000]))",
    }
    big = ("--evaluation-memory-mib", "4096", "--execution-memory-mib", "4096")
    for label, expr in cases.items():
        server = Server(extra=big)
        try:
            arn = server.machine("big", expr, 1)
            over = []
            statuses = set()
            for _ in range(ROUNDS):
                r = server.call("StartSyncExecution", {"stateMachineArn": arn, "input": "{}"})
                statuses.add((r.get("status"), r.get("error")))
                over.append((r["stopDate"] - r["startDate"]) * 1000 - 1000)
            print(f"deadline 1 s, caps 4 GiB, {label}: {sorted(statuses)}; past the deadline "
                  f"median {statistics.median(over):.0f} ms, max {max(over):.0f} ms; "
                  f"serve peak RSS {server.peak_rss_mib()} MiB")
        finally:
            server.stop()


def stop_latency(server):
    arn = server.machine("spin", LOOP, 300)
    hz = os.sysconf("SC_CLK_TCK")
    lat = []
    for _ in range(ROUNDS):
        exec_arn = server.call("StartExecution", {"stateMachineArn": arn})["executionArn"]
        time.sleep(0.3)
        t0 = time.monotonic()
        server.call("StopExecution", {"executionArn": exec_arn})
        answered = time.monotonic() - t0
        last, last_change = server.cpu_ticks(), time.monotonic()
        while time.monotonic() - last_change < 0.5:
            time.sleep(0.002)
            now = server.cpu_ticks()
            if now != last:
                last, last_change = now, time.monotonic()
        lat.append(max(0.0, last_change - t0))
        status = server.call("DescribeExecution", {"executionArn": exec_arn})["status"]
        assert status == "ABORTED", status
    print(f"StopExecution of a spinning JSONata execution: answered in "
          f"{answered * 1000:.0f} ms; CPU freed after median "
          f"{statistics.median(lat) * 1000:.0f} ms, max {max(lat) * 1000:.0f} ms "
          f"(+-{1000 // hz} ms tick)")


def memory():
    cases = {
        "$pad('x', 1e9)": "$pad('x', 1e9)",
        "string doubling": "($f := function($s, $n){ $n = 0 ? $s : $f($s & $s, $n - 1) }; $length($f('x', 40)))",
        "$append doubling": "($f := function($a, $n){ $n = 0 ? $a : $f($append($a, $a), $n - 1) }; $count($f([1], 40)))",
        "[1..10000000] ~> $map": "$count([1..10000000] ~> $map(function($v){ $v * 2 }))",
        "$count($distinct([1..1000000]))": "$count($distinct([1..1000000]))",
    }
    for label, expr in cases.items():
        server = Server()
        try:
            arn = server.machine("mem", expr, 300)
            t0 = time.monotonic()
            r = server.call("StartSyncExecution", {"stateMachineArn": arn, "input": "{}"})
            took = time.monotonic() - t0
            outcome = r.get("error") or r.get("output")
            print(f"{label}: {r.get('status')} {outcome} in {took * 1000:.0f} ms; "
                  f"serve peak RSS {server.peak_rss_mib()} MiB")
        finally:
            server.stop()


def main():
    print(f"binary {BIN}; load average {os.getloadavg()}")
    server = Server()
    try:
        deadline(server)
        stop_latency(server)
    finally:
        server.stop()
    big_builtins()
    memory()


if __name__ == "__main__":
    main()
