"""verify_signature, the check receivers run on every webhook."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from core.notifications.signing import sign, verify_signature

SECRET = "s3cret-shared-with-the-receiver"
BODY = b'{"id":"abc","payload":{},"topic":"compliance.approval.approved"}'


def test_the_signature_is_the_hex_hmac_sha256_of_the_raw_body() -> None:
    expected = hmac.new(SECRET.encode(), BODY, hashlib.sha256).hexdigest()
    assert sign(SECRET, BODY) == f"sha256={expected}"
    assert verify_signature(SECRET, BODY, f"sha256={expected}")
    assert verify_signature(SECRET, BODY, f" sha256={expected} ")


@pytest.mark.parametrize(
    "header",
    [
        "",
        "sha256=",
        "sha1=" + hmac.new(SECRET.encode(), BODY, hashlib.sha1).hexdigest(),
        hmac.new(SECRET.encode(), BODY, hashlib.sha256).hexdigest(),  # no scheme
        "sha256=" + hmac.new(SECRET.encode(), BODY, hashlib.sha256).hexdigest().upper(),
        "sha256=" + hmac.new(b"wrong", BODY, hashlib.sha256).hexdigest(),
        "sha256=é" * 10,
    ],
)
def test_anything_else_is_refused(header: str) -> None:
    assert not verify_signature(SECRET, BODY, header)


def test_a_changed_body_or_a_missing_secret_is_refused() -> None:
    header = sign(SECRET, BODY)
    assert not verify_signature(SECRET, BODY.replace(b"abc", b"abd"), header)
    assert not verify_signature("", BODY, sign("", BODY))
    assert not verify_signature(SECRET, BODY, None)  # type: ignore[arg-type]  (a missing header)
