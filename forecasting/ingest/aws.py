"""AWS sessions, clients and error translation for the API sources (CE, CloudWatch, Athena)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import TYPE_CHECKING, Any

from forecasting.errors import CapcostError, InputError

if TYPE_CHECKING:
    import boto3

# botocore's adaptive mode retries throttling with exponential backoff and also slows the
# client down (a token bucket) once AWS starts throttling, so later pages back off too.
# Attempts in total, the first one included.
DEFAULT_MAX_ATTEMPTS = 8


def session(profile: str | None = None, region: str | None = None) -> boto3.Session:
    """A boto3 session on the default credential chain, or on a named profile.

    Credentials are never read, stored or logged by capcost: boto3 resolves them per request.
    """
    import boto3
    from botocore.exceptions import ProfileNotFound

    try:
        return boto3.Session(profile_name=profile, region_name=region)
    except ProfileNotFound:
        raise InputError(f"no AWS profile named {profile!r}", parameter="--profile") from None


def client(
    aws: boto3.Session,
    service: str,
    *,
    region: str | None,
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
) -> Any:
    """A client with adaptive retries (throttling backs off instead of failing the run)."""
    from botocore.config import Config

    config = Config(
        retries={"mode": "adaptive", "total_max_attempts": max_attempts},
        user_agent_extra="capcost",
    )
    with api_errors(f"AWS {service} client"):  # e.g. no region configured anywhere
        return aws.client(service, region_name=region, config=config)  # type: ignore[call-overload]


def caller_account(aws: boto3.Session, region: str | None = None) -> str:
    """The AWS account id the credentials belong to (STS GetCallerIdentity needs no permission)."""
    with api_errors("STS"):
        sts: Any = aws.client("sts", region_name=region)
        return str(sts.get_caller_identity()["Account"])


@contextmanager
def api_errors(service: str, note: str = "") -> Iterator[None]:
    """Turn botocore failures into CapcostError with AWS's own code and message."""
    from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

    suffix = f" ({note})" if note else ""
    try:
        yield
    except NoCredentialsError:
        raise CapcostError(
            "no AWS credentials found: configure boto3's default chain (environment, "
            "~/.aws/config, SSO, instance role) or pass --profile"
        ) from None
    except ClientError as exc:
        err = exc.response.get("Error", {})
        raise CapcostError(
            f"{service} {err.get('Code', 'error')}: {err.get('Message', str(exc))}{suffix}"
        ) from exc
    except BotoCoreError as exc:
        raise CapcostError(f"{service}: {exc}{suffix}") from exc


def retries_of(response: dict[str, Any]) -> int:
    """How many times botocore retried a call before this (successful) response."""
    return int(response.get("ResponseMetadata", {}).get("RetryAttempts", 0))


def parse_day(text: str | None, parameter: str) -> date | None:
    """A YYYY-MM-DD command-line date, or None when not given."""
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InputError(f"not a date (YYYY-MM-DD): {text!r}", parameter=parameter) from None
