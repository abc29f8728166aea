"""The HTML report in a real headless Chromium, driven over the DevTools protocol.

Chromium (Debian's ``chromium`` package, ``/usr/bin/chromium``) is started with
``--remote-debugging-port=0``; the test reads the port from ``DevToolsActivePort`` in its
private profile folder, talks CDP over a websocket, and checks that the page loads with
no console errors or exceptions, requests nothing but the file itself, renders non-empty
SVG charts, that the legend script works, and writes a full-page screenshot under the
test's temporary folder.  Every Chromium process is bounded and killed in a ``finally``.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from builders import rebuild, working_copy
from jjj_etl import staging
from jjj_etl.records import Article, Figure, ParsedPage
from jjj_etl.report import build_report

CHROMIUM = Path("/usr/bin/chromium")
STEP_TIMEOUT = 15.0
EVIL = "<script>document.title='owned'</script>"
WIDTH = 1280

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="Chromium not found at /usr/bin/chromium: install Debian's package "
    "(apt-get install -y chromium) to run the browser test",
)


def _fig(body: str, surface: str, value: float, unit: str, kind: str, **kw: Any) -> Figure:
    start = body.index(surface)
    end_of_sentence = body.index("\n") if "\n" in body else len(body)
    return Figure(
        surface,
        start,
        start + len(surface),
        value,
        unit,
        kw.get("comparator", "="),
        kind,
        kw.get("period"),
        kw["subject"],
        None,
        kw.get("region"),
        None,
        0,
        end_of_sentence,
    )


def _page(url: str, title: str, body: str, published: str, lang: str, *figs: Figure) -> ParsedPage:
    sha = hashlib.sha256(body.encode()).hexdigest()
    return ParsedPage(url, sha, Article(url, url, title, published, lang, "demo", body, sha), figs)


def _pages() -> list[ParsedPage]:
    tc = "technology contracts from Beijing to Tianjin and Hebei"
    a = f"Technology contracts reached 84.37 billion yuan in 2024 {EVIL}.\nMore."
    b = "Technology contracts were worth 80 billion yuan in 2024.\nMore."
    c = "Technology contracts were worth 68.7 billion yuan in 2023.\nMore."
    d = "2013年以来，北京流向津冀技术合同成交额累计超3700亿元。\n其他。"
    e = "The regional economy grew to 5.2 trillion yuan in the first half, GDP data show.\nMore."
    f = "Beijing's GDP reached 4.98 trillion yuan in 2024.\nMore."
    return [
        _page(
            "http://x.example/a",
            "Deals <i>up</i>",
            a,
            "2025-03-28",
            "en",
            _fig(a, "84.37 billion yuan", 84.37e9, "CNY", "level", period="2024", subject=tc),
        ),
        _page(
            "http://y.example/b",
            "Deals",
            b,
            "2025-04-02",
            "en",
            _fig(b, "80 billion yuan", 80e9, "CNY", "level", period="2024", subject=tc),
        ),
        _page(
            "http://x.example/c",
            "Deals 2023",
            c,
            "2024-02-01",
            "en",
            _fig(c, "68.7 billion yuan", 68.7e9, "CNY", "level", period="2023", subject=tc),
        ),
        _page(
            "http://x.example/d",
            "技术合同累计",
            d,
            "2025-03-27",
            "zh",
            _fig(
                d, "3700亿元", 3.7e11, "CNY", "cumulative", period="2013/2024", subject="技术合同"
            ),
        ),
        _page(
            "http://x.example/e",
            "Half-year economy",
            e,
            "2025-07-15",
            "en",
            _fig(
                e,
                "5.2 trillion yuan",
                5.2e12,
                "CNY",
                "level",
                period="2025-01/2025-06",
                subject="economy",
            ),
        ),
        _page(
            "http://x.example/f",
            "Beijing GDP",
            f,
            "2025-02-01",
            "en",
            _fig(f, "4.98 trillion yuan", 4.98e12, "CNY", "level", region="CN-BJ", subject="gdp"),
        ),
    ]


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    wh = tmp_path_factory.mktemp("warehouse")
    with working_copy(wh) as con:
        staging.ensure_schema(con)
        staging.stage(con, "r1", [], _pages(), "1")
    assert rebuild(wh)["version"] == 1
    return build_report(wh)


class Cdp:
    """A minimal Chrome DevTools Protocol client over one websocket (flattened sessions)."""

    def __init__(self, ws_url: str) -> None:
        from websockets.sync.client import connect

        self.ws = connect(ws_url, max_size=None, open_timeout=STEP_TIMEOUT)
        self.events: list[dict[str, Any]] = []
        self._id = 0

    def _recv(self, deadline: float) -> dict[str, Any]:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError("no answer from Chromium in time")
        message: dict[str, Any] = json.loads(self.ws.recv(timeout=remaining))
        return message

    def send(self, method: str, session: str | None = None, **params: Any) -> dict[str, Any]:
        self._id += 1
        msg: dict[str, Any] = {"id": self._id, "method": method, "params": params}
        if session:
            msg["sessionId"] = session
        self.ws.send(json.dumps(msg))
        deadline = time.monotonic() + STEP_TIMEOUT
        while True:
            reply = self._recv(deadline)
            if reply.get("id") == self._id:
                assert "error" not in reply, f"{method}: {reply['error']}"
                result: dict[str, Any] = reply["result"]
                return result
            self.events.append(reply)

    def wait_for(self, method: str) -> dict[str, Any]:
        for event in self.events:
            if event.get("method") == method:
                return event
        deadline = time.monotonic() + STEP_TIMEOUT
        while True:
            event = self._recv(deadline)
            self.events.append(event)
            if event.get("method") == method:
                return event

    def evaluate(self, session: str, expression: str) -> Any:
        result = self.send("Runtime.evaluate", session, expression=expression, returnByValue=True)
        assert "exceptionDetails" not in result, result["exceptionDetails"]
        return result["result"]["value"]

    def close(self) -> None:
        self.ws.close()


@contextlib.contextmanager
def chromium(profile: Path) -> Iterator[Cdp]:
    """Headless Chromium on a private profile; yields a CDP client to its browser target."""
    log = (profile.parent / "chromium.log").open("w")
    proc = subprocess.Popen(
        [
            str(CHROMIUM),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-dev-shm-usage",
            f"--user-data-dir={profile}",
            "--remote-debugging-address=127.0.0.1",
            "--remote-debugging-port=0",
            "about:blank",
        ],
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=log,
        start_new_session=True,  # its helpers share our process group, killed below
    )
    cdp: Cdp | None = None
    try:
        port_file = profile / "DevToolsActivePort"
        deadline = time.monotonic() + STEP_TIMEOUT
        while not (port_file.exists() and len(port_file.read_text().split()) >= 2):
            assert proc.poll() is None, f"chromium exited {proc.returncode}; see {log.name}"
            assert time.monotonic() < deadline, f"chromium did not start; see {log.name}"
            time.sleep(0.05)
        port, path = port_file.read_text().split()[:2]
        cdp = Cdp(f"ws://127.0.0.1:{port}{path}")
        yield cdp
    finally:
        if cdp is not None:
            with contextlib.suppress(Exception):
                cdp.send("Browser.close")
            cdp.close()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)  # helpers left in the group we started
        log.close()


CHECK_JS = """
(() => {
  const charts = [...document.querySelectorAll('svg.chart')];
  return {
    title: document.title,
    version: document.getElementById('version').textContent,
    charts: charts.map(s => ({
      paths: s.querySelectorAll('path').length,
      circles: s.querySelectorAll('circle').length,
      width: s.getBoundingClientRect().width,
      height: s.getBoundingClientRect().height,
    })),
    marks: document.querySelectorAll('mark').length,
    injected: document.querySelectorAll('p.sentence script').length,
    overflow: document.documentElement.scrollWidth > window.innerWidth,
  };
})()
"""

TOGGLE_JS = """
(() => {
  const button = document.querySelector('.legend button[data-chart]');
  const chart = document.getElementById(button.dataset.chart);
  const group = chart.querySelector(`g.series[data-series="${button.dataset.series}"]`);
  button.click();
  const hidden = getComputedStyle(group).display === 'none';
  button.click();
  return [hidden, getComputedStyle(group).display !== 'none'];
})()
"""


def _errors(events: list[dict[str, Any]]) -> list[str]:
    found = []
    for e in events:
        method, params = e.get("method"), e.get("params", {})
        if method == "Runtime.exceptionThrown":
            found.append(json.dumps(params["exceptionDetails"])[:500])
        elif method == "Runtime.consoleAPICalled" and params.get("type") in {"error", "assert"}:
            found.append(json.dumps(params.get("args"))[:500])
        elif method == "Log.entryAdded" and params["entry"].get("level") == "error":
            found.append(params["entry"].get("text", ""))
    return found


def _requests(events: list[dict[str, Any]]) -> list[str]:
    return [
        e["params"]["request"]["url"]
        for e in events
        if e.get("method") == "Network.requestWillBeSent"
    ]


def test_report_in_headless_chromium(report: Path, tmp_path: Path) -> None:
    pytest.importorskip("websockets.sync.client", reason="the CDP client needs websockets")
    with chromium(tmp_path / "profile") as cdp:
        target = cdp.send("Target.createTarget", url="about:blank")["targetId"]
        session = cdp.send("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
        for domain in ("Page", "Runtime", "Log", "Network"):
            cdp.send(f"{domain}.enable", session)
        cdp.send(
            "Emulation.setDeviceMetricsOverride",
            session,
            width=WIDTH,
            height=2000,
            deviceScaleFactor=1,
            mobile=False,
        )
        cdp.send("Page.navigate", session, url=report.as_uri())
        cdp.wait_for("Page.loadEventFired")
        state = cdp.evaluate(session, CHECK_JS)
        toggled = cdp.evaluate(session, TOGGLE_JS)
        height = cdp.send("Page.getLayoutMetrics", session)["cssContentSize"]["height"]
        shot = cdp.send(
            "Page.captureScreenshot",
            session,
            format="png",
            captureBeyondViewport=True,
            clip={"x": 0, "y": 0, "width": WIDTH, "height": height, "scale": 1},
        )
        events = list(cdp.events)
    screenshot = tmp_path / "report.png"
    screenshot.write_bytes(base64.b64decode(shot["data"]))

    assert _errors(events) == []
    assert set(_requests(events)) == {report.as_uri()}  # nothing fetched but the page
    assert state["title"] == "jjj-etl report · version 1"  # the injected script did not run
    assert state["version"] == "1"
    assert state["injected"] == 0
    assert len(state["charts"]) >= 3
    for chart in state["charts"]:
        assert chart["circles"] >= 1
        assert chart["paths"] >= 3
        assert chart["width"] > 600
        assert chart["height"] > 150
    assert state["marks"] >= 6
    assert not state["overflow"]
    assert toggled == [True, True]
    assert screenshot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert screenshot.stat().st_size > 50_000
