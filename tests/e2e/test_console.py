"""The web console (`/console`) and the probes, driven in a real headless Chromium (Debian's
`chromium` and `chromium-driver`, installed by .ci/run) through Selenium.

Screenshots are saved as test artefacts under target/test-logs/console-*.png.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import shutil
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from conftest import PAYMENT, PAYMENT_ARN, ROOT, request, sample
from test_payment import Acs

from selenium import webdriver  # noqa: E402
from selenium.webdriver.chrome.options import Options  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

ARTEFACTS = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target")) / "test-logs"
WAIT_S = 20


def _chromium() -> tuple[str, str]:
    browser = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    driver = shutil.which("chromedriver")
    if not browser or not driver:
        pytest.fail("Chromium and chromedriver are needed: apt-get install -y chromium chromium-driver")
    return browser, driver


@pytest.fixture(scope="module")
def browser():
    binary, driver_path = _chromium()
    profile = tempfile.mkdtemp(prefix="console-chromium-")
    options = Options()
    options.binary_location = binary
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage", f"--user-data-dir={profile}", "--window-size=1680,1500"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(executable_path=driver_path), options=options)
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def wait(driver, condition, what: str, timeout: float = WAIT_S):
    """Waits until `condition(driver)` is truthy; the failure names `what`."""
    return WebDriverWait(driver, timeout, poll_frequency=0.1).until(lambda d: condition(d), message=what)


def screenshot(driver, name: str) -> Path:
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTEFACTS / f"console-{name}.png"
    height = driver.execute_script("return Math.max(document.body.scrollHeight, 900)")
    driver.set_window_size(1680, min(int(height) + 40, 4000))
    driver.save_screenshot(str(path))
    assert path.stat().st_size > 10_000, "an empty screenshot"
    return path


def payment_definition() -> dict:
    return json.loads((PAYMENT / "payment.asl.json").read_text())


def all_states(scope: dict) -> dict:
    """Every state of a definition by name, branches and item processors included."""
    out = {}
    for name, st in scope["States"].items():
        out[name] = st
        for branch in st.get("Branches", []):
            out.update(all_states(branch))
        for key in ("ItemProcessor", "Iterator"):
            if key in st:
                out.update(all_states(st[key]))
    return out


def expected_edges(scope: dict) -> set[tuple[str, str, str]]:
    """(from, to, kind) of every transition, Choice Rule, Catcher, Retrier and branch entry."""
    edges = set()
    for name, st in all_states(scope).items():
        if "Next" in st:
            edges.add((name, st["Next"], "next"))
        for rule in st.get("Choices", []):
            edges.add((name, rule["Next"], "choice"))
        if "Default" in st:
            edges.add((name, st["Default"], "default"))
        for catcher in st.get("Catch", []):
            edges.add((name, catcher["Next"], "catch"))
        if any(r.get("MaxAttempts", 3) > 0 for r in st.get("Retry", [])):
            edges.add((name, name, "retry"))
        for branch in st.get("Branches", []):
            edges.add((name, branch["StartAt"], "branch"))
    return edges


def open_machine(driver, endpoint: str, query: str = ""):
    driver.get(f"{endpoint}/console/state-machines/payment{query}")
    wait(driver, lambda d: d.find_elements(By.CSS_SELECTOR, "#graph .node[data-state]"), "the graph is drawn")


def dom_edges(driver) -> set[tuple[str, str, str]]:
    return set(map(tuple, driver.execute_script(
        "return [...document.querySelectorAll('#graph .edge')].map(e => "
        "[e.dataset.from, e.dataset.to, e.dataset.kind])")))


# --- probes and the redirect -----------------------------------------------------------------------


def test_healthz_and_readyz(endpoint):
    with urllib.request.urlopen(endpoint + "/healthz", timeout=5) as r:
        assert r.status == 200
        assert json.load(r) == {"status": "ok"}
    with urllib.request.urlopen(endpoint + "/readyz", timeout=5) as r:
        assert r.status == 200
        body = json.load(r)
    assert body["status"] == "ready" and body["stateMachines"] >= 1
    assert body["admission"]["saturated"] is False


def test_a_browser_s_get_slash_is_redirected_and_post_slash_is_the_api(endpoint, sfn):
    host = urllib.parse.urlparse(endpoint)
    conn = http.client.HTTPConnection(host.hostname, host.port, timeout=5)
    conn.request("GET", "/", headers={"Accept": "text/html"})
    r = conn.getresponse()
    assert (r.status, r.getheader("Location")) == (303, "/console")
    conn.close()
    assert any(m["name"] == "payment" for m in sfn.list_state_machines()["stateMachines"])


# --- the console in Chromium ----------------------------------------------------------------------


def test_the_payment_graph_has_every_state_and_edge(browser, endpoint):
    browser.get(endpoint + "/")  # redirected to the list
    wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#machines tr[data-name='payment'] a"),
         "the state machine list")
    assert browser.current_url.endswith("/console")
    browser.find_element(By.CSS_SELECTOR, "#machines tr[data-name='payment'] a").click()
    wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#graph .node[data-state]"), "the graph is drawn")
    assert "/console/state-machines/payment" in browser.current_url
    definition = payment_definition()
    states = all_states(definition)
    drawn = {e.get_attribute("data-state"): e.get_attribute("data-type")
             for e in browser.find_elements(By.CSS_SELECTOR, "#graph .node[data-state]")}
    assert drawn == {name: st["Type"] for name, st in states.items()}
    assert len(drawn) == 21  # 17 top-level states and 4 in the Parallel branches
    edges = dom_edges(browser)
    missing = expected_edges(definition) - edges
    assert not missing, f"edges not drawn: {sorted(missing)}"
    assert ("", "ValidateRequest", "start") in edges
    assert ("PaymentSuccess", "", "end") in edges and ("SendEmail", "", "join") in edges
    # Each branch is a cluster inside the Parallel state's cluster, and its states are drawn inside it.
    box = browser.execute_script("""
        const r = s => document.querySelector(s).getBoundingClientRect();
        const inside = (a, b) => a.left >= b.left && a.right <= b.right && a.top >= b.top && a.bottom <= b.bottom;
        const par = r('.cluster[data-cluster="c:SendNotifications"] rect');
        const b0 = r('.cluster[data-cluster="c:SendNotifications:0"] rect');
        const b1 = r('.cluster[data-cluster="c:SendNotifications:1"] rect');
        return [inside(b0, par), inside(b1, par),
                inside(r('.node[data-state="SendEmail"] rect'), b0),
                inside(r('.node[data-state="QueueWebhook"] rect'), b1),
                inside(r('.node[data-state="SendNotifications"] rect'), par),
                !inside(r('.node[data-state="SaveTransaction"] rect'), par)];
    """)
    assert box == [True] * 6, box
    # The layout library is served from the binary, not a CDN.
    scripts = [s.get_attribute("src") for s in browser.find_elements(By.TAG_NAME, "script")]
    assert all(s.startswith(endpoint + "/console/assets/") for s in scripts), scripts
    screenshot(browser, "graph")


def test_the_overlay_numbers_change_while_executions_run(browser, endpoint, sfn):
    open_machine(browser, endpoint)
    node = "#graph .node[data-state='ValidateRequest']"
    wait(browser, lambda d: d.find_element(By.CSS_SELECTOR, node).get_attribute("data-entered"), "first overlay")
    entered0 = float(browser.find_element(By.CSS_SELECTOR, node).get_attribute("data-entered"))
    started0 = float(browser.find_element(By.ID, "stat-started").get_attribute("data-value"))
    stop = threading.Event()

    def load():
        # Small payments (no 3-D Secure) and declined ones, until the test has seen the overlay move.
        end = time.monotonic() + 30
        i = 0
        while not stop.is_set() and time.monotonic() < end:
            payload = request(amount=40.0) if i % 3 else json.loads(sample("declined"))
            sfn.start_sync_execution(stateMachineArn=PAYMENT_ARN, input=json.dumps(payload))
            i += 1

    worker = threading.Thread(target=load, daemon=True)
    worker.start()
    try:
        overlay = f"{node} [data-metric='overlay']"
        wait(browser, lambda d: float(d.find_element(By.CSS_SELECTOR, node).get_attribute("data-entered")) > entered0
             and float(d.find_element(By.CSS_SELECTOR, node).get_attribute("data-rate") or 0) > 0,
             "ValidateRequest's entries and rate go up")
        first = browser.find_element(By.CSS_SELECTOR, overlay).text
        assert "/s" in first and "p50" in first and "p99" in first, first
        assert not first.startswith("0.0/s"), first
        wait(browser, lambda d: d.find_element(By.CSS_SELECTOR, overlay).text != first, "the overlay refreshes")
        wait(browser, lambda d: float(d.find_element(By.ID, "stat-started").get_attribute("data-value")) > started0,
             "the machine's started count goes up")
        assert browser.find_element(By.ID, "stat-started").text not in ("–", "")
        # Declined payments fail AuthorizePayment with AuthorizationError (caught): shown by error name.
        wait(browser, lambda d: "AuthorizationError" in d.find_element(
            By.CSS_SELECTOR, "#graph .node[data-state='AuthorizePayment'] [data-metric='failures']").text,
             "failures by error name")
        assert browser.find_element(By.ID, "stat-p99").text not in ("–", "")
        assert browser.find_element(By.ID, "stat-depth").get_attribute("data-value") == "0"
        screenshot(browser, "overlay")
    finally:
        stop.set()
        worker.join(timeout=30)


def test_an_execution_shows_its_path_and_per_state_data(browser, endpoint, sfn):
    started = sfn.start_execution(stateMachineArn=PAYMENT_ARN, input=sample("declined"))
    arn = started["executionArn"]
    open_machine(browser, endpoint)
    row = f"#execution-list tr[data-arn='{arn}']"
    wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, row), "the execution is listed")
    browser.find_element(By.CSS_SELECTOR, row).click()
    wait(browser, lambda d: d.find_element(By.ID, "execution-detail").get_attribute("data-status") == "FAILED",
         "the execution's detail")
    table = {r.get_attribute("data-state"): r.get_attribute("data-outcome")
             for r in browser.find_elements(By.CSS_SELECTOR, "#state-table tr[data-state]")}
    assert table["ValidateRequest"] == "succeeded"
    assert table["AuthorizePayment"] == "caught"  # AuthorizationError, caught → HandleAuthFailure
    assert table["HandleAuthFailure"] == "succeeded"
    assert table["PaymentFailed"] == "failed"
    assert "CapturePayment" not in table
    # Per state: input, output, error and cause, and timing.
    validate = browser.find_element(By.CSS_SELECTOR, "#state-table tr[data-state='ValidateRequest']")
    assert '"paymentId": "pay-0002"' in validate.find_element(By.CSS_SELECTOR, ".state-input").get_attribute("textContent")
    assert "idempotencyKey" in validate.find_element(By.CSS_SELECTOR, ".state-output").get_attribute("textContent")
    # Timing: entered at +t after the start, for a duration.
    assert re.search(r"succeeded \+[\d.]+(µs|ms|s) [\d.]+(µs|ms|s)", validate.text), validate.text
    auth = browser.find_element(By.CSS_SELECTOR, "#state-table tr[data-state='AuthorizePayment']")
    assert "AuthorizationError" in auth.text and "declined" in auth.find_element(By.CSS_SELECTOR, ".state-cause").get_attribute("textContent")
    assert "PaymentDeclined" in browser.find_element(By.ID, "execution-error").text
    # The path on the graph, coloured by outcome.
    cls = lambda s: browser.find_element(By.CSS_SELECTOR, f"#graph .node[data-state='{s}']").get_attribute("class")  # noqa: E731
    assert "outcome-succeeded" in cls("ValidateRequest")
    assert "outcome-caught" in cls("AuthorizePayment")
    assert "outcome-failed" in cls("PaymentFailed")
    assert "unvisited" in cls("CapturePayment")
    on_path = browser.find_elements(By.CSS_SELECTOR, "#graph .edge.on-path[data-from='AuthorizePayment']"
                                                     "[data-to='HandleAuthFailure']")
    assert on_path, "the Catcher's edge is on the path"
    # The history events, numbered as AWS numbers them.
    events = browser.execute_script(
        "return [...document.querySelectorAll('#events tr[data-type]')].map(r => r.dataset.type)")
    assert events[0] == "ExecutionStarted" and events[-1] == "ExecutionFailed"
    assert "TaskScheduled" in events and "StateFailed" in events
    # Filter by status: the failed one is there under FAILED, not under SUCCEEDED.
    browser.execute_script("const s = document.getElementById('status-filter'); s.value = 'SUCCEEDED';"
                           "s.dispatchEvent(new Event('change'))")
    wait(browser, lambda d: not d.find_elements(By.CSS_SELECTOR, row), "filtered out under SUCCEEDED")
    statuses = {r.get_attribute("data-status") for r in browser.find_elements(By.CSS_SELECTOR, "#execution-list tr[data-arn]")}
    assert statuses <= {"SUCCEEDED"}
    browser.execute_script("const s = document.getElementById('status-filter'); s.value = 'FAILED';"
                           "s.dispatchEvent(new Event('change'))")
    wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, row), "listed under FAILED")
    screenshot(browser, "execution")


def test_a_task_token_execution_is_completed_by_the_button(browser, endpoint, sfn):
    acs = Acs()
    try:
        payload = request(payment_id="pay-console-3ds")
        payload["card"].update(acsUrl=acs.url, acsHeartbeatSeconds=60, acsTimeoutSeconds=90)
        arn = sfn.start_execution(stateMachineArn=PAYMENT_ARN, input=json.dumps(payload))["executionArn"]
        sent = acs.next()  # the ACS got the challenge (and the token)
        open_machine(browser, endpoint, "?execution=" + urllib.parse.quote(arn, safe=""))
        token_box = "#task-tokens .token[data-state='Wait3DSCallback']"
        wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, token_box), "the waiting Task Token is shown")
        box = browser.find_element(By.CSS_SELECTOR, token_box)
        assert box.get_attribute("data-token") == sent["taskToken"]
        assert sent["taskToken"] in box.find_element(By.CSS_SELECTOR, ".token-value").text
        row = browser.find_element(By.CSS_SELECTOR, "#state-table tr[data-state='Wait3DSCallback']")
        assert row.get_attribute("data-outcome") == "running"
        screenshot(browser, "task-token")
        output = box.find_element(By.CSS_SELECTOR, ".token-output")
        output.clear()
        output.send_keys('{"status": "AUTHENTICATED", "eci": "07"}')
        box.find_element(By.CSS_SELECTOR, ".send-success").click()
        wait(browser, lambda d: d.find_element(By.ID, "execution-detail").get_attribute("data-status") == "SUCCEEDED",
             "the execution succeeds once the token is answered")
        described = sfn.describe_execution(executionArn=arn)
        assert described["status"] == "SUCCEEDED"
        assert json.loads(described["output"])["threeDS"] == {"status": "AUTHENTICATED", "eci": "07"}
        assert not browser.find_elements(By.CSS_SELECTOR, "#task-tokens")
        row = browser.find_element(By.CSS_SELECTOR, "#state-table tr[data-state='Wait3DSCallback']")
        assert row.get_attribute("data-outcome") == "succeeded"
    finally:
        acs.close()


def test_an_execution_started_from_the_page_shows_its_result(browser, endpoint):
    open_machine(browser, endpoint)
    editor = browser.find_element(By.ID, "start-input")
    # Not JSON: refused in the page, nothing started.
    editor.clear()
    editor.send_keys("{not json")
    browser.find_element(By.ID, "start-button").click()
    wait(browser, lambda d: "not JSON" in d.find_element(By.ID, "start-result").text, "the input is refused")
    editor.clear()
    payload = json.loads(sample("happy"))
    payload["card"]["threeDS"] = False
    payload["paymentId"] = "pay-console-start"
    browser.execute_script("arguments[0].value = arguments[1]", editor, json.dumps(payload, indent=2))
    browser.find_element(By.ID, "start-name").send_keys("from-the-console")
    browser.find_element(By.ID, "start-button").click()
    wait(browser, lambda d: d.find_element(By.ID, "start-result").get_attribute("data-status") == "SUCCEEDED",
         "the started execution's result")
    out = json.loads(browser.find_element(By.ID, "start-output").get_attribute("textContent"))
    assert out["transaction"] == {"saved": True, "transactionId": "TX-pay-console-start"}
    # It is selected: its path is on the graph and it is listed.
    wait(browser, lambda d: d.find_element(By.ID, "execution-detail").get_attribute("data-status") == "SUCCEEDED",
         "the detail of the started execution")
    assert "from-the-console" in browser.find_element(By.ID, "execution-detail").text
    assert "outcome-succeeded" in browser.find_element(
        By.CSS_SELECTOR, "#graph .node[data-state='PaymentSuccess']").get_attribute("class")
    wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#execution-list tr[data-status='SUCCEEDED']"),
         "listed")
    screenshot(browser, "payment")
