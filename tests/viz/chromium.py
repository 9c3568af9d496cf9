"""A real browser for the run report's tests: headless Chromium over the DevTools protocol.

Stdlib only. `--remote-debugging-pipe` makes Chromium read protocol messages on its fd 3 and
write them on its fd 4, each one JSON text ended by a NUL byte: no WebSocket client, no port to
find or to collide on. The page is opened in a fresh profile; everything it reports is kept —
uncaught exceptions, `console.error`, and the browser's own log errors (a Content-Security-
Policy violation, a resource that failed to load) — then expressions are evaluated in it once
its script has run, and a screenshot of the whole page is taken.

`png_colours` decodes the screenshot (8-bit RGB/RGBA, not interlaced: what Chromium writes)
with zlib and struct, to tell a drawn page from a blank one without Pillow.
"""

from __future__ import annotations

import base64
import json
import os
import select
import shutil
import struct
import subprocess
import tempfile
import time
import zlib
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def find_chromium() -> str | None:
    return next((path for path in map(shutil.which, NAMES) if path), None)


class BrowserError(Exception):
    """Chromium did not answer, or answered a command with an error."""


@dataclass
class Page:
    errors: list[str] = field(default_factory=list)  # exceptions, console errors, log errors
    warnings: list[str] = field(default_factory=list)
    values: dict[str, Any] = field(default_factory=dict)  # the evaluated expressions
    screenshot: bytes = b""  # PNG, the whole page
    thumbnail: bytes = b""  # PNG, the whole page at a quarter of the size: quick to decode


