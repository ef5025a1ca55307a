"""Modelgate's offline, pattern-based guardrails-ai validators for prompts and answers.

Each class is an ordinary guardrails-ai ``Validator`` registered under a ``modelgate/...`` name, but the
serving gateway calls ``validate()`` directly on its hot path and applies on_fail itself. So every pattern
is compiled once, at import, and nothing here downloads, loads a model or touches the network.

Privacy: a ``FailResult`` names only the *kind* of what was found (``"email"``, ``"github_token"``) in its
``error_message``, its spans' ``reason`` and its ``metadata``; it never quotes the matched text. Only
``fix_value`` is derived from the text, and there every match is replaced.
"""

from __future__ import annotations

import base64
import bisect
import ipaddress
import json
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Final

from guardrails.validator_base import (  # type: ignore[import-untyped, unused-ignore]
    ErrorSpan,
    FailResult,
    PassResult,
    ValidationResult,
    Validator,
    register_validator,
)

from serving.guardrails import offline  # noqa: F401  (telemetry and remote inference off before any validator exists)

OnFail = str | Callable[..., Any] | None


# ---- shared: non-overlapping hits and the privacy-safe FailResult ------------------------------------------


@dataclass(frozen=True, slots=True)
class _Hit:
    start: int
    end: int
    kind: str
    mask: str


class _Hits:
    """Hits that never overlap: detectors run from most to least specific, and the first claim on a span wins.

    Detectors for kinds the caller did not ask for still run and claim their spans, so that, say, the digit
    groups of an IBAN are not reported as a phone number when only phones are checked.
    """

    __slots__ = ("_starts", "claimed")

    def __init__(self) -> None:
        self.claimed: list[_Hit] = []  # in text order
        self._starts: list[int] = []

    def taken(self, start: int, end: int) -> bool:
        """Whether any of ``start``..``end`` is claimed already (checked before costlier validation)."""
        index = bisect.bisect_right(self._starts, start)
        if index and self.claimed[index - 1].end > start:
            return True
        return index < len(self._starts) and self._starts[index] < end

    def claim(self, start: int, end: int, kind: str, mask: str) -> None:
        if not self.taken(start, end):
            index = bisect.bisect_right(self._starts, start)
            self._starts.insert(index, start)
            self.claimed.insert(index, _Hit(start, end, kind, mask))


def _glued_before(text: str, start: int, extra: str = "") -> bool:
    """Whether the character before ``start`` continues a token: a letter, digit, underscore or one of ``extra``.

    Checked in Python where a pattern would otherwise have to open with a lookbehind: a pattern that starts
    with a literal or a character class lets ``re`` skip ahead to candidates, several times faster.
    """
    if start == 0:
        return False
    before = text[start - 1]
    return before.isalnum() or before == "_" or before in extra


def _failure(text: str, hits: Sequence[_Hit], kind_order: Sequence[str], what: str) -> FailResult:
    """A FailResult naming the kinds found, with a fix that replaces every hit by its mask."""
    ordered = sorted(hits, key=lambda hit: hit.start)
    pieces: list[str] = []
    cursor = 0
    for hit in ordered:
        pieces.append(text[cursor : hit.start])
        pieces.append(hit.mask)
        cursor = hit.end
    pieces.append(text[cursor:])
    present = {hit.kind for hit in ordered}
    kinds = [kind for kind in kind_order if kind in present]
    return FailResult(
        error_message=f"{what}: {', '.join(kinds)}",
        fix_value="".join(pieces),
        error_spans=[ErrorSpan(start=hit.start, end=hit.end, reason=hit.kind) for hit in ordered],
        metadata={"kinds": kinds},
    )


def _checked_choices(given: Iterable[str] | None, known: Sequence[str], label: str) -> frozenset[str]:
    if given is None:
        return frozenset(known)
    if isinstance(given, str):
        raise TypeError(f"{label} must be a list of names, not a single string")
    chosen = list(given)
    unknown = [name for name in chosen if name not in known]
    if unknown:
        raise ValueError(f"unknown {label} {', '.join(map(repr, unknown))}; expected one of: {', '.join(known)}")
    if not chosen:
        raise ValueError(f"{label} must name at least one of: {', '.join(known)}")
    return frozenset(chosen)


# ---- personal data -----------------------------------------------------------------------------------------

PII_ENTITIES: Final = ("email", "phone", "payment_card", "iban", "ip_address", "national_id")
PII_PLACEHOLDERS: Final = {entity: f"[{entity.upper()}]" for entity in PII_ENTITIES}

_EMAIL_DOMAIN = re.compile(r"@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,24}(?![\w-])")
_EMAIL_LOCAL_PUNCTUATION: Final = "._%+-"

# Lengths from the SWIFT IBAN registry; knowing the exact length is what lets a match stop where the IBAN
# ends instead of running on into the next words.
IBAN_LENGTHS: Final = {
    "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22, "BI": 27,
    "BR": 29, "BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DJ": 27, "DK": 18, "DO": 28,
    "EE": 20, "EG": 29, "ES": 24, "FI": 18, "FK": 18, "FO": 18, "FR": 27, "GB": 22, "GE": 22, "GI": 23,
    "GL": 18, "GR": 27, "GT": 28, "HN": 28, "HR": 21, "HU": 28, "IE": 22, "IL": 23, "IQ": 23, "IS": 26,
    "IT": 27, "JO": 30, "KW": 30, "KZ": 20, "LB": 28, "LC": 32, "LI": 21, "LT": 20, "LU": 20, "LV": 21,
    "LY": 25, "MC": 27, "MD": 24, "ME": 22, "MK": 19, "MN": 20, "MR": 27, "MT": 31, "MU": 30, "NI": 28,
    "NL": 18, "NO": 15, "OM": 23, "PK": 24, "PL": 28, "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22,
    "RU": 33, "SA": 24, "SC": 31, "SD": 18, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "SO": 23, "ST": 25,
    "SV": 28, "TL": 23, "TN": 24, "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20, "YE": 30,
}  # fmt: skip
# Digits are ASCII digits throughout (re.ASCII): check-digit arithmetic is defined for those alone.
# Anchored on the check digits, which must follow two letters (the country code, checked in Python).
_IBAN_AFTER_COUNTRY = re.compile(r"\d(?<=[A-Za-z]{2}\d)\d(?: ?[A-Za-z0-9]){11,30}", re.ASCII)

# A maximal run of digits with single space/dash separators; card numbers are looked for inside it.
_DIGIT_RUN = re.compile(r"\d(?<![\d.,+]\d)(?:[ -]?\d){12,}", re.ASCII)
_DIGIT_GROUP = re.compile(r"\d+", re.ASCII)
_DECIMAL_TAIL = re.compile(r"[.,]\d", re.ASCII)

