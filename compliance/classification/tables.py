"""Loading the classification tables (``tables.yaml``) strictly into frozen dataclasses.

Pure and cached per process. A table that breaks the schema (unknown or missing keys,
wrong types, a reference to a code or date entry that does not exist, a vocabulary that
differs from the one the engine decides on) fails at load time with the path at fault.
"""

from __future__ import annotations

import datetime
import functools
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml

TABLES_FILE = Path(__file__).resolve().parent / "tables.yaml"

# The vocabularies the engine decides on; the table must define exactly these.
PRACTICE_CODES = (
    "subliminal_manipulation",
    "exploiting_vulnerabilities",
    "non_consensual_intimate_imagery",
    "child_sexual_abuse_material",
    "social_scoring",
    "crime_risk_profiling_only",
    "untargeted_facial_scraping",
    "emotion_recognition_workplace_education",
    "biometric_categorisation_sensitive",
    "realtime_remote_biometric_id_law_enforcement",
)
EXCEPTION_CODES = (
    "medical_or_safety_reasons",
    "targeted_victim_search",
    "imminent_threat_prevention",
    "serious_crime_suspect_localisation",
)
ANNEX_III_CODES = (
    "1a", "1b", "1c", "2", "3a", "3b", "3c", "3d", "4a", "4b", "5a", "5b", "5c", "5d",
    "6a", "6b", "6c", "6d", "6e", "7a", "7b", "7c", "7d", "8a", "8b",
)  # fmt: skip
TRANSPARENCY_TRIGGERS = (
    "interacts_with_natural_persons",
    "generates_synthetic_content",
    "emotion_recognition_or_biometric_categorisation",
    "deep_fake",
    "public_interest_text_without_editorial_control",
)
OBLIGATION_GROUPS = (
    "all_in_scope",
    "prohibited_ba_bb",
    "realtime_rbi_exception",
    "high_risk_annex_iii",
    "art6_3_derogation",
    "high_risk_annex_i_section_a",
    "high_risk_annex_i_section_b",
    "transparency_50_2_legacy",
    "gpai",
    "gpai_systemic_risk",
)

DateBasis = Literal["original", "amended"]


class TablesError(ValueError):
    """tables.yaml breaks the schema; the message names the path."""


@dataclass(frozen=True)
class ApplicationDate:
    """When a set of provisions applies: the original date and, if it changed it, the amended one."""

    key: str
    original: datetime.date | None
    amended: datetime.date | None
    source: str
    uncertain: bool = False

    @property
    def in_force(self) -> datetime.date:
        date = self.amended or self.original
        assert date is not None  # the loader requires one of them
        return date

    @property
    def basis(self) -> DateBasis:
        return "amended" if self.amended is not None else "original"

    def describe(self) -> str:
        """How the date in force came about, for the obligation text."""
        if self.amended is not None and self.original is None:
            return f"applies from {self.amended.isoformat()}: added by Reg. (EU) 2026/1744"
        if self.amended is not None:
            assert self.original is not None
            return (
                f"applies from {self.amended.isoformat()} as amended by Reg. (EU) 2026/1744; "
                f"originally {self.original.isoformat()}"
            )
        if self.uncertain:
            return (
                f"applies from {self.in_force.isoformat()}: original date kept, as the amendment's effect "
                "is uncertain (conservative reading, reference §6.3 and §9 item 3)"
            )
        return f"applies from {self.in_force.isoformat()}; date unchanged by Reg. (EU) 2026/1744"


@dataclass(frozen=True)
class Practice:
    code: str
    prohibits: str
    article: str
    text: str
    dates: str


@dataclass(frozen=True)
class PracticeException:
    code: str
    practice: str
    article: str
    text: str
    infers: tuple[str, ...]
    duties: tuple[str, ...]


@dataclass(frozen=True)
class AnnexIIIPoint:
    code: str
    area: str
    text: str
    profiling: bool = False

    @property
    def article(self) -> str:
        number, letter = self.code[0], self.code[1:]
        return f"Annex III point {number}({letter})" if letter else f"Annex III point {number}"


@dataclass(frozen=True)
class AnnexIEntry:
    section: Literal["A", "B"]
    point: int
    act: str


@dataclass(frozen=True)
class Legislation:
    code: str
    original: AnnexIEntry
    amended: AnnexIEntry | None

    @property
    def in_force(self) -> AnnexIEntry:
        return self.amended or self.original


@dataclass(frozen=True)
class TransparencyDuty:
    code: str
    trigger: str
    article: str
    text: str
    dates: str


