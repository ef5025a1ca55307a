"""The license_check and detect_license commands, run in-process with call_command.

Exit codes: 0 allowed / allowed_with_obligations, 3 needs_separate_license, 4 forbidden, 2 bad input.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from compliance.licenses.catalog import load_catalog
from tests.cli import run_command
from tests.compliance_assess import license_texts

MIT_TEXT = license_texts.MIT

UNRECOGNIZABLE_TEXT = """Acme Model Terms

Permission is hereby granted, free of charge, to any person obtaining a copy of this software and
associated documentation files, but only on Tuesdays, and only for the purpose of admiring it.
"""


def _fingerprint_text(license_id: str) -> str:
    """A LICENSE-like text made of the catalog's fingerprint passages for ``license_id``."""
    phrases = load_catalog().licenses[license_id].fingerprint.phrases
    assert len(phrases) >= 2, license_id
    return "\n\n".join(f"{phrase}. Further terms follow here." for phrase in phrases)


_run = run_command


@pytest.fixture
def facts_file(tmp_path: Path) -> Any:
    def write(data: Any, *, raw: str | None = None) -> str:
        path = tmp_path / "facts.json"
        path.write_text(raw if raw is not None else json.dumps(data), encoding="utf-8")
        return str(path)

    return write


@pytest.fixture
def license_file(tmp_path: Path) -> Any:
    def write(text: str) -> str:
        path = tmp_path / "LICENSE"
        path.write_text(text, encoding="utf-8")
        return str(path)

    return write


# ---- exit codes ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("license", "facts", "code", "verdict"),
    [
        ("mit", {}, 0, "allowed"),
        ("llama3.1", {"distribution": {"hosted_service_for_third_parties": True}}, 0, "allowed_with_obligations"),
        ("mnpl", {"purpose": "internal_business"}, 3, "needs_separate_license"),
        ("qwen", {"organization": {"monthly_active_users": 150_000_000}}, 3, "needs_separate_license"),
        (
            "LicenseRef-Falcon-180B-TII-1.0",
            {"distribution": {"hosted_service_for_third_parties": True}},
            3,
            "needs_separate_license",
        ),
        ("cc-by-nc-4.0", {}, 4, "forbidden"),
        ("deepseek", {"use_domains": ["military"]}, 4, "forbidden"),
        ("MIT OR CC-BY-NC-4.0", {}, 0, "allowed"),
        ("MIT AND CC-BY-NC-4.0", {}, 4, "forbidden"),
    ],
)
def test_exit_code_follows_the_verdict(
    license: str, facts: dict[str, Any], code: int, verdict: str, facts_file: Any
) -> None:
    run = _run("license_check", "--license", license, "--facts", facts_file(facts))

    assert run.code == code, (run.stdout, run.stderr)
    assert run.stderr == ""
    result = run.json()
    assert result["verdict"] == verdict
    assert set(result) == {"verdict", "license", "obligations", "reasons"}
    assert result["reasons"]
    assert set(result["license"]) == {"id", "name", "category", "osi_approved"}


def test_the_json_output_names_license_obligations_and_reasons(facts_file: Any) -> None:
    run = _run(
        "license_check",
        "--license",
        "llama3.1",
        "--facts",
        facts_file({"distribution": {"hosted_service_for_third_parties": True}}),
    )

    result = run.json()
    assert result["license"] == {
        "id": "LicenseRef-Llama-3.1",
        "name": "Llama 3.1 Community License Agreement",
        "category": "source_available_ai",
        "osi_approved": False,
    }
    assert any('"Built with Llama"' in item["text"] for item in result["obligations"])
    assert all(item["clause"].startswith("LicenseRef-Llama-3.1 ") for item in result["obligations"])


def test_facts_are_read_from_stdin(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(json.dumps({"organization": {"annual_revenue_usd": 3_000_000}})))

    run = _run("license_check", "--license", "stabilityai-ai-community", "--facts", "-")

    assert run.code == 3
    assert run.json()["verdict"] == "needs_separate_license"


def test_empty_facts_on_stdin_are_bad_input(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(""))

    run = _run("license_check", "--license", "mit", "--facts", "-")

    assert run.code == 2
    assert list(run.error()["fields"]) == ["facts"]


