#!/usr/bin/env python3
"""The attacks of issue 11 against a local `expressway serve`, for loadtest/noisy-neighbour.sh.

Each attack talks to 127.0.0.1 only, runs for at most --duration seconds, bounds every count,
and prints one JSON line saying what it saw (HTTP statuses, error types, connection counts).
Standard library only.

  python3 loadtest/attacks.py ATTACK --port PORT --duration SECONDS
  python3 loadtest/attacks.py monitor --pid PID --out FILE [--cap-mib MIB]

ATTACK is one of:
  connections  1,100 idle connections and 200 slowloris ones (a byte every 2 s), reopened
               whenever the server closes them
  deep         a Pass state whose ResultPath has 10,000 segments, started every 0.5 s, and two
               executions of a Pass -> Choice -> Pass loop that nests the document one level
               per turn
  jsonata      executions of `$count($distinct([1..1000000]))`: two at once (one per shard),
               then one more every 5 s
  map          a Map over 1,000 items of a 220 KB input whose ItemSelector reads `$$`, started
               one after the other (StartSyncExecution)
  panic        definitions with `States.é()` (a non-ASCII intrinsic name) sent to
               ValidateStateMachineDefinition and CreateStateMachine, 20 a second
  oversized    3 MiB request bodies (over the 2 MiB limit), 10 a second
"""

import argparse
import collections
import http.client
import json
import os
import resource
import selectors
import signal
import socket
import sys
import time

ACCOUNT = "123456789012"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/attack"


def arn(name):
    return f"arn:aws:states:us-east-1:{ACCOUNT}:stateMachine:{name}"


