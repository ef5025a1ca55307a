"""Reads for the developer's page: my keys, the deployments I can call, my usage, how to call them.

Only reads: issuing and revoking keys go through ``serving.services`` (they check
permissions and write the audit events).
"""

from __future__ import annotations

import json
import shlex
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import User
from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from serving.models import Deployment, DeploymentState, InferenceRecord, InferenceStatus, ServingKey

USAGE_DAYS = 30
# The placeholder the examples use: a real key never belongs in a page that is cached or shared.
KEY_PLACEHOLDER = "$MODELGATE_API_KEY"
# When no deployment exists yet the examples still show where the name goes.
MODEL_PLACEHOLDER = "DEPLOYMENT_NAME"
_ALLOWED = (InferenceStatus.OK,)
_BLOCKED = (InferenceStatus.BLOCKED_INPUT, InferenceStatus.BLOCKED_OUTPUT)


# --- Keys ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class KeyRow:
    """One of my keys with its status as of the page's moment (active, expired or revoked)."""

    key: ServingKey
    status: str
    deployment_names: tuple[str, ...]

    @property
    def active(self) -> bool:
        """Usable now, so it gets a revoke form."""
        return self.status == "active"


def key_status(key: ServingKey, *, now: datetime) -> str:
    """Revoked wins over expired: a revoked key stays revoked whatever its expiry says."""
    if key.revoked_at is not None:
        return "revoked"
    if key.expires_at is not None and key.expires_at <= now:
        return "expired"
    return "active"


def keys_of(user: User, *, now: datetime | None = None) -> list[KeyRow]:
    """The user's keys, newest first, each with its status and the names of its deployments."""
    moment = now or timezone.now()
    keys = ServingKey.objects.filter(user=user).prefetch_related("deployments").order_by("-created_at", "-pk")
    return [
        KeyRow(key, key_status(key, now=moment), tuple(sorted(d.name for d in key.deployments.all()))) for key in keys
    ]


# --- Deployments --------------------------------------------------------------------------


@dataclass(frozen=True)
class DeploymentRow:
    """A deployment the user can call now (through ``key_names``) or may scope a new key to."""

    deployment: Deployment
    key_names: tuple[str, ...]

    @property
    def model(self) -> str:
        """The registry's id of the model served (its Hub repo id)."""
        return self.deployment.version.model.hub_id

    @property
    def short_revision(self) -> str:
        """The pinned commit, shortened as git does."""
        return self.deployment.revision[:7]


def scopable_deployments() -> QuerySet[Deployment]:
    """Deployments a new key may be scoped to: the active ones (the service refuses retired ones)."""
    return Deployment.objects.filter(state=DeploymentState.ACTIVE).order_by("name")


def deployments_for(user: User, keys: list[KeyRow]) -> list[DeploymentRow]:
    """The deployments on the user's active keys, then every other active deployment, by name.

    A deployment on an active key is listed even when paused or retired, so the developer
    sees why calls with that key stop working.
    """
    covering: dict[int, list[str]] = {}
    for row in keys:
        if row.active:
            for deployment in row.key.deployments.all():
                covering.setdefault(deployment.pk, []).append(row.key.name)
    deployments = (
        Deployment.objects.filter(Q(pk__in=covering) | Q(state=DeploymentState.ACTIVE))
        .select_related("version__model", "guardrail_policy")
        .order_by("name")
    )
    rows = [DeploymentRow(d, tuple(sorted(covering.get(d.pk, [])))) for d in deployments]
    # Callable ones first: those are what the developer's code already uses.
    return sorted(rows, key=lambda row: not row.key_names)


# --- Usage --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Usage:
    """The user's calls over the last ``days`` days, from their inference records."""

    days: int
    requests: int
    allowed: int
    blocked: int
    failed: int
    prompt_tokens: int
    completion_tokens: int
    by_day: tuple[tuple[date, int], ...]

    @property
    def tokens(self) -> int:
        """Prompt and completion tokens together."""
        return self.prompt_tokens + self.completion_tokens