def test_text_format(facts_file: Any) -> None:
    run = _run(
        "license_check",
        "--license",
        "apache-2.0",
        "--facts",
        facts_file({"distribution": {"weights": True}}),
        "--format",
        "text",
    )

    assert run.code == 0
    lines = run.stdout.splitlines()
    assert lines[0] == "verdict: allowed_with_obligations"
    assert lines[1] == "license: Apache-2.0 (Apache License 2.0, osi_permissive, OSI approved: yes)"
    assert "obligations:" in lines
    assert "reasons:" in lines
    assert lines.index("obligations:") < lines.index("reasons:")
    assert any(line.startswith("  - ") and line.endswith("[Apache-2.0 §4(a)]") for line in lines)


def test_text_format_of_a_refusal(facts_file: Any) -> None:
    run = _run("license_check", "--license", "cc-by-nc-4.0", "--facts", facts_file({}), "--format", "text")

    assert run.code == 4
    assert run.stdout.splitlines()[:2] == [
        "verdict: forbidden",
        "license: CC-BY-NC-4.0 (Creative Commons Attribution-NonCommercial 4.0 International, non_commercial, OSI approved: no)",
    ]
    assert "obligations:" not in run.stdout
    assert "[CC-BY-NC-4.0 §2(a)(1); §1(i)]" in run.stdout


# ---- bad input: exit 2 with the field named --------------------------------------------------------------


@pytest.mark.parametrize("raw", ["{bad json", '{"commercial": true,}', "", "[1, 2"])
def test_a_facts_file_that_is_not_json_is_bad_input(raw: str, facts_file: Any) -> None:
    run = _run("license_check", "--license", "mit", "--facts", facts_file(None, raw=raw))

    assert run.code == 2
    assert run.stdout == ""
    error = run.error()
    assert list(error["fields"]) == ["facts"]
    assert "is not valid JSON" in error["fields"]["facts"][0]


def test_a_missing_facts_file_is_bad_input(tmp_path: Path) -> None:
    run = _run("license_check", "--license", "mit", "--facts", str(tmp_path / "missing.json"))

    assert run.code == 2
    assert "cannot read" in run.error()["fields"]["facts"][0]


def test_invalid_facts_name_every_field(facts_file: Any) -> None:
    run = _run(
        "license_check",
        "--license",
        "mit",
        "--facts",
        facts_file({"organization": {"mau": 3}, "commercial": "yes", "purpose": "profit"}),
    )

    assert run.code == 2
    error = run.error()
    assert error["code"] == "invalid_facts"
    assert set(error["fields"]) == {"organization.mau", "commercial", "purpose"}


@pytest.mark.parametrize("literal", ["1e400", "Infinity"])
def test_infinite_revenue_is_bad_input(literal: str, facts_file: Any) -> None:
    """Python's JSON reader makes inf of both; the engine's int(revenue) then raises OverflowError."""
    path = facts_file(None, raw=f'{{"organization": {{"annual_revenue_usd": {literal}}}}}')

    run = _run("license_check", "--license", "stabilityai-ai-community", "--facts", path)

    assert run.code == 2
    assert list(run.error()["fields"]) == ["organization.annual_revenue_usd"]


def test_an_unknown_license_is_bad_input_with_suggestions(facts_file: Any) -> None:
    run = _run("license_check", "--license", "llama3.9", "--facts", facts_file({}))

    assert run.code == 2
    assert run.stdout == ""
    error = run.error()
    assert error["code"] == "unknown_license"
    assert list(error["fields"]) == ["license"]
    assert "llama3.1" in error["suggestions"]
    assert "did you mean" in error["message"]


@pytest.mark.parametrize("expression", ["(MIT", "MIT AND", "MIT AND AND Apache-2.0"])
def test_a_malformed_expression_is_bad_input(expression: str, facts_file: Any) -> None:
    run = _run("license_check", "--license", expression, "--facts", facts_file({}))

    assert run.code == 2
    error = run.error()
    assert error["code"] == "invalid_expression"
    assert list(error["fields"]) == ["license"]


def test_a_license_or_a_license_file_is_required(facts_file: Any) -> None:
    with pytest.raises(CommandError, match="--license"):
        call_command("license_check", "--facts", facts_file({}), stdout=io.StringIO(), stderr=io.StringIO())


# ---- --license-file ---------------------------------------------------------------------------------------


def test_a_recognized_mit_text_is_evaluated(facts_file: Any, license_file: Any) -> None:
    run = _run(
        "license_check",
        "--license-file",
        license_file(MIT_TEXT),
        "--facts",
        facts_file({"distribution": {"weights": True}}),
    )

    assert run.code == 0
    result = run.json()
    assert result["verdict"] == "allowed_with_obligations"
    assert result["license"]["id"] == "MIT"
    assert result["detection"]["license"] == "MIT"
    assert result["detection"]["matched_by"] == "fingerprint"
    assert result["detection"]["confidence"] == 1.0


