"""Running a policy version's validators over prompts and answers, with guardrails-ai's on_fail semantics.

A ``CompiledPolicy`` is built once per policy version and shared by every request. It calls
each guardrails-ai ``Validator.validate`` directly instead of going through ``guardrails.Guard``:
the Guard costs about 1.2 ms per call on top of its validators, keeps the last calls' texts in
process memory (its history) and reports telemetry unless configured not to — see docs/adr/0010.

Outcomes never carry the matched text: validators' own messages may quote it (detect-secrets
does), so only the validator's name, the stage and the kinds it names are kept.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from guardrails.validator_base import Validator  # type: ignore[import-untyped, unused-ignore]

from serving.guardrails import offline  # noqa: F401  (before any validator runs)
from serving.guardrails.specs import ValidatorSpec, build_validator, parse_policy_spec

INPUT = "input"
OUTPUT = "output"


class GuardrailCrashed(RuntimeError):
    """A validator raised instead of answering: the call is refused (fail closed)."""

    def __init__(self, validator: str, stage: str, error: BaseException) -> None:
        super().__init__(f"{validator} ({stage}) failed: {type(error).__name__}")
        self.validator = validator
        self.stage = stage


@dataclass
class StageResult:
    """What one stage did to one text: the text to use, and whether the call must be refused."""

    text: str
    blocked_by: list[str] = field(default_factory=list)
    # One entry per validator run: {"validator", "on", "outcome", "on_fail"[, "kinds"]}
    outcomes: list[dict[str, str]] = field(default_factory=list)
    filtered: bool = False

    @property
    def blocked(self) -> bool:
        return bool(self.blocked_by)

    @property
    def changed(self) -> bool:
        return any(outcome["outcome"] in ("fixed", "filtered") for outcome in self.outcomes)


# The kinds a validator's message names after "found:", e.g. "credentials found: aws_access_key_id".
_KINDS = re.compile(r"found:\s*([a-z0-9_, ]{1,200})$")


def _kinds(message: str | None) -> str:
    match = _KINDS.search((message or "").strip())
    return match.group(1).strip() if match else ""


@dataclass(frozen=True)
class _Bound:
    spec: ValidatorSpec
    validator: Validator


class CompiledPolicy:
    """A policy version's validators, instantiated once, grouped by stage."""

    def __init__(self, version_id: int, specs: Sequence[ValidatorSpec]) -> None:
        self.version_id = version_id
        self._stages: dict[str, tuple[_Bound, ...]] = {
            stage: tuple(_Bound(spec, build_validator(spec)) for spec in specs if spec.on == stage)
            for stage in (INPUT, OUTPUT)
        }

    @classmethod
    def from_json(cls, version_id: int, validators: Any) -> CompiledPolicy:
        return cls(version_id, parse_policy_spec(validators))

    def has(self, stage: str) -> bool:
        return bool(self._stages[stage])

    def validator_names(self, stage: str) -> list[str]:
        return [bound.spec.name for bound in self._stages[stage]]

    def run(self, stage: str, text: str) -> StageResult:
        """Run every validator of ``stage`` in order; a fix feeds the next validator the fixed text.

        All validators run even after one blocks, so the refusal names every rule the text broke.
        """
        result = StageResult(text=text)
        for bound in self._stages[stage]:
            spec = bound.spec
            try:
                outcome = bound.validator.validate(result.text, {})
            except Exception as exc:
                raise GuardrailCrashed(spec.name, stage, exc) from exc
            entry = {"validator": spec.name, "on": stage, "on_fail": spec.on_fail}
            if getattr(outcome, "outcome", "pass") != "fail":
                entry["outcome"] = "pass"
                result.outcomes.append(entry)
                continue
            kinds = _kinds(getattr(outcome, "error_message", None))
            if kinds:
                entry["kinds"] = kinds
            if spec.on_fail == "exception":
                entry["outcome"] = "blocked"
                result.blocked_by.append(spec.name)
            elif spec.on_fail == "fix":
                fixed = getattr(outcome, "fix_value", None)
                if isinstance(fixed, str):
                    entry["outcome"] = "fixed"
                    result.text = fixed
                else:
                    # A validator with nothing to put in place: refusing is the only safe fix.
                    entry["outcome"] = "blocked"
                    result.blocked_by.append(spec.name)
            elif spec.on_fail == "filter":
                entry["outcome"] = "filtered"
                result.text = ""
                result.filtered = True
            else:
                entry["outcome"] = "failed_noop"
            result.outcomes.append(entry)
        return result


_compiled: dict[int, CompiledPolicy] = {}


def cached_policy(version_id: int) -> CompiledPolicy | None:
    """The compiled policy version if this process built it already."""
    return _compiled.get(version_id)


def compiled_policy(version_id: int, validators: Any) -> CompiledPolicy:
    """The shared compiled form of a policy version (versions never change, so it is built once)."""
    policy = _compiled.get(version_id)
    if policy is None:
        policy = _compiled[version_id] = CompiledPolicy.from_json(version_id, validators)
    return policy