def usage_of(user: User, *, days: int = USAGE_DAYS, now: datetime | None = None) -> Usage:
    """Totals and requests per day (today included) of the user's calls, allowed, blocked or failed.

    "Failed" is everything neither allowed nor blocked by a guardrail (refused, rate limited,
    upstream errors), the same split as the daily usage rollups.
    """
    today = timezone.localdate(now or timezone.now())
    start = today - timedelta(days=days - 1)
    records = InferenceRecord.objects.filter(user=user, created_at__date__gte=start, created_at__date__lte=today)
    totals = records.aggregate(
        requests=Count("pk"),
        allowed=Count("pk", filter=Q(status__in=_ALLOWED)),
        blocked=Count("pk", filter=Q(status__in=_BLOCKED)),
        prompt_tokens=Sum("prompt_tokens"),
        completion_tokens=Sum("completion_tokens"),
    )
    per_day = {
        row["day"]: row["n"]
        for row in records.annotate(day=TruncDate("created_at")).values("day").annotate(n=Count("pk"))
    }
    requests, allowed, blocked = int(totals["requests"]), int(totals["allowed"]), int(totals["blocked"])
    return Usage(
        days=days,
        requests=requests,
        allowed=allowed,
        blocked=blocked,
        failed=requests - allowed - blocked,
        prompt_tokens=int(totals["prompt_tokens"] or 0),
        completion_tokens=int(totals["completion_tokens"] or 0),
        by_day=tuple((start + timedelta(days=n), per_day.get(start + timedelta(days=n), 0)) for n in range(days)),
    )


# --- Examples -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Example:
    """A copy-paste snippet; ``element_id`` is what its copy button points at."""

    element_id: str
    title: str
    language: str
    code: str


def gateway_base_url() -> str:
    """The gateway's public /v1 URL, as developers reach it (not the address it binds to)."""
    return str(settings.MODELGATE_GATEWAY_PUBLIC_URL).rstrip("/")


def curl_example(*, model: str, key: str = KEY_PLACEHOLDER, stream: bool = False) -> str:
    """A chat completion with curl; ``key`` is the placeholder unless the page shows a key just issued."""
    body: dict[str, object] = {"model": model, "messages": [{"role": "user", "content": "Say hello."}]}
    if stream:
        body["stream"] = True
    # The placeholder must stay a shell variable (double quotes); a literal key is quoted as it is.
    authorization = (
        f'"Authorization: Bearer {key}"' if key == KEY_PLACEHOLDER else shlex.quote(f"Authorization: Bearer {key}")
    )
    lines = [
        f"curl {'-N ' if stream else ''}{shlex.quote(gateway_base_url() + '/chat/completions')} \\",
        f"  -H {authorization} \\",
        '  -H "Content-Type: application/json" \\',
        f"  -d {shlex.quote(json.dumps(body))}",
    ]
    return "\n".join(lines)


def python_example(*, model: str) -> str:
    """The official openai client pointed at the gateway, plain and streamed."""
    return "\n".join(
        [
            "import os",
            "",
            "from openai import OpenAI",
            "",
            f'client = OpenAI(base_url={json.dumps(gateway_base_url())}, api_key=os.environ["MODELGATE_API_KEY"])',
            "",
            "response = client.chat.completions.create(",
            f"    model={json.dumps(model)},",
            '    messages=[{"role": "user", "content": "Say hello."}],',
            ")",
            "print(response.choices[0].message.content)",
            "",
            "# Streamed: the gateway checks the answer sentence by sentence before it releases it.",
            "stream = client.chat.completions.create(",
            f"    model={json.dumps(model)},",
            '    messages=[{"role": "user", "content": "Say hello."}],',
            "    stream=True,",
            ")",
            "for chunk in stream:",
            '    print(chunk.choices[0].delta.content or "", end="", flush=True)',
        ]
    )


def api_examples(*, model: str | None) -> list[Example]:
    """The page's examples for ``model`` (a placeholder name when there is no deployment yet)."""
    name = model or MODEL_PLACEHOLDER
    return [
        Example("example-curl", "curl", "shell", curl_example(model=name)),
        Example("example-curl-stream", "curl, streamed", "shell", curl_example(model=name, stream=True)),
        Example("example-python", "Python (openai client)", "python", python_example(model=name)),
    ]