def post(port, op, body, timeout=10.0):
    """One API call; (status, __type or execution status) or ("error", exception name)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("POST", "/", body=json.dumps(body), headers={
            "X-Amz-Target": f"AWSStepFunctions.{op}",
            "Content-Type": "application/x-amz-json-1.0",
        })
        resp = conn.getresponse()
        text = resp.read()
        try:
            doc = json.loads(text)
        except ValueError:
            doc = {}
        what = doc.get("__type", "").split("#")[-1] or doc.get("status") or ""
        if doc.get("error"):
            what += f" {doc['error']}"
        return resp.status, what.strip()
    except Exception as e:  # noqa: BLE001 - every failure is an observation here
        return "error", type(e).__name__
    finally:
        conn.close()


def create(port, name, definition):
    return post(port, "CreateStateMachine", {
        "name": name, "definition": json.dumps(definition), "roleArn": ROLE, "type": "EXPRESS",
    })


class Tally:
    """Counts of outcomes, printed as {"status what": count}."""

    def __init__(self):
        self.counts = collections.Counter()

    def add(self, outcome):
        status, what = outcome
        self.counts[f"{status} {what}".strip()] += 1

    def json(self):
        return dict(self.counts.most_common(12))


def raise_nofile():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def attack_connections(port, duration, idle=1100, slow=200, interval=2.0):
    """Idle and slowloris connections, kept at their numbers for `duration` s."""
    raise_nofile()
    sel = selectors.DefaultSelector()
    head = (b"POST / HTTP/1.1\r\nHost: localhost\r\nX-Amz-Target: AWSStepFunctions.ListStateMachines\r\n"
            b"X-Slow: " + b"a" * 4000)  # never ends within the attack: 2 s a byte
    stats = collections.Counter()
    lifetimes = {"idle": [], "slow": []}
    answers = collections.Counter()
    conns = {}  # socket -> [kind, opened_at, next_send, sent]
    end = time.monotonic() + duration

    def open_one(kind):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setblocking(False)
        err = s.connect_ex(("127.0.0.1", port))
        if err not in (0, 115):  # EINPROGRESS
            s.close()
            stats["connect_failed"] += 1
            return
        now = time.monotonic()
        conns[s] = [kind, now, now, 0]
        sel.register(s, selectors.EVENT_READ)
        stats["opened"] += 1

    def close(s, by_server):
        kind, opened = conns[s][0], conns[s][1]
        sel.unregister(s)
        s.close()
        del conns[s]
        if by_server:
            stats[f"{kind}_closed_by_server"] += 1
            lifetimes[kind].append(time.monotonic() - opened)

    while time.monotonic() < end:
        want = {"idle": idle, "slow": slow}
        have = collections.Counter(c[0] for c in conns.values())
        for kind in ("idle", "slow"):
            for _ in range(min(want[kind] - have[kind], 300)):
                open_one(kind)
        stats["max_open"] = max(stats["max_open"], len(conns))
        for key, _ in sel.select(timeout=0.1):
            s = key.fileobj
            try:
                data = s.recv(65536)
            except OSError:
                data = b""
            if data:
                first = data.split(b"\r\n", 1)[0].decode("latin-1")
                answers[first[:40]] += 1
            close(s, by_server=True)
        now = time.monotonic()
        for s, c in list(conns.items()):
            if c[0] == "slow" and now >= c[2] and c[3] < len(head):
                try:
                    s.send(head[c[3]:c[3] + 1])
                    c[3] += 1
                except OSError:
                    pass
                c[2] = now + interval
        if stats["connect_failed"] > 10000:
            break
    for s in list(conns):
        close(s, by_server=False)

    def summary(xs):
        xs = sorted(xs)
        return {"n": len(xs), "median_s": round(xs[len(xs) // 2], 1) if xs else None,
                "max_s": round(xs[-1], 1) if xs else None}
    return {"stats": dict(stats), "idle_lifetime": summary(lifetimes["idle"]),
            "slow_lifetime": summary(lifetimes["slow"]), "answers_before_close": dict(answers)}


def until(duration):
    end = time.monotonic() + duration
    while time.monotonic() < end:
        yield end - time.monotonic()


def attack_deep(port, duration):
    tally, loops = Tally(), Tally()
    deep = {"StartAt": "P", "States": {"P": {"Type": "Pass", "ResultPath": "$" + ".a" * 10000,
                                               "End": True}}}
    loop = {"StartAt": "Nest", "States": {
        "Nest": {"Type": "Pass", "Parameters": {"a.$": "$"}, "Next": "Again"},
        "Again": {"Type": "Choice", "Choices": [
            {"Variable": "$.stop", "IsPresent": True, "Next": "Done"}], "Default": "Nest"},
        "Done": {"Type": "Succeed"}}}
    made = {"deep": create(port, "attack-deep", deep), "loop": create(port, "attack-loop", loop)}
    for i in range(2):
        loops.add(post(port, "StartExecution", {"stateMachineArn": arn("attack-loop"),
                                                "input": "{}", "name": f"loop-{i}"}))
    for _ in until(duration):
        tally.add(post(port, "StartSyncExecution", {"stateMachineArn": arn("attack-deep"),
                                                    "input": "{}"}, timeout=10))
        time.sleep(0.5)
    return {"create": {k: list(v) for k, v in made.items()}, "loop_starts": loops.json(),
            "deep_sync": tally.json()}


def attack_jsonata(port, duration):
    tally = Tally()
    machine = {"QueryLanguage": "JSONata", "StartAt": "P", "States": {"P": {
        "Type": "Pass", "Output": "{% $count($distinct([1..1000000])) %}", "End": True}}}
    made = create(port, "attack-jsonata", machine)
    started = 0
    next_start = time.monotonic()
    for _ in until(duration):
        if time.monotonic() >= next_start and started < 2 + int(duration / 5):
            for _ in range(2 if started == 0 else 1):
                tally.add(post(port, "StartExecution", {"stateMachineArn": arn("attack-jsonata"),
                                                        "input": "{}"}, timeout=10))
                started += 1
            next_start = time.monotonic() + 5
        time.sleep(0.1)
    return {"create": list(made), "starts": tally.json()}


def attack_map(port, duration):
    tally = Tally()
    machine = {"StartAt": "M", "States": {"M": {
        "Type": "Map", "ItemsPath": "$.items", "MaxConcurrency": 0, "ResultPath": None,
        "ItemSelector": {"i.$": "$$.Map.Item.Value", "n.$": "$$.Execution.Name"},
        "ItemProcessor": {"StartAt": "I", "States": {"I": {"Type": "Pass", "End": True}}},
        "End": True}}}
    made = create(port, "attack-map", machine)
    payload = json.dumps({"items": list(range(1000)), "pad": "x" * 220_000})
    runs = 0
    for left in until(duration):
        tally.add(post(port, "StartSyncExecution", {"stateMachineArn": arn("attack-map"),
                                                    "input": payload}, timeout=max(left, 1)))
        runs += 1
        if runs >= 1000:
            break
    return {"create": list(made), "input_bytes": len(payload), "runs": tally.json()}


def attack_panic(port, duration):
    tally = Tally()
    bad = json.dumps({"StartAt": "P", "States": {"P": {
        "Type": "Pass", "Parameters": {"a.$": "States.é()"}, "End": True}}})
    i = 0
    for _ in until(duration):
        if i % 2 == 0:
            out = post(port, "ValidateStateMachineDefinition", {"definition": bad})
        else:
            out = post(port, "CreateStateMachine", {"name": f"panic-{i}", "definition": bad,
                                                    "roleArn": ROLE, "type": "EXPRESS"})
        tally.add(out)
        i += 1
        time.sleep(0.05)
    return {"answers": tally.json()}


def attack_oversized(port, duration, size=3 * 1024 * 1024):
    tally = Tally()
    body = b" " * size
    head = (f"POST / HTTP/1.1\r\nHost: localhost\r\nX-Amz-Target: AWSStepFunctions.StartExecution\r\n"
            f"Content-Type: application/x-amz-json-1.0\r\nContent-Length: {size}\r\n\r\n").encode()
    for _ in until(duration):
        s = socket.create_connection(("127.0.0.1", port), timeout=5)
        try:
            s.sendall(head)
            try:
                s.sendall(body)
            except OSError:
                pass
            data = b""
            while b"\r\n\r\n" not in data:
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
            lines = data.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")
            close = any(line.lower() == "connection: close" for line in lines[1:])
            tally.add((lines[0][9:12] or "no-answer", "close" if close else "keep-alive"))
        except OSError as e:
            tally.add(("error", type(e).__name__))
        finally:
            s.close()
        time.sleep(0.1)
    return {"answers": tally.json()}


def monitor(pid, out, cap_mib, limit_s=900):
    """Samples VmRSS / VmHWM of `pid` every 100 ms until it exits; SIGKILLs it past the cap."""
    peak_rss = hwm = 0
    capped = False
    end = time.monotonic() + limit_s
    while time.monotonic() < end:
        try:
            with open(f"/proc/{pid}/status") as f:
                fields = dict(line.split(":", 1) for line in f if ":" in line)
        except OSError:
            break
        if fields.get("State", "").strip().startswith("Z"):
            break
        rss = int(fields["VmRSS"].split()[0])
        hwm = max(hwm, int(fields["VmHWM"].split()[0]))
        peak_rss = max(peak_rss, rss)
        if rss > cap_mib * 1024 and not capped:
            capped = True
            os.kill(pid, signal.SIGKILL)
        with open(out, "w") as f:
            json.dump({"hwm_kib": hwm, "peak_rss_kib": peak_rss, "capped": capped}, f)
        time.sleep(0.1)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("attack", choices=["connections", "deep", "jsonata", "map", "panic", "oversized",
                                      "monitor"])
    p.add_argument("--port", type=int, default=18095)
    p.add_argument("--duration", type=float, default=20.0)
    p.add_argument("--pid", type=int)
    p.add_argument("--out")
    p.add_argument("--cap-mib", type=int, default=4096)
    a = p.parse_args()
    a.duration = min(a.duration, 600.0)
    if a.attack == "monitor":
        monitor(a.pid, a.out, a.cap_mib)
        return
    run = globals()[f"attack_{a.attack}"]
    started = time.monotonic()
    result = run(a.port, a.duration)
    result["attack"] = a.attack
    result["seconds"] = round(time.monotonic() - started, 1)
    print(json.dumps(result))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