@dataclass(frozen=True)
class ObligationRow:
    article: str
    text: str
    dates: str
    points_any: tuple[str, ...] = ()
    points_other_than: tuple[str, ...] = ()
    open_source_exempt: bool = False
    presumption_only: bool = False

    def applies_to_points(self, points: tuple[str, ...]) -> bool:
        if self.points_any and not any(point in self.points_any for point in points):
            return False
        return not (self.points_other_than and all(point in self.points_other_than for point in points))


@dataclass(frozen=True)
class Tables:
    dates: dict[str, ApplicationDate]
    practices: dict[str, Practice]
    exceptions: dict[str, PracticeException]
    annex_iii: dict[str, AnnexIIIPoint]
    annex_i: dict[str, Legislation]
    transparency: dict[str, TransparencyDuty]
    obligations: dict[str, tuple[ObligationRow, ...]]

    def date(self, key: str) -> ApplicationDate:
        return self.dates[key]


class _Reader:
    """One mapping, read strictly: ``done()`` fails on keys nobody asked for."""

    def __init__(self, data: Any, where: str) -> None:
        if not isinstance(data, Mapping):
            raise TablesError(f"{where}: must be a mapping")
        self.data = data
        self.where = where
        self.used: set[str] = set()

    def _get(self, key: str, *, required: bool) -> Any:
        self.used.add(key)
        value = self.data.get(key)
        if value is None and required:
            raise TablesError(f"{self.where}.{key}: is required")
        return value

    def text(self, key: str) -> str:
        value = self._get(key, required=True)
        if not isinstance(value, str) or not value.strip():
            raise TablesError(f"{self.where}.{key}: must be non-empty text")
        return value.strip()

    def choice(self, key: str, options: Mapping[str, Any] | tuple[str, ...]) -> str:
        value = self.text(key)
        if value not in options:
            raise TablesError(f"{self.where}.{key}: {value!r} is not one of {', '.join(options)}")
        return value

    def date(self, key: str) -> datetime.date | None:
        value = self._get(key, required=False)
        if value is None:
            return None
        if isinstance(value, datetime.date) and not isinstance(value, datetime.datetime):
            return value
        if isinstance(value, str):
            try:
                return datetime.date.fromisoformat(value)
            except ValueError:
                pass
        raise TablesError(f"{self.where}.{key}: must be a date (YYYY-MM-DD) or null")

    def flag(self, key: str) -> bool:
        value = self._get(key, required=False)
        if value is None:
            return False
        if not isinstance(value, bool):
            raise TablesError(f"{self.where}.{key}: must be true or false")
        return value

    def number(self, key: str) -> int:
        value = self._get(key, required=True)
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise TablesError(f"{self.where}.{key}: must be a whole number ≥ 1")
        return int(value)

    def codes(
        self, key: str, options: Mapping[str, Any] | tuple[str, ...], *, required: bool = False
    ) -> tuple[str, ...]:
        value = self._get(key, required=required)
        if value is None:
            return ()
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise TablesError(f"{self.where}.{key}: must be a list of strings")
        for item in value:
            if item not in options:
                raise TablesError(f"{self.where}.{key}: {item!r} is not one of {', '.join(options)}")
        return tuple(value)

    def child(self, key: str, *, required: bool = True) -> _Reader | None:
        value = self._get(key, required=required)
        return None if value is None else _Reader(value, f"{self.where}.{key}")

    def items(self) -> list[tuple[str, Any]]:
        return [(str(key), value) for key, value in self.data.items()]

    def done(self) -> None:
        unknown = sorted(str(key) for key in self.data if key not in self.used)
        if unknown:
            raise TablesError(f"{self.where}: unknown key(s) {', '.join(unknown)}")


def _require_exactly(where: str, found: Mapping[str, Any], expected: tuple[str, ...]) -> None:
    missing = [code for code in expected if code not in found]
    extra = [code for code in found if code not in expected]
    if missing or extra:
        raise TablesError(
            f"{where}: the codes must be exactly the engine's vocabulary"
            + (f"; missing {', '.join(missing)}" if missing else "")
            + (f"; unknown {', '.join(extra)}" if extra else "")
        )


def _dates(reader: _Reader) -> dict[str, ApplicationDate]:
    dates: dict[str, ApplicationDate] = {}
    for key, value in reader.items():
        r = _Reader(value, f"dates.{key}")
        entry = ApplicationDate(
            key=key,
            original=r.date("original"),
            amended=r.date("amended"),
            source=r.text("source"),
            uncertain=r.flag("uncertain"),
        )
        r.done()
        if entry.original is None and entry.amended is None:
            raise TablesError(f"dates.{key}: needs an original or an amended date")
        if entry.uncertain and entry.amended is not None:
            raise TablesError(f"dates.{key}: an uncertain entry keeps the original date; set amended to null")
        dates[key] = entry
    return dates


