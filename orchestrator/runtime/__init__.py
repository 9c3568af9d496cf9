"""The task runtime: the one handler that runs a task, inside Lambda and in the local engine.

`handler.execute_task` is what both run; `lambda_entry.lambda_handler` is a task Lambda's entry
point, the same call inside Powertools' logging, metrics and tracing. Nothing here imports the
SDK, and nothing local runs import loads Powertools.
"""
