"""What Lambda does with a function's output, for the harness's in-process functions.

Lambda sends everything a function writes to stdout (Powertools' JSON log lines, its EMF
metrics, a task's own `print`) to CloudWatch Logs: one stream per execution environment in the
function's log group (`LoggingConfig.LogGroup`, else `/aws/lambda/<name>`), framed by `START`,
`END` and `REPORT` lines. The harness runs functions in-process, on moto's threads, so
`capture_function_logs` wraps each function's handler: while it runs, what *its thread* writes
to `sys.stdout` is kept (other threads — the test, a CLI printing progress — write through), and
afterwards it is put into the function's log group, one line per event.

Not reproduced: stderr (Powertools writes to stdout), and the exact REPORT figures.
"""

from __future__ import annotations

import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

Handler = Callable[[Any], Any]


class _ThreadStdout:
    """`sys.stdout` while functions run: each running invocation's thread writes to its own
    buffer, every other thread to the stream this replaced."""

    def __init__(self, wrapped: Any) -> None:
        self.wrapped = wrapped
        self.buffers: dict[int, list[str]] = {}

    def write(self, text: str) -> int:
        buffer = self.buffers.get(threading.get_ident())
        if buffer is None:
            return int(self.wrapped.write(text))
        buffer.append(text)
        return len(text)

    def flush(self) -> None:
        self.wrapped.flush()

    def __getattr__(self, name: str) -> Any:  # encoding, isatty, fileno: the real stream's
        return getattr(self.wrapped, name)


class StdoutCapture:
    """Installs `_ThreadStdout` while at least one invocation runs (moto runs Parallel branches
    and Map iterations on several threads at once), and removes it after the last one."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._stdout: _ThreadStdout | None = None
        self._active = 0

    @contextmanager
    def invocation(self) -> Iterator[list[str]]:
        """What this thread writes to stdout meanwhile, as the list of its writes."""
        thread, buffer = threading.get_ident(), list[str]()
        with self._lock:
            if self._stdout is None:
                self._stdout = _ThreadStdout(sys.stdout)
                sys.stdout = self._stdout
            self._stdout.buffers[thread] = buffer
            self._active += 1
        try:
            yield buffer
        finally:
            with self._lock:
                stdout = self._stdout
                assert stdout is not None
                del stdout.buffers[thread]
                self._active -= 1
                if self._active == 0:
                    # Put back what was replaced, unless someone replaced us since (a test's
                    # CliRunner): then stay a pass-through in their chain.
                    if sys.stdout is stdout:
                        sys.stdout = stdout.wrapped
                    self._stdout = None


class LogGroupWriter:
    """Writes invocations' lines to a function's log group, one stream per function (as one
    warm execution environment would)."""

    def __init__(self, logs_client: Any, log_group: str, function: str) -> None:
        self.logs = logs_client
        self.log_group = log_group
        self.function = function
        self.stream: str | None = None
        self._lock = threading.Lock()

    def _stream(self) -> str:
        if self.stream is None:
            day = datetime.now(UTC).strftime("%Y/%m/%d")
            self.stream = f"{day}/[$LATEST]{uuid.uuid4().hex}"
            try:
                self.logs.create_log_group(logGroupName=self.log_group)
            except self.logs.exceptions.ResourceAlreadyExistsException:
                pass  # the template created it, as it should
            self.logs.create_log_stream(logGroupName=self.log_group, logStreamName=self.stream)
        return self.stream

    def write(self, lines: list[str], request_id: str, started: float) -> None:
        ms = int(time.time() * 1000)
        duration = (time.perf_counter() - started) * 1000
        framed = [
            f"START RequestId: {request_id} Version: $LATEST",
            *lines,
            f"END RequestId: {request_id}",
            f"REPORT RequestId: {request_id}\tDuration: {duration:.2f} ms",
        ]
        with self._lock:
            self.logs.put_log_events(
                logGroupName=self.log_group,
                logStreamName=self._stream(),
                logEvents=[{"timestamp": ms, "message": line} for line in framed],
            )


def capture_function_logs(
    handler: Handler, writer: LogGroupWriter, capture: StdoutCapture
) -> Handler:
    """`handler`, its stdout going to `writer`'s log group, whether it returns or raises."""

    def handle(event: Any) -> Any:
        started = time.perf_counter()
        with capture.invocation() as buffer:
            try:
                return handler(event)
            finally:
                lines = "".join(buffer).splitlines()
                writer.write([line for line in lines if line.strip()], str(uuid.uuid4()), started)

    return handle
