"""Remote executions: the flows of a deployed stage, operated from Python and the command line.

`connect(stage)` reads the stage's stack (`<project>-<stage>`) and its outputs: each flow's
`live` alias. `executions` starts, finds, follows, lists and stops executions; `logs` reads an
execution's Lambda log lines from CloudWatch Logs; `StepFunctionsExecutor` is the Python API,
`flow.run(executor=StepFunctionsExecutor(stage="prod"))`, returning the same `FlowRun` as a
local run. Every call goes through boto3 with the user's credentials, profile and region, and
every failure is an `AwsError` that names the fix (`orchestrator.aws.errors`).
"""

from orchestrator.aws.deployment import DeployedFlow, Deployment, connect, default_stage
from orchestrator.aws.errors import AwsError
from orchestrator.aws.executor import StepFunctionsExecutor, remote_flow_run

__all__ = [
    "AwsError",
    "DeployedFlow",
    "Deployment",
    "StepFunctionsExecutor",
    "connect",
    "default_stage",
    "remote_flow_run",
]
