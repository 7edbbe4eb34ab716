"""README.md's shell blocks, run exactly as written (as jaq checks its manual).

Every ```sh / ```bash block of README.md (and every ```python block) is either run here, its
text unchanged, or starts with a visible line `# not run: REASON` (needs AWS credentials, a long
benchmark, …); such a block is reported as skipped with its reason. A block is run with
`bash -e -o pipefail` from the checkout, in an environment without the caller's `AWS_*`,
`EXPRESSWAY_*` and `SFN_*` variables or AWS config files, so it must carry what a newcomer's
shell would need. `cargo install` goes to a temporary `CARGO_INSTALL_ROOT`, put first on `PATH`.

The README uses fixed ports (8083, 8084, 9099, 6379): each block's test runs in its own network
namespace (`unshare -n`, `-rn` when not root) whose loopback is private, so those ports are free
and nothing on the machine can collide; every process a block starts is in one session that the
test stops. Without a usable `unshare` the blocks run on the host's loopback and need those
ports free.

Roles, by the block's text:
- a *server* block runs `serve` in the foreground (`cargo run --release -- serve`): the test
  starts it, waits until its port answers and starts a payment through it;
- a *client* block talks to http://127.0.0.1:8083 without starting a server: the test starts the
  README's first server block first, as the reader has it running "in another terminal";
- a block calling a bare `expressway` without installing it first runs after the README's
  install block (`cargo install --locked --path .`);
- every other block runs on its own. A block must exit 0 (a server block must stay up), and the
  blocks listed in CHECKS must also do what the README says they do.

The release build: `cargo run --release` builds it when absent (scripts/test.sh has built it
before the end-to-end suite, so here it only starts); README_BUILD_TIMEOUT (seconds, default
1800) bounds the wait.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import boto3
import pytest
from botocore.config import Config

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
NOT_RUN = re.compile(r"^#\s*not run:\s*(.*)$")
# The README's test command, as `.ci/run` runs it: never run by itself.
TEST_COMMAND = "bash scripts/test.sh"
BUILD_TIMEOUT = float(os.environ.get("README_BUILD_TIMEOUT", "1800"))
BLOCK_TIMEOUT = 180.0
IN_NETNS = "EXPRESSWAY_README_NETNS"
PAYMENT_ARN = "arn:aws:states:us-east-1:123456789012:stateMachine:payment"


@dataclass(frozen=True)
class Block:
    """One fenced block of README.md: its language, first line number (1-based) and text."""

    lang: str
    line: int
    text: str

    @property
    def not_run(self) -> str | None:
        """The reason given on a first line `# not run: REASON`, else None."""
        if self.text.strip() == TEST_COMMAND:
            return "it is the test command itself (it runs this README's blocks)"
        first = self.text.lstrip("\n").split("\n", 1)[0].strip()
        m = NOT_RUN.match(first)
        return m.group(1).strip() if m else None

    @property
    def commands(self) -> str:
        """The text without comments (a `#` at a line's start or after a space)."""
        return "\n".join(re.sub(r"(^|\s)#.*$", "", line) for line in self.text.split("\n"))

    @property
    def id(self) -> str:
        first_command = next(line for line in self.commands.split("\n") if line.strip())
        return f"L{self.line}-" + re.sub(r"[^A-Za-z0-9.]+", "-", first_command.strip())[:32].strip("-")


def readme_blocks() -> list[Block]:
    blocks, lang, start, body = [], None, 0, []
    for n, line in enumerate(README.read_text().split("\n"), 1):
        fence = re.match(r"^```(\w*)\s*$", line)
        if fence and lang is None:
            lang, start, body = fence.group(1) or "text", n, []
        elif line.startswith("```") and lang is not None:
            blocks.append(Block(lang, start, "\n".join(body) + "\n"))
            lang = None
        elif lang is not None:
            body.append(line)
    assert lang is None, f"README.md: the block at line {start} is never closed"
    return [b for b in blocks if b.lang in ("sh", "bash", "python")]


BLOCKS = readme_blocks()


def is_server(b: Block) -> bool:
    """Runs `serve` in the foreground (a line with `serve` that does not end in `&`)."""
    return b.lang != "python" and any(
        re.search(r"(^|\s)serve(\s|$)", line) and not line.rstrip().endswith("&")
        for line in b.commands.split("\n")
    )


def is_client(b: Block) -> bool:
    return "127.0.0.1:8083" in b.text and not re.search(r"(^|\s)serve(\s|$)", b.commands)


def installs(b: Block) -> bool:
    return bool(re.search(r"cargo install\b.*--path", b.commands))


def uses_installed(b: Block) -> bool:
    return b.lang != "python" and bool(re.search(r"(^|[\s;&|(])expressway\s", b.commands)) and not installs(b)


def runnable() -> list[Block]:
    return [b for b in BLOCKS if b.not_run is None]


def first(pred: Callable[[Block], bool], what: str) -> Block:
    found = [b for b in runnable() if pred(b)]
    assert found, f"README.md has no runnable {what} block"
    return found[0]


# --- running a block ----------------------------------------------------------------------------


def _loopback_up() -> None:
    """Sets `lo` up (SIOCGIFFLAGS / SIOCSIFFLAGS): a new network namespace starts with it down."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        ifreq = struct.pack("16sH14x", b"lo", 0)
        flags = struct.unpack("16sH14x", fcntl.ioctl(s, 0x8913, ifreq))[1]
        fcntl.ioctl(s, 0x8914, struct.pack("16sH14x", b"lo", flags | 0x1))


def _unshare_args() -> list[str] | None:
    """The `unshare` command giving a private network namespace, or None where it is refused."""
    if not shutil.which("unshare"):
        return None
    args = ["unshare", "-n"] if os.geteuid() == 0 else ["unshare", "-rn"]
    ok = subprocess.run([*args, "true"], capture_output=True, stdin=subprocess.DEVNULL).returncode == 0
    return args if ok else None


def block_env(tmp: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "EXPRESSWAY_", "SFN_"))}
    env.update(
        CARGO_INSTALL_ROOT=str(tmp / "cargo-install"),
        PATH=f"{tmp / 'cargo-install' / 'bin'}{os.pathsep}{env.get('PATH', '')}",
        AWS_CONFIG_FILE=str(tmp / "no-aws-config"),
        AWS_SHARED_CREDENTIALS_FILE=str(tmp / "no-aws-credentials"),
        AWS_PAGER="",
        PYTHONUNBUFFERED="1",
    )
    if os.environ.get(IN_NETNS):
        # The private network namespace has no route out: cargo uses what it has cached (a
        # `cargo install --locked` would otherwise retry the index to look for yanked crates).
        env["CARGO_NET_OFFLINE"] = "true"
    env.pop("PYTEST_CURRENT_TEST", None)
    return env


class Session:
    """Blocks run in the checkout; at the end the processes they left are stopped and the files
    they created at its top level (the ones their text names) removed."""

    def __init__(self, tmp: Path):
        self.tmp = tmp
        self.env = block_env(tmp)
        self.procs: list[subprocess.Popen] = []
        self.before = set(os.listdir(ROOT))
        self.count = 0
        self.texts: list[str] = []

    def _argv(self, b: Block) -> list[str]:
        return ["python3", "-"] if b.lang == "python" else ["bash", "-e", "-o", "pipefail", "-s"]

    def start(self, b: Block) -> tuple[subprocess.Popen, Path]:
        self.count += 1
        log = self.tmp / f"block-{self.count}-L{b.line}.log"
        with open(log, "wb") as out:
            p = subprocess.Popen(self._argv(b), cwd=ROOT, env=self.env, stdin=subprocess.PIPE, stdout=out,
                                 stderr=subprocess.STDOUT, start_new_session=True)
        p.stdin.write(b.text.encode())
        p.stdin.close()
        self.procs.append(p)
        self.texts.append(b.text)
        return p, log

    def run(self, b: Block, timeout: float = BLOCK_TIMEOUT) -> str:
        """Runs the block to its end; its output (stdout and stderr). Fails unless it exits 0."""
        p, log = self.start(b)
        try:
            p.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            pytest.fail(f"README.md line {b.line}: the block did not end within {timeout:g} s:\n"
                        f"{b.text}\n--- output ---\n{log.read_text(errors='replace')}")
        out = log.read_text(errors="replace")
        assert p.returncode == 0, f"README.md line {b.line}: exit {p.returncode}:\n{b.text}\n--- output ---\n{out}"
        return out

    def serve(self, b: Block) -> str:
        """Starts a server block; waits until its port answers; its endpoint."""
        m = re.search(r"--port[ =](\d+)", b.commands)
        port = int(m.group(1)) if m else 8083
        p, log = self.start(b)
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + BUILD_TIMEOUT
        while not answers(url + "/healthz"):
            if p.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"README.md line {b.line}: nothing answers at {url}:\n{b.text}\n--- output ---\n"
                            f"{log.read_text(errors='replace')}")
            time.sleep(0.1)
        return url

    def close(self) -> None:
        for p in self.procs:
            try:
                os.killpg(p.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + 10
        for p in self.procs:
            while time.monotonic() < deadline and _group_alive(p.pid):
                time.sleep(0.05)
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            if p.poll() is None:
                p.wait()
        # Only what the blocks name (report.jsonl, token.txt, …) or Redis leaves behind.
        named = "\n".join(self.texts)
        for name in set(os.listdir(ROOT)) - self.before:
            if name not in ("appendonlydir", "dump.rdb") and not re.search(rf"(^|[\s/=]){re.escape(name)}(\s|$)", named):
                continue
            path = ROOT / name
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie leader still counts; reap it if it is ours.
    try:
        os.waitpid(pgid, os.WNOHANG)
    except ChildProcessError:
        pass
    return True


def answers(url: str) -> bool:
    try:
        urllib.request.urlopen(url, timeout=1)
    except urllib.error.HTTPError:
        return True
    except OSError:
        return False
    return True


def sfn(url: str):
    return boto3.client("stepfunctions", endpoint_url=url, region_name="us-east-1", aws_access_key_id="test",
                        aws_secret_access_key="test", config=Config(inject_host_prefix=False,
                                                                    retries={"max_attempts": 0}))


# --- what particular blocks must do, besides exiting 0 -------------------------------------------


def check_server(url: str, _out: str, _s: Session) -> None:
    r = sfn(url).start_sync_execution(stateMachineArn=PAYMENT_ARN,
                                      input=(ROOT / "examples/payment/input-happy.json").read_text())
    assert r["status"] == "SUCCEEDED", r


def check_start_sync(_url: str, out: str, _s: Session) -> None:
    assert json.loads(out)["status"] == "SUCCEEDED", out


def check_task_token(url: str, out: str, _s: Session) -> None:
    arn = json.loads(out[out.index("{"):out.index("}") + 1])["executionArn"]
    client, deadline = sfn(url), time.monotonic() + 30
    while (d := client.describe_execution(executionArn=arn))["status"] == "RUNNING" and time.monotonic() < deadline:
        time.sleep(0.1)
    assert d["status"] == "SUCCEEDED", d
    assert json.loads(d["output"])["threeDS"]["status"] == "AUTHENTICATED", d["output"]


def check_python(_url: str, out: str, _s: Session) -> None:
    assert out.startswith("SUCCEEDED "), out


def check_install(_url: str, out: str, _s: Session) -> None:
    assert '"status":"SUCCEEDED"' in out.replace(" ", ""), out


def check_consume_file(_url: str, out: str, _s: Session) -> None:
    report = [json.loads(line) for line in (ROOT / "report.jsonl").read_text().splitlines()]
    assert [(r["line"], r["status"], r.get("error")) for r in sorted(report, key=lambda r: r["line"])] == [
        (1, "SUCCEEDED", None), (2, "FAILED", "PaymentDeclined"), (3, "FAILED", "CaptureFailed")], report
    assert len((ROOT / "failed.jsonl").read_text().splitlines()) == 2
    assert json.loads((ROOT / "events.ckpt").read_text())["through"] == 3


def check_cluster(_url: str, out: str, s: Session) -> None:
    urls = ["http://127.0.0.1:8083", "http://127.0.0.1:8084"]
    deadline = time.monotonic() + 60
    while not all(answers(u + "/healthz") for u in urls):
        assert time.monotonic() < deadline, f"the cluster's instances do not answer:\n{out}"
        time.sleep(0.1)
    a, b = sfn(urls[0]), sfn(urls[1])
    a.create_state_machine(name="readme-cluster", roleArn="arn:aws:iam::123456789012:role/r", type="EXPRESS",
                           definition='{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}')
    while "readme-cluster" not in [m["name"] for m in b.list_state_machines()["stateMachines"]]:
        assert time.monotonic() < deadline, "a machine created on instance a never showed on b"
        time.sleep(0.1)


# (what identifies the block, its check); each must match exactly one runnable block.
CHECKS: list[tuple[Callable[[Block], bool], Callable[[str, str, Session], None]]] = [
    (lambda b: is_server(b) and "cargo run --release -- serve" in b.commands, check_server),
    (lambda b: "start-sync-execution" in b.commands and b.lang == "bash", check_start_sync),
    (lambda b: "send-task-success" in b.commands, check_task_token),
    (lambda b: b.lang == "python" and "start_sync_execution" in b.text, check_python),
    (lambda b: installs(b) and not uses_installed(b) and "expressway run" in b.commands, check_install),
    (lambda b: "consume file" in b.commands, check_consume_file),
    (lambda b: "--cluster redis://" in b.commands and re.search(r"\sserve\s", b.commands), check_cluster),
]


def checks_of(b: Block) -> list[Callable[[str, str, Session], None]]:
    return [check for matches, check in CHECKS if matches(b)]


# --- the tests ----------------------------------------------------------------------------------


def test_every_block_is_run_or_says_why_not():
    assert len(runnable()) >= 5, "fewer runnable README blocks than expected: is the parser broken?"
    for b in BLOCKS:
        if b.not_run is not None:
            assert len(b.not_run) >= 10, f"README.md line {b.line}: `# not run:` needs a reason"
            if b.lang != "python":  # not run, but at least valid shell
                r = subprocess.run(["bash", "-n"], input=b.text, capture_output=True, text=True)
                assert r.returncode == 0, f"README.md line {b.line}: {r.stderr}"
    for matches, check in CHECKS:
        found = [b.line for b in runnable() if matches(b)]
        assert len(found) == 1, f"{check.__name__}: README blocks at lines {found} (expected exactly one)"


def test_ci_runs_the_readme_test_command():
    """`.ci/run` runs the README's test command as the README writes it (its own line), and the
    README gives that command as a block of its own ("Two commands" and "Tests")."""
    ci_lines = [line.strip() for line in (ROOT / ".ci" / "run").read_text().splitlines()]
    assert TEST_COMMAND in ci_lines, ".ci/run does not run the README's test command"
    given = [b for b in BLOCKS if b.text.strip() == TEST_COMMAND]
    assert len(given) >= 2, [b.line for b in given]


def _private_network(request) -> bool:
    """Re-runs this test in its own network namespace; True when that was done (and passed)."""
    if os.environ.get(IN_NETNS):
        _loopback_up()
        return False
    args = _unshare_args()
    if args is None:
        return False
    env = dict(os.environ, **{IN_NETNS: "1"})
    r = subprocess.run([*args, sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-x",
                        f"{Path(__file__).relative_to(ROOT)}::{request.node.name}"],
                       cwd=ROOT, env=env, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    assert r.returncode == 0, f"in a private network namespace:\n{r.stdout}\n{r.stderr}"
    return True


@pytest.mark.parametrize("block", BLOCKS, ids=[b.id for b in BLOCKS])
def test_block(block: Block, request, tmp_path):
    if block.not_run is not None:
        pytest.skip(f"README.md line {block.line}: not run: {block.not_run}")
    if _private_network(request):
        return
    s = Session(tmp_path)
    try:
        url = ""
        if is_client(block):
            url = s.serve(first(is_server, "server"))
        if uses_installed(block):
            s.run(first(installs, "install"), timeout=BUILD_TIMEOUT)
        if is_server(block):
            url, out = s.serve(block), ""
        else:
            out = s.run(block, timeout=BUILD_TIMEOUT if installs(block) else BLOCK_TIMEOUT)
        for check in checks_of(block):
            check(url, out, s)
    finally:
        s.close()
