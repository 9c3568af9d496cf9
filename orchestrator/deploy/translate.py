"""SAM → CloudFormation offline: what `sam package` + the SAM transform do, without AWS.

`package_template` points every local `CodeUri`/`ContentUri`/`DefinitionUri` at S3 (as `sam
package` does after uploading); `translate` runs samtranslator with a fixed region and a
managed-policy table instead of IAM lookups, so neither needs credentials or network.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from orchestrator.contract import LOCAL_REGION

REGION = LOCAL_REGION  # any region will do offline; the local one keeps ARNs consistent
# The AWS managed policies SAM attaches to what this template declares (basic execution role,
# X-Ray tracing, the scheduler's and Step Functions' roles); translation needs only their ARNs.
MANAGED_POLICIES = {
    name: f"arn:aws:iam::aws:policy/{path}{name}"
    for path, name in [
        ("service-role/", "AWSLambdaBasicExecutionRole"),
        ("", "AWSXrayWriteOnlyAccess"),
        ("", "AWSXRayDaemonWriteAccess"),
        ("service-role/", "AWSLambdaRole"),
    ]
}

# (kind, logical id, local path) → the S3 location to use instead.
Uploader = Callable[[str, str, str], dict[str, str]]


def placeholder_uploader(bucket: str = "orchestrator-offline") -> Uploader:
    """An uploader that uploads nothing: for translating only (validate)."""

    def upload(kind: str, logical_id: str, path: str) -> dict[str, str]:
        return {"Bucket": bucket, "Key": f"{logical_id}/{path.rstrip('/')}"}

    return upload


def package_template(template: dict[str, Any], upload: Uploader) -> dict[str, Any]:
    """A copy of `template` with local code and definitions replaced by `upload`'s S3 locations."""
    out = copy.deepcopy(template)
    code_uri = out.get("Globals", {}).get("Function", {}).pop("CodeUri", None)
    shared: dict[str, str] | None = None
    for logical_id, resource in out["Resources"].items():
        props = resource.get("Properties", {})
        if resource["Type"] == "AWS::Serverless::Function":
            local = props.get("CodeUri", code_uri)
            if isinstance(local, str) and not local.startswith("s3://"):
                # Functions sharing one CodeUri share one upload, as `sam package` dedupes.
                if local == code_uri:
                    shared = shared or upload("code", "Code", local)
                    location = shared
                else:
                    location = upload("code", logical_id, local)
                props["CodeUri"] = f"s3://{location['Bucket']}/{location['Key']}"
        elif resource["Type"] == "AWS::Serverless::LayerVersion":
            local = props.get("ContentUri")
            if isinstance(local, str) and not local.startswith("s3://"):
                location = upload("code", logical_id, local)
                props["ContentUri"] = f"s3://{location['Bucket']}/{location['Key']}"
        elif resource["Type"] == "AWS::Serverless::StateMachine":
            local = props.get("DefinitionUri")
            if isinstance(local, str) and not local.startswith("s3://"):
                props["DefinitionUri"] = upload("definition", logical_id, local)
    return out


def translate(template: dict[str, Any], region: str = REGION) -> dict[str, Any]:
    """The CloudFormation template SAM's transform makes of a packaged `template`."""
    import boto3
    from samtranslator.model.exceptions import InvalidDocumentException
    from samtranslator.parser.parser import Parser
    from samtranslator.translator.arn_generator import ArnGenerator
    from samtranslator.translator.translator import Translator

    from orchestrator.deploy.errors import DeployError

    # A session with a region and no credentials: translation reads only the region.
    session = boto3.session.Session(region_name=region)
    previous = ArnGenerator.BOTO_SESSION_REGION_NAME
    ArnGenerator.BOTO_SESSION_REGION_NAME = region
    # samtranslator records metrics and warns at exit that nobody published them: publish them
    # to its dummy publisher, which discards them.
    from samtranslator.metrics.metrics import DummyMetricsPublisher, Metrics

    metrics = Metrics("ServerlessTransform", DummyMetricsPublisher())
    try:
        translator = Translator(None, Parser(), boto_session=session, metrics=metrics)
        return translator.translate(
            copy.deepcopy(template),
            parameter_values={},
            get_managed_policy_map=lambda: dict(MANAGED_POLICIES),
        )
    except InvalidDocumentException as err:
        causes = "; ".join(str(c) for c in err.causes)
        raise DeployError(f"SAM cannot translate the template: {causes}") from None
    finally:
        ArnGenerator.BOTO_SESSION_REGION_NAME = previous
        metrics.publish()