# Anchored on the first dot (re finds a literal fastest); the first octet before it is read in Python.
_IPV4_AFTER_FIRST_OCTET = re.compile(r"\.\d{1,3}\.\d{1,3}\.\d{1,3}(?!\w|\.\d)", re.ASCII)
# Every IPv6 address has "::" or ":hhhh:" somewhere; the address is grown outwards from there.
_IPV6_ANCHOR = re.compile(r":[0-9A-Fa-f]{0,4}:")
_IPV6_CHARS: Final = frozenset("0123456789abcdefABCDEF:.")

# One pass finds candidates for every national ID, anchored on a digit (what re skips to fastest); the
# letters some IDs start with are required by lookbehinds and checked again in Python.
_NATIONAL_ID_CANDIDATE = re.compile(
    r"\d(?:"
    # US SSN 3-2-4 with one kind of separator
    r"(?<![\w-]\d)\d\d(?P<ssn_separator>[- ])\d\d(?P=ssn_separator)\d{4}(?!\w|-\d)(?P<ssn>)"
    # UK NINO: the six digits and the suffix letter after two prefix letters
    r"|(?<=[A-Za-z][A-Za-z ]\d)\d ?\d\d ?\d\d ?[A-Da-d](?![A-Za-z0-9])(?P<uk_nino>)"
    # Italian codice fiscale from the birth year on, after six name letters. Omocodia (when two people would
    # share a code) swaps digits for the letters L, M, N, P-V from the right, so later positions allow them.
    r"|(?<=[A-Za-z]{6}\d)\d[ABCDEHLMPRSTabcdehlmprst][0-9LMNP-Vlmnp-v]{2}[A-Za-z][0-9LMNP-Vlmnp-v]{3}[A-Za-z]"
    r"(?![A-Za-z0-9])(?P<it_codice_fiscale>)"
    # Spanish DNI (eight digits) or NIE (X/Y/Z and seven digits), then the check letter
    r"|(?<!\d\d)\d{6,7}[- ]?[A-Za-z](?![A-Za-z0-9])(?P<es_dni_nie>)"
    r")",
    re.ASCII,
)
_UK_NINO_FIRST_LETTERS: Final = frozenset("ABCEGHJKLMNOPRSTWXYZ")
_UK_NINO_SECOND_LETTERS: Final = frozenset("ABCEGHJKLMNPRSTWXYZ")
_UK_NINO_UNUSED_PREFIXES: Final = frozenset({"BG", "GB", "KN", "NK", "NT", "TN", "ZZ"})
_ES_CHECK_LETTERS: Final = "TRWAGMYFPDXBNJZSQVHLCKE"
_IT_ODD_VALUES: Final = dict(
    zip(
        "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ",
        (1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 1, 0, 5, 7, 9, 13, 15, 17, 19, 21,
         2, 4, 18, 20, 11, 3, 6, 8, 12, 14, 16, 10, 22, 25, 24, 23),
        strict=True,
    )
)  # fmt: skip

_PHONE_INTERNATIONAL = re.compile(
    r"(?:\+|0(?<!\d0)0)[1-9]\d{0,2}(?>[ .-]?(?:\(\d{1,4}\)|\d{1,5})){2,6}(?!\w|[.-]?\d)", re.ASCII
)
# North American 3-3-4; the first character is a class so that re can skip to candidates.
_PHONE_NANP = re.compile(
    r"[(2-9](?<!\d[(2-9])(?:(?<=\()[2-9]\d\d\)[ .-]?|(?<=[2-9])\d\d[ .-])\d{3}[ .-]\d{4}(?!\w|[.-]\d)",
    re.ASCII,
)
_NANP_COUNTRY_PREFIXES: Final = ("+1 ", "+1-", "+1.", "1 ", "1-", "1.")
# A trunk-prefixed national number ("020 7946 0958", "01 23 45 67 89") keeps one separator throughout,
# which is what tells it apart from dates such as 01.02.2024.
_PHONE_NATIONAL = re.compile(
    r"(?:0(?<!\d0)[1-9]\d{0,3}(?P<sep>[ .\-/])\d{2,8}(?:(?P=sep)\d{2,8}){0,5}|\(0[1-9]\d{0,3}\) ?\d{2,8}(?:[ -]\d{2,8}){0,3})(?!\w|[.-]\d)",
    re.ASCII,
)


