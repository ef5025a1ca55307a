"""The classify command, run in-process with call_command. Exit 0: classified; 2: bad input (error JSON on stderr)."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from tests.cli import Run, run_command


def _run(*args: str) -> Run:
    return run_command("classify", *args)


@pytest.fixture
def answers_file(tmp_path: Path) -> Callable[..., str]:
    def write(data: Any, *, raw: str | None = None) -> str:
        path = tmp_path / "answers.json"
        path.write_text(raw if raw is not None else json.dumps(data), encoding="utf-8")
        return str(path)

    return write


@pytest.mark.parametrize(
    ("answers", "tier", "gpai"),
    [
        ({}, "minimal", "none"),
        ({"annex_iii": ["4a"]}, "high_risk", "none"),
        ({"transparency": {"interacts_with_natural_persons": True}}, "transparency", "none"),
        ({"practices": ["social_scoring"]}, "prohibited", "none"),
        ({"scope": {"scientific_research_only": True}}, "out_of_scope", "none"),
        ({"gpai": {"is_general_purpose_model": True, "training_compute_flops": 3e25}}, "minimal", "gpai_systemic_risk"),
    ],
)
def test_every_classification_exits_0_with_the_json_result(
    answers: dict[str, Any], tier: str, gpai: str, answers_file: Callable[..., str]
) -> None:
    run = _run("--answers", answers_file(answers))

    assert run.code == 0, run.stderr
    assert run.stderr == ""
    result = run.json()
    assert set(result) == {"tier", "gpai", "transparency_duties", "reasons", "obligations"}
    assert (result["tier"], result["gpai"]) == (tier, gpai)
    assert result["reasons"]


def test_a_gpai_at_exactly_1e25_written_as_json_is_not_systemic(answers_file: Callable[..., str]) -> None:
    run = _run(
        "--answers",
        answers_file(None, raw='{"gpai": {"is_general_purpose_model": true, "training_compute_flops": 1e25}}'),
    )

    assert run.json()["gpai"] == "gpai"


def test_answers_are_read_from_stdin(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(json.dumps({"annex_iii": ["5b"]})))

    run = _run("--answers", "-")

    assert run.code == 0
    assert run.json()["tier"] == "high_risk"


def test_empty_stdin_is_bad_input(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(""))

    run = _run("--answers", "-")

    assert run.code == 2
    assert run.stdout == ""
    assert list(run.error()["fields"]) == ["answers"]


def test_text_format(answers_file: Callable[..., str]) -> None:
    run = _run(
        "--answers",
        answers_file({"annex_iii": ["4a"], "transparency": {"interacts_with_natural_persons": True}}),
        "--format",
        "text",
    )

    assert run.code == 0
    lines = run.stdout.splitlines()
    assert lines[:3] == ["tier: high_risk", "gpai: none", "transparency duties: art50_1_disclose_ai_interaction"]
    assert lines.index("obligations:") < lines.index("reasons:")
    assert any(
        line.startswith("  - Provider: meet the Chapter III Section 2 requirements")
        and line.endswith("[Arts. 8-15; from 2027-12-02, amended]")
        for line in lines
    )
    assert any(line.endswith("[Art. 6(2); Annex III point 4(a)]") for line in lines)


def test_text_format_without_obligations(answers_file: Callable[..., str]) -> None:
    run = _run(
        "--answers", answers_file({"scope": {"military_defence_or_national_security_only": True}}), "--format", "text"
    )

    assert run.code == 0
    assert run.stdout.splitlines()[:3] == ["tier: out_of_scope", "gpai: none", "transparency duties: none"]
    assert "obligations:" not in run.stdout
    assert "[Art. 2(3)]" in run.stdout


# ---- bad input: exit 2, the error JSON on stderr, nothing on stdout ------------------------------------------


@pytest.mark.parametrize("raw", ["{bad json", '{"annex_iii": ["4a"],}', "", "[1, 2"])
def test_a_file_that_is_not_json_is_bad_input(raw: str, answers_file: Callable[..., str]) -> None:
    run = _run("--answers", answers_file(None, raw=raw))

    assert run.code == 2
    assert run.stdout == ""
    error = run.error()
    assert list(error["fields"]) == ["answers"]
    assert "is not valid JSON" in error["fields"]["answers"][0]


def test_a_missing_file_is_bad_input(tmp_path: Path) -> None:
    run = _run("--answers", str(tmp_path / "missing.json"))

    assert run.code == 2
    assert "cannot read" in run.error()["fields"]["answers"][0]


def test_a_file_that_is_not_utf8_is_bad_input(tmp_path: Path) -> None:
    path = tmp_path / "answers.json"
    path.write_bytes(b'{"annex_iii": ["\xff"]}')

    run = _run("--answers", str(path))

    assert run.code == 2
    assert list(run.error()["fields"]) == ["answers"]


def test_invalid_answers_name_every_field(answers_file: Callable[..., str]) -> None:
    run = _run(
        "--answers",
        answers_file(
            {"annex_iii": ["9a"], "scope": {"hobby": True}, "practice_exceptions": ["medical_or_safety_reasons"]}
        ),
    )

    assert run.code == 2
    assert run.stdout == ""
    error = run.error()
    assert error["code"] == "invalid_answers"
    assert set(error["fields"]) == {"annex_iii", "scope.hobby", "practice_exceptions"}
    assert error["message"].startswith("the classification answers are invalid: ")


def test_non_object_answers_are_bad_input(answers_file: Callable[..., str]) -> None:
    run = _run("--answers", answers_file(["annex_iii"]))

    assert run.code == 2
    assert list(run.error()["fields"]) == ["answers"]


def test_the_answers_option_is_required() -> None:
    with pytest.raises(CommandError, match="--answers"):
        call_command("classify", stdout=io.StringIO(), stderr=io.StringIO())


def test_an_unknown_format_is_refused(answers_file: Callable[..., str]) -> None:
    with pytest.raises(CommandError, match="--format"):
        call_command(
            "classify", "--answers", answers_file({}), "--format", "xml", stdout=io.StringIO(), stderr=io.StringIO()
        )
