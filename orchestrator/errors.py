"""The errors a user's mistake produces: one clear message naming the flow, the task and the fix."""

from __future__ import annotations

from os import PathLike
from pathlib import Path


def display_path(path: str | PathLike[str]) -> str:
    """`path` as a message names it: relative to the current directory when it is below it
    (shorter messages), else as given."""
    try:
        return str(Path(path).resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


class OrchestratorError(Exception):
    """Base class of every error Orchestrator raises on purpose."""


class FlowDefinitionError(OrchestratorError, ValueError):
    """A flow or task is defined in a way that cannot compile or run.

    The message names where the mistake is (flow, task, source location) and how to fix it; the
    CLI prints it alone, without a traceback, and exits with code 2.
    """

    def __init__(
        self,
        problem: str,
        *,
        flow: str | None = None,
        task: str | None = None,
        fix: str | None = None,
        where: str | None = None,
    ) -> None:
        self.problem = problem
        self.flow = flow
        self.task = task
        self.fix = fix
        self.where = where
        super().__init__(self._render())

    def _render(self) -> str:
        subject = []
        if self.flow is not None:
            subject.append(f"flow {self.flow!r}")
        if self.task is not None:
            subject.append(f"task {self.task!r}")
        text = ", ".join(subject)
        text = f"{text}: {self.problem}" if text else self.problem
        if self.where:
            text += f" ({self.where})"
        if self.fix:
            text += f". Fix: {self.fix}"
        return text

    def in_flow(self, flow: str) -> FlowDefinitionError:
        """The same error, now naming the flow it was found in."""
        if self.flow is not None:
            return self
        return FlowDefinitionError(
            self.problem, flow=flow, task=self.task, fix=self.fix, where=self.where
        )


class ScheduleError(FlowDefinitionError):
    """An invalid schedule expression (rate, cron, at) or timezone."""


class ParameterError(OrchestratorError, ValueError):
    """A flow was started with parameters it does not accept or without required ones."""


class PathError(OrchestratorError):
    """A file or folder the user named (or a command needs) cannot be read or written.

    The message names the file, what is wrong with it and the fix, like a FlowDefinitionError.
    """

    def __init__(self, path: object, problem: str, *, fix: str | None = None) -> None:
        self.path = str(path)
        self.problem = problem
        self.fix = fix
        text = f"{self.path}: {problem}"
        super().__init__(f"{text}. Fix: {fix}" if fix else text)


class StoreError(PathError):
    """The run store (`.orchestrator/runs.sqlite`, or ORCHESTRATOR_STORE) cannot be used."""


class RunAborted(KeyboardInterrupt):
    """A local run stopped by Ctrl-C (or a task raising KeyboardInterrupt).

    A KeyboardInterrupt, so code that stops on Ctrl-C still does; it carries the run, already
    recorded as ABORTED in the run store, so the CLI can name it.
    """

    def __init__(self, flow: str, run_id: str, where: str | None) -> None:
        self.flow = flow
        self.run_id = run_id
        self.where = where
        at = f" in {where}" if where else ""
        super().__init__(f"flow {flow!r} was interrupted{at}; run {run_id} is ABORTED")
