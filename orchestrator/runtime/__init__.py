"""The task runtime: the one handler that runs a task, inside Lambda and in the local engine."""