def _annex_i_entry(reader: _Reader | None) -> AnnexIEntry | None:
    if reader is None:
        return None
    section = reader.choice("section", ("A", "B"))
    entry = AnnexIEntry(section="A" if section == "A" else "B", point=reader.number("point"), act=reader.text("act"))
    reader.done()
    return entry


def _obligation_rows(
    value: Any, where: str, dates: Mapping[str, Any], points: Mapping[str, Any]
) -> tuple[ObligationRow, ...]:
    if not isinstance(value, list) or not value:
        raise TablesError(f"{where}: must be a non-empty list of obligations")
    rows = []
    for index, item in enumerate(value):
        r = _Reader(item, f"{where}[{index}]")
        rows.append(
            ObligationRow(
                article=r.text("article"),
                text=r.text("text"),
                dates=r.choice("dates", dates),
                points_any=r.codes("points_any", points),
                points_other_than=r.codes("points_other_than", points),
                open_source_exempt=r.flag("open_source_exempt"),
                presumption_only=r.flag("presumption_only"),
            )
        )
        r.done()
    return tuple(rows)


def parse_tables(data: Any) -> Tables:
    """Validate the parsed YAML of the tables file."""
    top = _Reader(data, "tables")
    date_reader = top.child("dates")
    assert date_reader is not None
    dates = _dates(date_reader)

    practices: dict[str, Practice] = {}
    practice_reader = top.child("practices")
    assert practice_reader is not None
    for code, value in practice_reader.items():
        r = _Reader(value, f"practices.{code}")
        practices[code] = Practice(
            code, r.text("prohibits"), r.text("article"), r.text("text"), r.choice("dates", dates)
        )
        r.done()
    _require_exactly("practices", practices, PRACTICE_CODES)

    annex_iii: dict[str, AnnexIIIPoint] = {}
    annex_iii_reader = top.child("annex_iii")
    assert annex_iii_reader is not None
    for code, value in annex_iii_reader.items():
        r = _Reader(value, f"annex_iii.{code}")
        annex_iii[code] = AnnexIIIPoint(code, r.text("area"), r.text("text"), r.flag("profiling"))
        r.done()
    _require_exactly("annex_iii", annex_iii, ANNEX_III_CODES)

    transparency: dict[str, TransparencyDuty] = {}
    transparency_reader = top.child("transparency")
    assert transparency_reader is not None
    for code, value in transparency_reader.items():
        r = _Reader(value, f"transparency.{code}")
        transparency[code] = TransparencyDuty(
            code,
            r.choice("trigger", TRANSPARENCY_TRIGGERS),
            r.text("article"),
            r.text("text"),
            r.choice("dates", dates),
        )
        r.done()
    triggers = sorted(duty.trigger for duty in transparency.values())
    if triggers != sorted(TRANSPARENCY_TRIGGERS):
        raise TablesError("transparency: every trigger must set off exactly one duty")

    exceptions: dict[str, PracticeException] = {}
    exception_reader = top.child("exceptions")
    assert exception_reader is not None
    for code, value in exception_reader.items():
        r = _Reader(value, f"exceptions.{code}")
        exceptions[code] = PracticeException(
            code=code,
            practice=r.choice("practice", practices),
            article=r.text("article"),
            text=r.text("text"),
            infers=r.codes("infers", annex_iii),
            duties=r.codes("duties", transparency),
        )
        r.done()
    _require_exactly("exceptions", exceptions, EXCEPTION_CODES)

    annex_i: dict[str, Legislation] = {}
    annex_i_reader = top.child("annex_i")
    assert annex_i_reader is not None
    for code, value in annex_i_reader.items():
        r = _Reader(value, f"annex_i.{code}")
        original = _annex_i_entry(r.child("original"))
        assert original is not None
        annex_i[code] = Legislation(code, original, _annex_i_entry(r.child("amended", required=False)))
        r.done()

    obligations: dict[str, tuple[ObligationRow, ...]] = {}
    obligation_reader = top.child("obligations")
    assert obligation_reader is not None
    for group, value in obligation_reader.items():
        obligations[group] = _obligation_rows(value, f"obligations.{group}", dates, annex_iii)
    _require_exactly("obligations", obligations, OBLIGATION_GROUPS)
    top.done()
    return Tables(dates, practices, exceptions, annex_iii, annex_i, transparency, obligations)


def load_tables_file(path: Path) -> Tables:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise TablesError(f"{path.name}: not valid YAML: {exc}") from exc
    return parse_tables(data)


@functools.cache
def load_tables() -> Tables:
    """The tables shipped with this release (cached: the file does not change at run time)."""
    return load_tables_file(TABLES_FILE)