def _luhn_valid(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = ord(char) - 48
        if position % 2:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


_IBAN_LETTER_VALUES: Final = str.maketrans({chr(code): str(code - 55) for code in range(ord("A"), ord("Z") + 1)})


def iban_checksum_valid(iban: str) -> bool:
    """ISO 7064 mod 97-10 check of a compact, upper-case IBAN (no spaces), as ISO 13616 defines it."""
    digits = (iban[4:] + iban[:4]).translate(_IBAN_LETTER_VALUES)
    return digits.isascii() and digits.isdigit() and int(digits) % 97 == 1


def _find_emails(text: str, hits: _Hits) -> None:
    if "@" not in text:
        return
    for match in _EMAIL_DOMAIN.finditer(text):
        start = match.start()
        while start > 0 and match.start() - start < 64:
            before = text[start - 1]
            if not (before.isalnum() or before == "_" or before in _EMAIL_LOCAL_PUNCTUATION):
                break
            start -= 1
        if start == match.start() or _glued_before(text, start, _EMAIL_LOCAL_PUNCTUATION):
            continue  # no local part, or one longer than the 64 characters an address allows
        hits.claim(start, match.end(), "email", PII_PLACEHOLDERS["email"])


def _find_ibans(text: str, hits: _Hits) -> None:
    position = 0
    while match := _IBAN_AFTER_COUNTRY.search(text, position):
        position = match.start() + 1
        start = match.start() - 2
        if start < 0 or _glued_before(text, start):
            continue
        expected_length = IBAN_LENGTHS.get(text[start : match.start()].upper())
        if expected_length is None:
            continue
        chars = [text[start], text[start + 1]]
        last_index = start
        for index in range(match.start(), match.end()):
            if text[index] != " ":
                chars.append(text[index])
                last_index = index
                if len(chars) == expected_length:
                    break
        end = last_index + 1
        if len(chars) < expected_length or (end < len(text) and text[end].isalnum()):
            continue
        if iban_checksum_valid("".join(chars).upper()):
            hits.claim(start, end, "iban", PII_PLACEHOLDERS["iban"])
            position = end


def _find_payment_cards(text: str, hits: _Hits) -> None:
    for run in _DIGIT_RUN.finditer(text):
        if _DECIMAL_TAIL.match(text, run.end()) or hits.taken(*run.span()):
            continue  # 1234567890123.45 is an amount; a run inside an IBAN is no card
        body = run.group()
        groups = [group.span() for group in _DIGIT_GROUP.finditer(body)]
        first = 0
        while first < len(groups):
            last = _card_ending_at(body, groups, first)
            if last is None:
                first += 1
                continue
            hits.claim(
                run.start() + groups[first][0],
                run.start() + groups[last][1],
                "payment_card",
                PII_PLACEHOLDERS["payment_card"],
            )
            first = last + 1


def _card_ending_at(body: str, groups: list[tuple[int, int]], first: int) -> int | None:
    """Index of the last digit group of the longest card number that starts at group ``first``, if any.

    A card number written in groups keeps one separator and groups of three or more digits, starting with
    four (4-4-4-4, 4-6-5), which keeps SSNs, dates and phone numbers in a long digit run from combining.
    """
    best = None
    digits = ""
    separator = None
    for index in range(first, len(groups)):
        start, end = groups[index]
        if index > first:
            gap = body[groups[index - 1][1]]
            if separator is None:
                separator = gap
            if gap != separator or end - start < 3 or groups[first][1] - groups[first][0] < 4:
                break
        digits += body[start:end]
        if len(digits) > 19:
            break
        if len(digits) >= 13 and _card_network_accepts(digits) and _luhn_valid(digits):
            best = index
    return best


def _card_network_accepts(digits: str) -> bool:
    """Whether the number's prefix belongs to a card network that issues numbers of its length."""
    length = len(digits)
    two, three, four = int(digits[:2]), int(digits[:3]), int(digits[:4])
    if digits[0] == "4":  # Visa
        return length in (13, 16, 19)
    if 51 <= two <= 55 or 2221 <= four <= 2720:  # Mastercard
        return length == 16
    if two in (34, 37):  # American Express
        return length == 15
    if 300 <= three <= 305 or two in (36, 38, 39):  # Diners Club
        return 14 <= length <= 19
    if 3528 <= four <= 3589:  # JCB
        return 16 <= length <= 19
    # Discover (6011, 644-649, 65), UnionPay (62) and Maestro (50, 56-69) all fall in here.
    return (two == 50 or 56 <= two <= 69) and 13 <= length <= 19


def _find_ip_addresses(text: str, hits: _Hits) -> None:
    mask = PII_PLACEHOLDERS["ip_address"]
    position = 0
    while match := _IPV6_ANCHOR.search(text, position):
        floor, start, end = position, match.start(), match.end()
        while start > floor and text[start - 1] in _IPV6_CHARS and end - start < 45:
            start -= 1
        while end < len(text) and text[end] in _IPV6_CHARS and end - start < 45:
            end += 1
        position = end
        candidate = text[start:end].strip(".")
        start = text.index(candidate, start)
        end = start + len(candidate)
        if _glued_before(text, start) or (end < len(text) and (text[end].isalnum() or text[end] == "_")):
            continue
        if _looks_like_ipv6(candidate):
            hits.claim(start, end, "ip_address", mask)
    for match in _IPV4_AFTER_FIRST_OCTET.finditer(text):
        start = match.start()
        while start > 0 and match.start() - start < 3 and text[start - 1].isdigit():
            start -= 1
        if start == match.start() or _glued_before(text, start, "."):
            continue  # no first octet, or a longer number or dotted sequence
        try:
            ipaddress.IPv4Address(text[start : match.end()])
        except ValueError:
            continue
        hits.claim(start, match.end(), "ip_address", mask)


def _looks_like_ipv6(candidate: str) -> bool:
    colons = candidate.count(":")
    if colons > 7 or ":::" in candidate or candidate.count("::") > 1:
        return False  # cheaper than letting ipaddress raise
    # "::" alone and slice syntax such as a[1::2] are valid IPv6 text but not addresses anyone writes down;
    # a real address has three or more colons or at least one full four-digit group.
    if colons < 3 and not any(len(group) == 4 for group in candidate.split(":")):
        return False
    try:
        ipaddress.IPv6Address(candidate)
    except ValueError:
        return False
    return True


def _find_national_ids(text: str, hits: _Hits) -> None:
    for match in _NATIONAL_ID_CANDIDATE.finditer(text):
        if hits.taken(*match.span()):
            continue
        span = _NATIONAL_ID_CHECKS[match.lastgroup or ""](text, match)
        if span is not None:
            hits.claim(span[0], span[1], "national_id", PII_PLACEHOLDERS["national_id"])


def _valid_ssn(text: str, match: re.Match[str]) -> tuple[int, int] | None:
    area, group, serial = match.group()[:3], match.group()[4:6], match.group()[7:]
    # Never issued: area 000, 666 or 900-999, group 00, serial 0000.
    if area in ("000", "666") or area[0] == "9" or group == "00" or serial == "0000":
        return None
    return match.span()


def _valid_uk_nino(text: str, match: re.Match[str]) -> tuple[int, int] | None:
    start = match.start() - 1 if text[match.start() - 1] == " " else match.start()
    prefix = text[start - 2 : start].upper()
    if (
        start >= 2
        and prefix[0] in _UK_NINO_FIRST_LETTERS
        and prefix[1] in _UK_NINO_SECOND_LETTERS
        and prefix not in _UK_NINO_UNUSED_PREFIXES
        and not _glued_before(text, start - 2)
    ):
        return start - 2, match.end()
    return None


def _valid_es_dni_nie(text: str, match: re.Match[str]) -> tuple[int, int] | None:
    start = match.start()
    digits = match.group()[:-1].rstrip("- ")
    if len(digits) == 7:  # an NIE: X/Y/Z (perhaps and a dash) must come first, counting as 0/1/2
        start -= 2 if start >= 2 and text[start - 1] == "-" else 1
        if start < 0 or text[start].upper() not in "XYZ":
            return None
        digits = str("XYZ".index(text[start].upper())) + digits
    if _glued_before(text, start) or _ES_CHECK_LETTERS[int(digits) % 23] != match.group()[-1].upper():
        return None
    return start, match.end()


def _valid_it_codice_fiscale(text: str, match: re.Match[str]) -> tuple[int, int] | None:
    start = match.start() - 6
    name_letters = text[start : match.start()]
    if not name_letters.isascii() or _glued_before(text, start):
        return None
    return (start, match.end()) if _codice_fiscale_valid((name_letters + match.group()).upper()) else None


_NATIONAL_ID_CHECKS: Final[dict[str, Callable[[str, re.Match[str]], tuple[int, int] | None]]] = {
    "ssn": _valid_ssn,
    "uk_nino": _valid_uk_nino,
    "es_dni_nie": _valid_es_dni_nie,
    "it_codice_fiscale": _valid_it_codice_fiscale,
}


def _codice_fiscale_valid(code: str) -> bool:
    total = 0
    for position, char in enumerate(code[:15]):
        if position % 2 == 0:  # the 1st, 3rd, ... characters (odd in the decree's 1-based counting)
            total += _IT_ODD_VALUES[char]
        else:
            total += ord(char) - 48 if char.isdigit() else ord(char) - 65
    return chr(65 + total % 26) == code[15]


def _phone_starts_cleanly(text: str, start: int) -> bool:
    # Not glued to a word or a "+", and not the continuation of a digit group ("3704 0044 0532" in an IBAN).
    if _glued_before(text, start, "+"):
        return False
    return not (start >= 2 and text[start - 1] in " .-" and text[start - 2].isdigit())


_WITHOUT_DIGITS: Final = str.maketrans("", "", "0123456789")


def _digit_count(text: str) -> int:
    return len(text) - len(text.translate(_WITHOUT_DIGITS))


def _find_phones(text: str, hits: _Hits) -> None:
    mask = PII_PLACEHOLDERS["phone"]
    for match in _PHONE_INTERNATIONAL.finditer(text):
        if hits.taken(*match.span()):
            continue
        digits = _digit_count(match.group()) - (2 if match.group().startswith("00") else 0)
        if 8 <= digits <= 15 and _phone_starts_cleanly(text, match.start()):
            hits.claim(match.start(), match.end(), "phone", mask)
    for match in _PHONE_NANP.finditer(text):
        start = match.start()
        for prefix in _NANP_COUNTRY_PREFIXES:
            if start >= len(prefix) and text.startswith(prefix, start - len(prefix)):
                start -= len(prefix)
                break
        if _phone_starts_cleanly(text, start):
            hits.claim(start, match.end(), "phone", mask)
    for match in _PHONE_NATIONAL.finditer(text):
        if hits.taken(*match.span()):
            continue
        if 9 <= _digit_count(match.group()) <= 12 and _phone_starts_cleanly(text, match.start()):
            hits.claim(match.start(), match.end(), "phone", mask)


# Most specific first: an email may contain digits, an IBAN contains digit groups that look like a phone.
_PII_DETECTORS: Final = (
    _find_emails,
    _find_ibans,
    _find_payment_cards,
    _find_national_ids,
    _find_ip_addresses,
    _find_phones,
)


def _scan_personal_data(text: str) -> list[_Hit]:
    hits = _Hits()
    for detect in _PII_DETECTORS:
        detect(text, hits)
    return hits.claimed


def find_personal_data(text: str) -> list[tuple[int, int, str]]:
    """Every piece of personal data in ``text`` as (start, end, entity), in text order."""
    return sorted((hit.start, hit.end, hit.kind) for hit in _scan_personal_data(text))


@register_validator(name="modelgate/pii", data_type="string")
class PiiPatterns(Validator):  # type: ignore[misc]
    """Finds personal data by pattern: emails, phone numbers, payment cards, IBANs, IP addresses, national IDs.

    Card numbers must pass the Luhn check and IBANs the ISO 7064 mod-97 check; IP addresses are confirmed
    with ``ipaddress``; national IDs are US SSNs, UK National Insurance numbers, Spanish DNI/NIE and
    Italian codici fiscali, the last two with their check characters. The fix replaces each match with a
    placeholder such as ``[EMAIL]``.

    Args:
        entities: which of ``PII_ENTITIES`` to report; all of them when omitted.
        on_fail: the guardrails-ai on_fail action.
    """

    def __init__(self, entities: list[str] | None = None, on_fail: OnFail = None) -> None:
        super().__init__(on_fail=on_fail, entities=entities)
        self._entities = _checked_choices(entities, PII_ENTITIES, "entity")

    def _validate(self, value: Any, metadata: dict[str, Any]) -> ValidationResult:
        text = str(value)
        reported = [hit for hit in _scan_personal_data(text) if hit.kind in self._entities]
        if not reported:
            return PassResult()
        return _failure(text, reported, PII_ENTITIES, "personal data found")


# ---- credentials -------------------------------------------------------------------------------------------

SECRET_KINDS: Final = (
    "private_key",
    "jwt",
    "anthropic_api_key",
    "openai_api_key",
    "github_token",
    "aws_access_key_id",
    "slack_token",
    "stripe_key",
    "google_api_key",
    "huggingface_token",
    "modelgate_key",
    "credential_assignment",
)
SECRET_MASK: Final = "********"  # noqa: S105 - the mask, not a password


@dataclass(frozen=True, slots=True)
class _TokenFormat:
    kind: str
    pattern: re.Pattern[str]


# Each pattern opens with a literal, so re jumps straight to candidates; the lookbehind right after it
# rejects a candidate glued to a longer token at once, instead of after scanning the rest of that token.
_TOKEN_FORMATS: Final = (
    _TokenFormat(
        "private_key",
        re.compile(
            r"-----BEGIN (?P<label>(?:[A-Z0-9]+ )*)PRIVATE KEY(?: BLOCK)?-----"
            r".*?(?:-----END (?P=label)PRIVATE KEY(?: BLOCK)?-----|\Z)",  # a truncated block is masked to the end
            re.DOTALL,
        ),
    ),
    _TokenFormat("jwt", re.compile(r"eyJ(?<![\w-]eyJ)[\w-]{8,}+\.[\w-]{8,}+\.[\w-]{8,}+", re.ASCII)),
    _TokenFormat("anthropic_api_key", re.compile(r"sk-ant-(?<![\w-]sk-ant-)[\w-]{20,}+", re.ASCII)),
    _TokenFormat(
        "openai_api_key",
        re.compile(r"sk-(?<![\w-]sk-)(?!ant-)(?:proj-|svcacct-|admin-)?[\w-]{20,}+", re.ASCII),
    ),
    _TokenFormat(
        "github_token", re.compile(r"g(?<!\wg)(?:h[pousr]_[A-Za-z0-9]{36,251}|ithub_pat_\w{60,240})(?!\w)", re.ASCII)
    ),
    _TokenFormat("aws_access_key_id", re.compile(r"A(?<!\wA)(?:KIA|SIA)[A-Z0-9]{16}(?![A-Za-z0-9])", re.ASCII)),
    _TokenFormat("slack_token", re.compile(r"x(?<!\wx)ox[abprs]-[A-Za-z0-9-]{10,}+", re.ASCII)),
    _TokenFormat("stripe_key", re.compile(r"[rs](?<!\w[rs])k_live_[A-Za-z0-9]{16,}+(?!\w)", re.ASCII)),
    _TokenFormat("google_api_key", re.compile(r"A(?<![\w-]A)Iza[\w-]{35}(?![\w-])", re.ASCII)),
    _TokenFormat("huggingface_token", re.compile(r"h(?<!\wh)f_[A-Za-z0-9]{30,}+(?!\w)", re.ASCII)),
    _TokenFormat("modelgate_key", re.compile(r"m(?<![\w-]m)g_[\w-]{43}(?![\w-])", re.ASCII)),
)

# key = value, key: value, "key": "value", key := value, key => value. Anchored on the operator (rare in
# prose), with the key read backwards from it in Python.
_ASSIGNED_VALUE = re.compile(
    r"(?::=|=>|=|:)[ \t]*(?:(?P<quote>[\"'`])(?P<quoted>[^\"'`\r\n]{1,256})(?P=quote)|(?P<bare>[^\s\"'`,;)\]}]{1,256}))"
)
# The keyword may carry a prefix (DB_PASSWORD, x-api-key) but a suffix only after a separator, so
# "tokenizer:" and "max_tokens=" are not credential keys while "api_key_id" and "password.hash" are.
_CREDENTIAL_KEY = re.compile(
    r"[\w.-]*?(?:password|passwd|passphrase|pwd|secret|api[_-]?key|apikey|access[_-]?key|auth[_-]?token"
    r"|access[_-]?token|refresh[_-]?token|bearer[_-]?token|private[_-]?key|client[_-]?secret|credentials?|token)"
    r"(?:[_.-][\w.-]*)?",
    re.IGNORECASE,
)
_KEY_CHARACTERS: Final = "_.-"
_MAX_KEY_LENGTH: Final = 64

_PLACEHOLDER_VALUES: Final = frozenset(
    {"none", "null", "nil", "true", "false", "undefined", "redacted", "hidden", "placeholder", "example", "string"}
)
_DOTTED_IDENTIFIER = re.compile(r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+")
_ENV_VARIABLE_NAME = re.compile(r"[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+")


def _is_real_credential(value: str) -> bool:
    """Whether an assigned value looks like a credential rather than a placeholder or a reference to one."""
    if len(value) < 6 or value.lower() in _PLACEHOLDER_VALUES or len(set(value)) == 1:
        return False
    if value[0] in "$%{<[(*" or "(" in value or "getenv" in value or "environ" in value:
        return False  # ${API_KEY}, <your-key>, os.getenv("X"), ****
    if _DOTTED_IDENTIFIER.fullmatch(value) or _ENV_VARIABLE_NAME.fullmatch(value):
        return False  # settings.SECRET_KEY, MY_API_TOKEN
    classes = (
        any(char.islower() for char in value)
        + any(char.isupper() for char in value)
        + any(char.isdigit() for char in value)
        + any(not char.isalnum() for char in value)
    )
    return classes >= 2 or len(value) >= 16


def _is_jwt(token: str) -> bool:
    # The header must be JSON; "eyJ" already guarantees it opens as an object.
    header = token.split(".", 1)[0]
    try:
        json.loads(base64.urlsafe_b64decode(header + "=" * (-len(header) % 4)))
    except ValueError:
        return False
    return True


def _assignment_key(text: str, operator_start: int) -> str:
    """The identifier an assignment operator at ``operator_start`` assigns to ("" when there is none)."""
    end = operator_start
    while end > 0 and text[end - 1] in " \t":
        end -= 1
    if end > 0 and text[end - 1] in "\"'":
        end -= 1
    start = end
    while (
        start > 0
        and end - start < _MAX_KEY_LENGTH
        and (text[start - 1].isalnum() or text[start - 1] in _KEY_CHARACTERS)
    ):
        start -= 1
    return text[start:end]


def _find_secrets(text: str) -> _Hits:
    hits = _Hits()
    for token_format in _TOKEN_FORMATS:
        for match in token_format.pattern.finditer(text):
            if token_format.kind == "jwt" and not _is_jwt(match.group()):
                continue
            hits.claim(match.start(), match.end(), token_format.kind, SECRET_MASK)
    if "=" not in text and ":" not in text:
        return hits
    for match in _ASSIGNED_VALUE.finditer(text):
        group = "quoted" if match["quoted"] is not None else "bare"
        value = match[group] if group == "quoted" else match[group].rstrip(".,!?")  # "Password: incorrect."
        if _CREDENTIAL_KEY.fullmatch(_assignment_key(text, match.start())) and _is_real_credential(value):
            hits.claim(match.start(group), match.end(group), "credential_assignment", SECRET_MASK)
    return hits


@register_validator(name="modelgate/secret_patterns", data_type="string")
class SecretPatterns(Validator):  # type: ignore[misc]
    """Finds API keys and credentials by their published formats.

    AWS access key ids, GitHub/OpenAI/Anthropic/Slack/Stripe/Google/Hugging Face tokens, JWTs, PEM private
    key blocks, Modelgate serving keys and ``password=``/``api_key:``-style assignments of a non-trivial
    value. The fix masks each secret with ``********`` (keeping ``key=`` of an assignment).

    Args:
        kinds: which of ``SECRET_KINDS`` to report; all of them when omitted.
        on_fail: the guardrails-ai on_fail action.
    """

    def __init__(self, kinds: list[str] | None = None, on_fail: OnFail = None) -> None:
        super().__init__(on_fail=on_fail, kinds=kinds)
        self._kinds = _checked_choices(kinds, SECRET_KINDS, "kind")

    def _validate(self, value: Any, metadata: dict[str, Any]) -> ValidationResult:
        text = str(value)
        reported = [hit for hit in _find_secrets(text).claimed if hit.kind in self._kinds]
        if not reported:
            return PassResult()
        return _failure(text, reported, SECRET_KINDS, "credentials found")


# ---- prompt injection --------------------------------------------------------------------------------------

# Patterns are written in lower case and run over a lower-cased copy of the text (offsets kept), because an
# IGNORECASE alternation is several times slower in re. None starts with \b for the same reason: a cue
# with word_start=True is checked for a word boundary in Python instead.
_VERB_OVERRIDE = (
    r"(?:ignor(?:e|ing)|disregard(?:ing)?|forget(?:ting)?|overrid(?:e|ing)|overrule|bypass(?:ing)?|discard|abandon"
    r"|skip|neglect)"
)
_VERB_GATE: Final = (
    "ignor",
    "disregard",
    "forget",
    "overrid",
    "overrule",
    "bypass",
    "discard",
    "abandon",
    "skip",
    "neglect",
)
_QUALIFIER = (
    r"(?:previous|prior|above|preceding|earlier|former|original|initial|existing|system|developer|your|all|any|"
    r"safety|built-in|programmed)"
)
_EXTRACTION_VERBS: Final = (
    "reveal", "print", "show", "display", "output", "repeat", "recite", "tell", "give", "leak", "dump", "share",
    "disclose", "expose", "write", "spell", "what",
)  # fmt: skip
_FILLER = r"(?:the|my|of|these|those|every|each|and|other|given|current|old|above-mentioned)"
_RULES = (
    r"(?:instructions?|prompts?|rules|directives?|guidelines|guidance|commands|constraints|policies|programming|"
    r"guardrails|restrictions|safeguards|system\s+messages?)"
)
_LIMITS = (
    r"(?:restrictions?|limit(?:s|ations)?|filters?|filtering|rules|guidelines|censorship|policies|constraints|ethics|"
    r"morals|boundaries|guardrails|safeguards)"
)


@dataclass(frozen=True, slots=True)
class _Cue:
    pattern: re.Pattern[str]
    # The lower-cased text must contain one of these words for the pattern to be worth running.
    gate: tuple[str, ...]
    # The pattern is tried only where one of these words occurs (it must start with one of them), which
    # beats letting re scan for a pattern whose first letters are common ones.
    starts: tuple[str, ...]
    line_start: bool
    word_start: bool
    case_sensitive: bool


@dataclass(frozen=True, slots=True)
class _Signal:
    name: str
    weight: float
    cues: tuple[_Cue, ...]


def _cue(
    pattern: str,
    gate: Sequence[str] = (),
    *,
    starts: Sequence[str] = (),
    line_start: bool = False,
    word_start: bool = True,
    case_sensitive: bool = False,
) -> _Cue:
    return _Cue(re.compile(pattern), tuple(gate), tuple(starts), line_start, word_start, case_sensitive)


# Weights say how strongly one signal alone suggests an attack. Signals combine by noisy-OR, so two moderate
# signals together cross the default threshold of 0.5 while one ambiguous phrase does not.
PROMPT_INJECTION_SIGNALS: Final = (
    _Signal(
        "instruction_override",
        0.6,
        (
            _cue(
                rf"{_VERB_OVERRIDE}\s+(?:"
                # ignore all previous instructions / disregard your system prompt
                rf"(?:{_FILLER}\s+){{0,3}}{_QUALIFIER}\s+(?:(?:{_FILLER}|{_QUALIFIER})\s+){{0,3}}{_RULES}\b"
                # ignore everything above
                r"|(?:everything|all|anything)\s+(?:(?:written|said|stated|mentioned)\s+)?"
                r"(?:above|before\s+this|prior\s+to\s+this)\b"
                # forget what you were told
                r"|(?:everything|all|what|anything)\s+(?:that\s+)?you(?:'ve|\s+have|\s+were|\s+are)?\s+(?:been\s+)?"
                r"(?:told|instructed|programmed|trained)\b)",
                starts=_VERB_GATE,
            ),
            _cue(
                rf"(?:the|all|your)\s+(?:above|previous|prior|earlier|original)\s+{_RULES}\s+(?:(?:is|are|was|were)\s+)?"
                r"(?:now\s+)?(?:void|invalid|cancel+ed|revoked|obsolete|null|no\s+longer\s+(?:valid|apply|applies|in\s+effect))\b",
                ("void", "invalid", "cancel", "revoked", "obsolete", "null", "longer"),
            ),
        ),
    ),
    _Signal(
        "system_prompt_extraction",
        0.55,
        (
            _cue(
                r"(?:reveal|print|show|display|output|repeat|recite|tell|give|leak|dump|share|disclose|expose|write\s+out|"
                r"spell\s+out|what\s+(?:is|are|was|were))\s+(?:me\s+|us\s+)?(?:(?:all|the|your|its|exact|full|entire|"
                r"complete|initial|original|hidden|secret|verbatim|first)\s+){0,4}(?:system\s+(?:prompt|message|"
                r"instructions?)|(?:initial|original|hidden|secret|developer|pre-?)\s*prompt|(?:initial|original|hidden|"
                r"secret)\s+instructions|instructions\s+(?:verbatim|word\s+for\s+word))\b",
                ("system", "prompt", "initial", "original", "hidden", "secret", "verbatim", "word for"),
                starts=_EXTRACTION_VERBS,
            ),
        ),
    ),
    _Signal(
        "repeat_preceding_text",
        0.3,
        (
            _cue(
                r"(?:repeat|print|output|copy|return)\s+(?:(?:all|the|everything|text|words|content)\s+){1,3}"
                r"(?:above|before\s+this|from\s+the\s+(?:very\s+)?(?:beginning|start))\b",
                ("above", "before", "beginning", "start"),
            ),
        ),
    ),
    _Signal(
        "unrestricted_roleplay",
        0.55,
        (
            _cue(
                r"(?:pretend|act|imagine|roleplay|role-play|behave|respond|answer|play)\b[^.!?\n]{0,80}?\b(?:without|"
                r"free\s+(?:of|from)|(?:not|no\s+longer)\s+bound\s+by|unbound\s+by|ignoring|with\s+no)\s+(?:(?:any|all|"
                rf"the|your|ethical|moral|content|safety|usual|openai|anthropic)\s+){{0,3}}{_LIMITS}\b",
                ("pretend", "act", "imagine", "role", "behave", "respond", "answer", "play"),
            ),
        ),
    ),
    _Signal(
        "no_restrictions_claim",
        0.3,
        (
            _cue(
                r"(?:no|without|free\s+from|not\s+bound\s+by)\s+(?:any\s+)?(?:(?:ethical|moral|content|safety|openai|"
                rf"anthropic)\s+)+{_LIMITS}\b",
                ("ethic", "moral", "content", "safety", "openai", "anthropic"),
            ),
            _cue(rf"you\s+have\s+no\s+(?:more\s+)?{_LIMITS}\b", starts=("you",)),
        ),
    ),
    _Signal(
        "new_identity",
        0.35,
        (
            _cue(r"you\s+are\s+(?:now|no\s+longer)\b", starts=("you",)),
            _cue(r"from\s+now\s+on,?\s+you\s+(?:are|will|must|shall)\b", ("now",)),
        ),
    ),
    _Signal("do_anything_now", 0.55, (_cue(r"do\s+anything\s+now\b", ("anything",)),)),
    # "Dan" is a name; the jailbreak persona is written in capitals.
    _Signal("dan_persona", 0.35, (_cue(r"DAN\b", ("dan",), case_sensitive=True),)),
    _Signal(
        "developer_mode",
        0.5,
        (
            _cue(r"developer\s+mode\s+(?:enabled|output|response)\b", ("developer",)),
            _cue(
                r"(?:chatgpt|gpt|ai|assistant|model|llm|claude|llama)\s+(?:with|in)\s+developer\s+mode\b",
                ("developer",),
            ),
            _cue(r"simulate\s+(?:the\s+)?developer\s+mode\b", ("developer",)),
        ),
    ),
    _Signal(
        "unrestricted_persona",
        0.4,
        (
            _cue(
                r"(?:evil|unfiltered|uncensored|unrestricted|amoral|unethical|jailbroken)\s+(?:ai|assistant|chatbot|model|"
                r"mode|version|persona|character)\b",
                ("evil", "unfilter", "uncensor", "unrestrict", "amoral", "unethical", "jailbroken"),
            ),
        ),
    ),
    _Signal("jailbreak_word", 0.25, (_cue(r"jail\s*break(?:s|ing|ed)?\b", ("jail",)),)),
    _Signal(
        "chat_template_token",
        0.55,
        (
            _cue(
                r"<\|\s*(?:im_start|im_end|system|assistant|user|endoftext|eot_id|start_header_id|end_header_id"
                r"|begin_of_text)\s*\|>|<</?sys>>|<(?:start|end)_of_turn>",
                ("<",),
                word_start=False,
            ),
            _cue(r"\[/?inst\]", ("[",), word_start=False),
        ),
    ),
    _Signal(
        "role_header",
        0.35,
        (
            _cue(
                r"[ \t]*(?:(?:#{1,6}|\*\*)?[ \t]*(?:system|developer)(?:[ \t]+(?:prompt|message|instructions?))?"
                r"[ \t]*(?:\*\*)?[ \t]*:|\[(?:system|admin|developer)(?:[ \t]+(?:note|message|override))?\]"
                r"|#{2,}[ \t]*(?:instruction|response)[ \t]*:)",
                ("system", "developer", "admin", "instruction", "response"),
                word_start=False,
                line_start=True,
            ),
        ),
    ),
    _Signal(
        "fake_authority",
        0.45,
        (
            _cue(
                r"(?:new|updated|revised|real|actual|true|secret|hidden|priority)\s+(?:system\s+)?(?:instructions?|"
                r"directives?|orders)\s*:",
                starts=("new", "updated", "revised", "real", "actual", "true", "secret", "hidden", "priority"),
            ),
            _cue(
                r"(?:admin(?:istrator)?|developer|system|root|sudo)\s+(?:override|mode\s+(?:enabled|activated)|access\s+granted)\b",
                starts=("admin", "developer", "system", "root", "sudo"),
            ),
        ),
    ),
)

_REFUSAL_BAN = (
    r"\s+(?:refuse|decline|reject|apologi[sz]e|warn|censor|filter|break\s+character|mention\s+(?:that\s+)?"
    r"(?:you(?:'re|\s+are)\s+an?\s+ai|openai|polic(?:y|ies)|guidelines))"
)
_ANSWER_EVERYTHING = r"\s+(?:to\s+)?(?:every|any|all)\s+(?:questions?|requests?|prompts?)\s+(?:without|no\s+matter)"
# Every branch opens with a literal word, which lets re skip ahead to candidates.
_PRESSURE_PHRASES = re.compile(
    r"(?:you\s+must\s+(?:always|never|now|obey|comply|answer|ignore)|you\s+can\s+do\s+anything"
    rf"|do\s+not{_REFUSAL_BAN}|don't{_REFUSAL_BAN}|never{_REFUSAL_BAN}"
    r"|stay\s+in\s+character|always\s+(?:comply|obey)"
    rf"|answer{_ANSWER_EVERYTHING}|respond{_ANSWER_EVERYTHING}|comply{_ANSWER_EVERYTHING}"
    r"|no\s+matter\s+(?:what|how\s+(?:unethical|illegal|harmful)))\b"
)
# One "never refuse" is pushy; three pressure phrases in one prompt is a jailbreak script.
_PRESSURE_WEIGHTS: Final = (0.0, 0.25, 0.45, 0.6)

# A blob starts the text or follows whitespace or punctuation; opening on that class lets re skip ahead.
_BASE64_BLOB = re.compile(r"[\s\"'`(\[{<:;,=>]([A-Za-z0-9+/]{80,}={0,2})(?![A-Za-z0-9+/=])")
_ENCODED_TEXT_WEIGHT: Final = 0.4
_ENCODED_BINARY_WEIGHT: Final = 0.2
_ENCODED_INSTRUCTIONS_WEIGHT: Final = 0.6
# Zero-width and soft-hyphen characters split "ig\u200bnore" so a pattern would miss it.
_INVISIBLE = re.compile("[\u00ad\u200b-\u200f\u2060-\u2064\ufeff]")


@dataclass(frozen=True, slots=True)
class InjectionAssessment:
    """The prompt-injection score of a text, the signals behind it and where they matched."""

    score: float
    signals: tuple[str, ...]
    spans: tuple[tuple[int, int, str], ...]


def assess_prompt_injection(text: str) -> InjectionAssessment:
    """Score ``text`` in [0, 1] by the signals it shows; spans index into ``text`` as given."""
    positions: list[int] | None = None
    scanned = text
    if _INVISIBLE.search(text):
        positions = [index for index, char in enumerate(text) if not _INVISIBLE.match(char)]
        scanned = "".join(text[index] for index in positions)
    weights: dict[str, float] = {}
    spans: list[tuple[int, int, str]] = []
    for signal, matches, weight in _fired_signals(scanned):
        weights[signal] = weight
        spans.extend((start, end, signal) for start, end in matches)
    if positions is not None:
        spans = [(positions[start], positions[end - 1] + 1, name) for start, end, name in spans]
    remaining = 1.0
    for weight in weights.values():
        remaining *= 1.0 - weight
    return InjectionAssessment(round(1.0 - remaining, 4), tuple(weights), tuple(sorted(spans)))


def _lower_keeping_offsets(text: str) -> str:
    lowered = text.lower()
    if len(lowered) == len(text):
        return lowered
    # A few characters (such as "İ") lower-case to two; leave those alone so offsets still line up.
    return "".join(char.lower() if len(char.lower()) == 1 else char for char in text)


def _cue_spans(cue: _Cue, text: str, lowered: str) -> list[tuple[int, int]]:
    if cue.gate and not any(word in lowered for word in cue.gate):
        return []
    scanned = text if cue.case_sensitive else lowered
    matches: Iterable[re.Match[str] | None]
    if cue.starts:
        present = [word for word in cue.starts if word in lowered]
        matches = (cue.pattern.match(scanned, start) for start in _occurrences(lowered, present))
    elif cue.line_start:
        matches = (cue.pattern.match(scanned, start) for start in _line_starts(scanned))
    else:
        matches = cue.pattern.finditer(scanned)
    spans: list[tuple[int, int]] = []
    for match in matches:
        if match is None or (spans and match.start() < spans[-1][1]):
            continue
        if not (cue.word_start and _glued_before(scanned, match.start())):
            spans.append(match.span())
    return spans


def _occurrences(text: str, words: Iterable[str]) -> list[int]:
    found = []
    for word in words:
        index = text.find(word)
        while index >= 0:
            found.append(index)
            index = text.find(word, index + 1)
    return sorted(found)


def _line_starts(text: str) -> Iterable[int]:
    yield 0
    index = text.find("\n")
    while index >= 0:
        yield index + 1
        index = text.find("\n", index + 1)


def _fired_signals(text: str) -> Iterable[tuple[str, list[tuple[int, int]], float]]:
    lowered = _lower_keeping_offsets(text)
    for signal in PROMPT_INJECTION_SIGNALS:
        matches = [span for cue in signal.cues for span in _cue_spans(cue, text, lowered)]
        if matches:
            yield signal.name, matches, signal.weight
    pressure = [
        match.span() for match in _PRESSURE_PHRASES.finditer(lowered) if not _glued_before(lowered, match.start())
    ]
    if pressure:
        yield "instruction_pressure", pressure, _PRESSURE_WEIGHTS[min(len(pressure), len(_PRESSURE_WEIGHTS) - 1)]
    blobs = [
        (match.start(1) - 1, match.end(1) - 1)
        for match in _BASE64_BLOB.finditer(f" {text}")  # the space lets a blob open the text
        if _mixed_case_and_digits(match[1])
    ]
    if blobs:
        yield "encoded_payload", blobs, max(_encoded_payload_weight(text[start:end]) for start, end in blobs)


def _mixed_case_and_digits(blob: str) -> bool:
    return (
        any(char.isupper() for char in blob)
        and any(char.islower() for char in blob)
        and any(char.isdigit() for char in blob)
    )


def _encoded_payload_weight(blob: str) -> float:
    try:
        decoded = base64.b64decode(blob + "=" * (-len(blob) % 4), validate=True).decode("utf-8")
    except ValueError:
        return _ENCODED_BINARY_WEIGHT
    if not all(char.isprintable() or char in "\n\r\t" for char in decoded):
        return _ENCODED_BINARY_WEIGHT
    # One level deep: the hidden text is checked for the strong signals only, and never decoded again.
    lowered = _lower_keeping_offsets(decoded)
    for signal in PROMPT_INJECTION_SIGNALS:
        if signal.weight >= 0.5 and any(_cue_spans(cue, decoded, lowered) for cue in signal.cues):
            return _ENCODED_INSTRUCTIONS_WEIGHT
    return _ENCODED_TEXT_WEIGHT


@register_validator(name="modelgate/prompt_injection", data_type="string")
class PromptInjectionHeuristic(Validator):  # type: ignore[misc]
    """Flags likely prompt-injection or jailbreak attempts with weighted pattern signals.

    Signals include instruction overrides ("ignore all previous instructions"), system-prompt extraction,
    unrestricted role-play, DAN / developer-mode personas, chat-template tokens and role headers in user
    text, instruction-pressure phrases and base64 payloads (decoded once and checked for hidden
    instructions). Signal weights combine by noisy-OR into a score in [0, 1]; the text fails when the score
    reaches ``threshold``. There is no fix: a rewritten injection is still an injection.

    Args:
        threshold: score in (0, 1] at or above which the text fails.
        on_fail: the guardrails-ai on_fail action.
    """

    def __init__(self, threshold: float = 0.5, on_fail: OnFail = None) -> None:
        super().__init__(on_fail=on_fail, threshold=threshold)
        if isinstance(threshold, bool) or not isinstance(threshold, int | float) or not 0 < threshold <= 1:
            raise ValueError(f"threshold must be a number in (0, 1], not {threshold!r}")
        self._threshold = float(threshold)

    def _validate(self, value: Any, metadata: dict[str, Any]) -> ValidationResult:
        assessment = assess_prompt_injection(str(value))
        if assessment.score < self._threshold:
            return PassResult(metadata={"score": assessment.score})
        return FailResult(
            error_message=(
                f"prompt injection suspected (score {assessment.score:.2f}, threshold {self._threshold:.2f}); "
                f"signals found: {', '.join(assessment.signals)}"
            ),
            fix_value=None,
            error_spans=[ErrorSpan(start=start, end=end, reason=name) for start, end, name in assessment.spans],
            metadata={"score": assessment.score, "signals": list(assessment.signals)},
        )


# ---- forbidden patterns ------------------------------------------------------------------------------------

REDACTED: Final = "[REDACTED]"


def compile_forbidden_patterns(patterns: Sequence[str], *, ignore_case: bool = False) -> tuple[re.Pattern[str], ...]:
    """Compile admin-supplied patterns; ValueError names the index of the first one that does not compile."""
    if isinstance(patterns, str) or not patterns:
        raise ValueError("patterns must be a non-empty list of regular expressions")
    flags = re.IGNORECASE if ignore_case else 0
    compiled = []
    for index, pattern in enumerate(patterns):
        if not isinstance(pattern, str):
            raise ValueError(f"patterns[{index}] must be a string")
        try:
            compiled.append(re.compile(pattern, flags))
        except re.error as error:
            raise ValueError(f"patterns[{index}] is not a valid regular expression: {error}") from error
    return tuple(compiled)


@register_validator(name="modelgate/forbidden_regex", data_type="string")
class ForbiddenRegex(Validator):  # type: ignore[misc]
    """Fails when any of the given regular expressions is found in the text (``re.search`` semantics).

    Empty matches are ignored, so a pattern that can match nothing (``^``, ``x*``) never blocks on its own.
    The fix replaces every match with ``[REDACTED]``. The error names matching patterns only by index (``pattern_0`` is ``patterns[0]``).

    Args:
        patterns: regular expressions (Python ``re`` syntax).
        ignore_case: compile them case-insensitively.
        on_fail: the guardrails-ai on_fail action.
    """

    def __init__(self, patterns: list[str], ignore_case: bool = False, on_fail: OnFail = None) -> None:
        super().__init__(on_fail=on_fail, patterns=patterns, ignore_case=ignore_case)
        self._patterns = compile_forbidden_patterns(patterns, ignore_case=ignore_case)

    def _validate(self, value: Any, metadata: dict[str, Any]) -> ValidationResult:
        text = str(value)
        spans: list[tuple[int, int, int]] = []
        for index, pattern in enumerate(self._patterns):
            spans.extend(
                (match.start(), match.end(), index) for match in pattern.finditer(text) if match.end() > match.start()
            )
        if not spans:
            return PassResult()
        spans.sort()
        redacted: list[list[int]] = []  # overlapping matches of different patterns become one redaction
        for start, end, _ in spans:
            if redacted and start < redacted[-1][1]:
                redacted[-1][1] = max(redacted[-1][1], end)
            else:
                redacted.append([start, end])
        pieces: list[str] = []
        cursor = 0
        for start, end in redacted:
            pieces.append(text[cursor:start])
            pieces.append(REDACTED)
            cursor = end
        pieces.append(text[cursor:])
        matched = sorted({index for _, _, index in spans})
        names = [f"pattern_{index}" for index in matched]
        return FailResult(
            error_message=f"forbidden pattern found: {', '.join(names)}",
            fix_value="".join(pieces),
            error_spans=[ErrorSpan(start=start, end=end, reason=f"pattern_{index}") for start, end, index in spans],
            metadata={"patterns": matched},
        )