class Browser:
    """One headless Chromium process; `open()` a page in it, as many times as needed."""

    def __init__(self, executable: str, timeout: float = 60.0) -> None:
        self.timeout = timeout
        self._profile = tempfile.mkdtemp(prefix="report-chromium-")
        to_browser_r, self._to_browser = os.pipe()
        self._from_browser, from_browser_w = os.pipe()

        def wire_fds() -> None:  # in the child: its fd 3 reads our messages, fd 4 answers
            inbound, outbound = os.dup(to_browser_r), os.dup(from_browser_w)
            os.dup2(inbound, 3)
            os.dup2(outbound, 4)

        self._process = subprocess.Popen(
            [
                executable,
                "--headless",
                "--no-sandbox",  # CI containers run as root, where the sandbox cannot start
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--no-first-run",
                "--no-default-browser-check",
                "--disable-extensions",
                "--hide-scrollbars",
                "--remote-debugging-pipe",
                f"--user-data-dir={self._profile}",
                "about:blank",
            ],
            pass_fds=(3, 4),
            preexec_fn=wire_fds,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        os.close(to_browser_r)
        os.close(from_browser_w)
        self._buffer = b""
        self._ids = iter(range(1, 1 << 30))
        self._events: list[dict[str, Any]] = []

    def __enter__(self) -> Browser:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, err: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        try:
            self._send("Browser.close")
        except OSError:
            pass
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        for fd in (self._to_browser, self._from_browser):
            try:
                os.close(fd)
            except OSError:
                pass
        shutil.rmtree(self._profile, ignore_errors=True)

    def open(self, url: str, evaluate: dict[str, str], *, ready: str, width: int = 1280) -> Page:
        """Load `url`, wait until the expression `ready` is true, evaluate each expression of
        `evaluate`, and take a screenshot of the whole page."""
        target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.call("Target.attachToTarget", {"targetId": target, "flatten": True})[
            "sessionId"
        ]
        page = Page()
        for domain in ("Runtime", "Log", "Page"):
            self.call(f"{domain}.enable", session=session)
        metrics = {"width": width, "height": 900, "deviceScaleFactor": 1, "mobile": False}
        self.call("Emulation.setDeviceMetricsOverride", metrics, session=session)
        self._events.clear()
        self.call("Page.navigate", {"url": url}, session=session)
        self._wait_for(lambda e: e.get("method") == "Page.loadEventFired", session)
        deadline = time.monotonic() + self.timeout / 4
        while not self._evaluate(ready, session):
            if time.monotonic() > deadline:  # say why: its script most likely threw
                self._drain(session)
                for event in self._events:
                    _sort(event, page)
                raise BrowserError(f"the page never became ready ({ready}): {page.errors}")
            time.sleep(0.05)
        page.values = {name: self._evaluate(js, session) for name, js in evaluate.items()}
        size = self.call("Page.getLayoutMetrics", session=session)["cssContentSize"]
        full = {**metrics, "height": min(int(size["height"]) + 1, 8000)}
        self.call("Emulation.setDeviceMetricsOverride", full, session=session)
        shot = self.call("Page.captureScreenshot", {"format": "png"}, session=session)
        page.screenshot = base64.b64decode(shot["data"])
        clip = {"x": 0, "y": 0, "width": width, "height": full["height"], "scale": 0.25}
        small = self.call(
            "Page.captureScreenshot", {"format": "png", "clip": clip}, session=session
        )
        page.thumbnail = base64.b64decode(small["data"])
        self._drain(session)
        for event in self._events:
            _sort(event, page)
        self.call("Target.closeTarget", {"targetId": target})
        return page

    # -- the protocol --------------------------------------------------------------------

    def call(
        self, method: str, params: dict[str, Any] | None = None, session: str | None = None
    ) -> dict[str, Any]:
        ident = self._send(method, params, session)
        reply = self._wait_for(lambda m: m.get("id") == ident, session, keep=False)
        if "error" in reply:
            raise BrowserError(f"{method}: {reply['error']}")
        result: dict[str, Any] = reply.get("result", {})
        return result

    def _send(
        self, method: str, params: dict[str, Any] | None = None, session: str | None = None
    ) -> int:
        ident = next(self._ids)
        message: dict[str, Any] = {"id": ident, "method": method, "params": params or {}}
        if session is not None:
            message["sessionId"] = session
        os.write(self._to_browser, json.dumps(message).encode("utf-8") + b"\0")
        return ident

    def _evaluate(self, expression: str, session: str) -> Any:
        result = self.call(
            "Runtime.evaluate", {"expression": expression, "returnByValue": True}, session=session
        )
        if "exceptionDetails" in result:
            raise BrowserError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def _wait_for(self, wanted: Any, session: str | None, *, keep: bool = True) -> dict[str, Any]:
        """Read messages until one `wanted` accepts; events on the way are kept."""
        deadline = time.monotonic() + self.timeout
        while True:
            message = self._read(deadline)
            if message is None:
                raise BrowserError("Chromium did not answer in time")
            if wanted(message):
                if keep:
                    self._events.append(message)
                return message
            if "method" in message and message.get("sessionId") in (session, None):
                self._events.append(message)

    def _drain(self, session: str) -> None:
        """Events already sent (a late console error) are read before judging the page."""
        self.call("Runtime.evaluate", {"expression": "0"}, session=session)
        while (message := self._read(time.monotonic() + 0.2)) is not None:
            if "method" in message:
                self._events.append(message)

    def _read(self, deadline: float) -> dict[str, Any] | None:
        while b"\0" not in self._buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            ready, _, _ = select.select([self._from_browser], [], [], remaining)
            if not ready:
                return None
            chunk = os.read(self._from_browser, 1 << 20)
            if not chunk:
                raise BrowserError(f"Chromium exited (code {self._process.poll()})")
            self._buffer += chunk
        text, _, self._buffer = self._buffer.partition(b"\0")
        message: dict[str, Any] = json.loads(text)
        return message


def _sort(event: dict[str, Any], page: Page) -> None:
    method, params = event.get("method"), event.get("params", {})
    if method == "Runtime.exceptionThrown":
        details = params.get("exceptionDetails", {})
        thrown = details.get("exception", {}).get("description") or details.get("text")
        page.errors.append(f"uncaught: {thrown}")
    elif method == "Runtime.consoleAPICalled":
        text = " ".join(str(a.get("value", a.get("description", ""))) for a in params["args"])
        if params.get("type") == "error":
            page.errors.append(f"console.error: {text}")
        elif params.get("type") == "warning":
            page.warnings.append(f"console.warn: {text}")
    elif method == "Log.entryAdded":
        entry = params.get("entry", {})
        line = f"{entry.get('source')}: {entry.get('text')} {entry.get('url', '')}".strip()
        if entry.get("level") == "error":
            page.errors.append(line)
        elif entry.get("level") == "warning":
            page.warnings.append(line)


def png_colours(png: bytes) -> tuple[int, int, int, set[tuple[int, ...]]]:
    """(width, height, pixels that are not white, the distinct colours) of an 8-bit PNG."""
    if png[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG")
    pos, idat = 8, b""
    width = height = channels = 0
    while pos < len(png):
        (length,) = struct.unpack(">I", png[pos : pos + 4])
        kind, body = png[pos + 4 : pos + 8], png[pos + 8 : pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            width, height, depth, colour_type, _, _, interlace = struct.unpack(">IIBBBBB", body)
            channels = {0: 1, 2: 3, 4: 2, 6: 4}.get(colour_type, 0)
            if depth != 8 or not channels or interlace:
                raise ValueError(f"unsupported PNG: depth {depth}, colour type {colour_type}")
        elif kind == b"IDAT":
            idat += body
    raw = zlib.decompress(idat)
    stride = width * channels
    previous = bytearray(stride)
    colours: set[tuple[int, ...]] = set()
    drawn = 0
    for row in range(height):
        start = row * (stride + 1)
        line = _unfilter(
            raw[start], bytearray(raw[start + 1 : start + 1 + stride]), previous, channels
        )
        for i in range(0, stride, channels):
            pixel = tuple(line[i : i + channels])
            colours.add(pixel)
            drawn += any(v < 250 for v in pixel[:3])
        previous = line
    return width, height, drawn, colours


def _unfilter(kind: int, line: bytearray, previous: bytearray, bpp: int) -> bytearray:
    for i in range(len(line)):
        left = line[i - bpp] if i >= bpp else 0
        up = previous[i]
        corner = previous[i - bpp] if i >= bpp else 0
        if kind == 1:
            line[i] = (line[i] + left) & 0xFF
        elif kind == 2:
            line[i] = (line[i] + up) & 0xFF
        elif kind == 3:
            line[i] = (line[i] + (left + up) // 2) & 0xFF
        elif kind == 4:
            p = left + up - corner
            pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
            best = left if pa <= pb and pa <= pc else up if pb <= pc else corner
            line[i] = (line[i] + best) & 0xFF
    return line
