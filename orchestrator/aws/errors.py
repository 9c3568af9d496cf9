"""AWS errors as one line that says what failed and the fix.

Every call of this package runs inside `aws_calls(doing)`: botocore's exceptions — no
credentials, an unknown profile, no region, an unreachable endpoint, a refused or expired token,
access denied — become an `AwsError` (an `OrchestratorError`, so the CLI prints it as one
`error:` line and exits 2). Errors a caller can say more about (no such stack, no such
execution) are caught by that caller first, by their code (`error_code`).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from orchestrator.errors import OrchestratorError

_DENIED = {"AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "AuthorizationError"}
_BAD_CREDENTIALS = {
    "ExpiredToken",
    "ExpiredTokenException",
    "RequestExpired",
    "InvalidClientTokenId",
    "UnrecognizedClientException",
    "InvalidSignatureException",
    "SignatureDoesNotMatch",
}
_THROTTLED = {"ThrottlingException", "Throttling", "TooManyRequestsException"}

CREDENTIALS_FIX = (
    "set AWS_PROFILE or pass --profile (after `aws configure` or `aws sso login`), "
    "or set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY"
)


class AwsError(OrchestratorError):
    """A call to AWS failed; the message names the call, the cause and the fix."""


def error_code(err: BaseException) -> str | None:
    """The AWS error code of a botocore `ClientError` (`ExecutionDoesNotExist`, …), else None."""
    response = getattr(err, "response", None)
    if not isinstance(response, dict):
        return None
    code = response.get("Error", {}).get("Code")
    return str(code) if code else None


def iam_action(err: Any, service: str | None) -> str | None:
    """The IAM action a refused call needed: `states:StartExecution` for the operation
    `StartExecution` of the service whose IAM prefix is `states` (a ClientError does not say
    which service answered, so the caller does)."""
    operation = getattr(err, "operation_name", None)
    if not operation:
        return None
    return f"{service}:{operation}" if service else str(operation)


@contextmanager
def aws_calls(doing: str, service: str | None = None) -> Iterator[None]:
    """Run AWS calls; a botocore error leaves as an AwsError saying `doing` failed and why.

    `service` is the IAM prefix of the calls (`states`, `logs`, `lambda`, `cloudformation`), to
    name the action an access-denied error needs.
    """
    from botocore.exceptions import (
        BotoCoreError,
        ClientError,
        EndpointConnectionError,
        NoCredentialsError,
        NoRegionError,
        PartialCredentialsError,
        ProfileNotFound,
        TokenRetrievalError,
        UnauthorizedSSOTokenError,
    )

    try:
        yield
    except (NoCredentialsError, PartialCredentialsError):
        raise AwsError(f"{doing}: no AWS credentials found. Fix: {CREDENTIALS_FIX}") from None
    except ProfileNotFound as err:
        raise AwsError(
            f"{doing}: {err}. Fix: pass a profile listed by `aws configure list-profiles`, "
            "or leave --profile and AWS_PROFILE unset"
        ) from None
    except NoRegionError:
        raise AwsError(
            f"{doing}: no AWS region. Fix: pass --region, set AWS_REGION, or deploy the stage "
            "with `orchestrator deploy --stage S --region R` (its samconfig keeps the region)"
        ) from None
    except (TokenRetrievalError, UnauthorizedSSOTokenError) as err:
        raise AwsError(f"{doing}: {err}. Fix: run `aws sso login` for that profile") from None
    except EndpointConnectionError as err:
        raise AwsError(
            f"{doing}: {err}. Fix: check the network, the region and AWS_ENDPOINT_URL"
        ) from None
    except ClientError as err:
        raise AwsError(client_error_message(doing, err, service)) from None
    except BotoCoreError as err:
        raise AwsError(f"{doing}: {err}") from None


def client_error_message(doing: str, err: Any, service: str | None = None) -> str:
    """The one line for an error AWS answered with, by its code."""
    code = error_code(err) or "Error"
    message = str(err.response.get("Error", {}).get("Message") or err)
    if code in _DENIED:
        action = iam_action(err, service)
        needs = f" {action}" if action else " this call"
        return (
            f"{doing}: access denied ({message}). Fix: use credentials whose policy allows"
            f"{needs} (--profile), or ask an administrator for it"
        )
    if code in _BAD_CREDENTIALS:
        return (
            f"{doing}: AWS rejected the credentials ({code}: {message}). Fix: refresh them "
            "(`aws sso login`, new keys) or pick another --profile"
        )
    if code in _THROTTLED:
        return f"{doing}: throttled by AWS ({message}). Fix: try again in a moment"
    return f"{doing}: {code}: {message}"