def test_a_text_made_of_a_catalog_fingerprint_is_recognized_with_its_version(
    facts_file: Any, license_file: Any
) -> None:
    run = _run(
        "license_check",
        "--license-file",
        license_file(_fingerprint_text("LicenseRef-Llama-3.1")),
        "--facts",
        facts_file({"organization": {"mau_on_license_release_date": 800_000_000}}),
    )

    assert run.code == 3
    result = run.json()
    assert result["license"]["id"] == "LicenseRef-Llama-3.1"
    assert result["detection"]["license"] == "LicenseRef-Llama-3.1"
    assert result["detection"]["version"] == "3.1"
    assert result["detection"]["confidence"] == 1.0


def test_an_unrecognizable_text_is_bad_input_with_candidates(facts_file: Any, license_file: Any) -> None:
    run = _run("license_check", "--license-file", license_file(UNRECOGNIZABLE_TEXT), "--facts", facts_file({}))

    assert run.code == 2
    assert run.stdout == ""
    error = run.error()
    assert error["code"] == "license_text_unrecognized"
    assert list(error["fields"]) == ["license_file"]
    detection = error["detection"]
    assert detection["license"] is None
    assert detection["matched_by"] == "none"
    assert detection["candidates"][0]["license"] == "MIT"
    assert detection["candidates"][0]["phrases_matched"] == "1/5"
    assert "MIT (0.20)" in error["message"]


def test_a_text_with_no_license_words_at_all_is_bad_input(facts_file: Any, license_file: Any) -> None:
    run = _run(
        "license_check", "--license-file", license_file("Lorem ipsum dolor sit amet."), "--facts", facts_file({})
    )

    assert run.code == 2
    error = run.error()
    assert error["code"] == "license_text_unrecognized"
    assert error["detection"]["candidates"] == []
    assert "best candidates: none" in error["message"]


def test_a_missing_license_file_is_bad_input(tmp_path: Path, facts_file: Any) -> None:
    run = _run("license_check", "--license-file", str(tmp_path / "NOPE"), "--facts", facts_file({}))

    assert run.code == 2
    assert list(run.error()["fields"]) == ["license_file"]


# ---- detect_license ------------------------------------------------------------------------------------------


def test_detect_license_output_shape(license_file: Any) -> None:
    run = _run("detect_license", license_file(MIT_TEXT))

    assert run.code == 0
    result = run.json()
    assert {"license", "version", "confidence", "matched_by"} <= set(result)
    assert result["license"] == "MIT"
    assert isinstance(result["version"], str)
    assert result["confidence"] == 1.0
    assert result["matched_by"] == "fingerprint"


@pytest.mark.parametrize(
    ("license_id", "version"),
    [
        ("LicenseRef-Llama-3.1", "3.1"),
        ("LicenseRef-Llama-3.2", "3.2"),
        ("Apache-2.0", "2.0"),
        ("LicenseRef-MNPL-0.1", None),
    ],
)
def test_detect_license_tells_versions_apart(license_id: str, version: str | None, license_file: Any) -> None:
    run = _run("detect_license", license_file(_fingerprint_text(license_id)))

    result = run.json()
    assert result["license"] == license_id
    assert result["version"] == (version if version is not None else load_catalog().licenses[license_id].version)
    assert result["matched_by"] == "fingerprint"
    assert 0.5 <= result["confidence"] <= 1.0


def test_detect_license_of_an_unrecognizable_text(license_file: Any) -> None:
    result = _run("detect_license", license_file(UNRECOGNIZABLE_TEXT)).json()

    assert result["license"] is None
    assert result["version"] is None
    assert result["matched_by"] == "none"
    assert 0 < result["confidence"] < 0.5


def test_detect_license_reads_stdin(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(MIT_TEXT))

    result = _run("detect_license", "-").json()

    assert result["license"] == "MIT"


def test_detect_license_of_a_missing_file_fails_with_code_2(tmp_path: Path) -> None:
    with pytest.raises(CommandError) as caught:
        call_command("detect_license", str(tmp_path / "NOPE"), stdout=io.StringIO(), stderr=io.StringIO())

    assert caught.value.returncode == 2
    assert "cannot read" in str(caught.value)
