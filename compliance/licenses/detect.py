"""Recognizing a license from the text of a LICENSE file.

First an exact match of the normalized text's SHA-256 against the hashes the catalog
records; then a fingerprint: the share of each license's key passages found in the
text. Normalization reduces a text to its lower-case words, so whitespace, line
wrapping, Markdown, quotes and punctuation make no difference, and copyright lines
(which every licensee changes) are dropped first.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass

from compliance.licenses.catalog import Catalog, load_catalog
from compliance.licenses.terms import License

# Below this share of a license's passages the text is not called that license.
MIN_CONFIDENCE = 0.5
MIN_PHRASES_MATCHED = 2

_COPYRIGHT_LINE = re.compile(r"^\W*(copyright\b|\(c\)\s*\d{4}|©).*$", re.IGNORECASE | re.MULTILINE)
_MARKDOWN_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_WORD = re.compile(r"[a-z0-9]+")


def normalize(text: str) -> str:
    """The words of ``text``, lower-cased and single-spaced, without copyright lines or markup."""
    text = unicodedata.normalize("NFKC", text)
    text = _COPYRIGHT_LINE.sub(" ", text)
    text = _MARKDOWN_LINK.sub(r"\1", text)
    return " ".join(_WORD.findall(text.lower()))


def normalized_sha256(text: str) -> str:
    return hashlib.sha256(normalize(text).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Candidate:
    license_id: str
    score: float
    matched: int
    total: int


@dataclass(frozen=True)
class Detection:
    license: License | None
    confidence: float
    matched_by: str  # normalized_hash | fingerprint | none
    candidates: tuple[Candidate, ...] = ()

    def as_dict(self) -> dict[str, object]:
        return {
            "license": self.license.id if self.license else None,
            "version": self.license.version if self.license else None,
            "confidence": round(self.confidence, 3),
            "matched_by": self.matched_by,
            "candidates": [
                {"license": c.license_id, "score": round(c.score, 3), "phrases_matched": f"{c.matched}/{c.total}"}
                for c in self.candidates
            ],
        }


def _phrases(entry: License) -> list[str]:
    return [normalized for phrase in entry.fingerprint.phrases if (normalized := normalize(phrase))]


def detect_license(text: str, catalog: Catalog | None = None) -> Detection:
    """Identify the catalog license (and version) a LICENSE text is, with a confidence from 0 to 1."""
    catalog = catalog or load_catalog()
    words = normalize(text)
    if not words:
        return Detection(None, 0.0, "none")
    digest = hashlib.sha256(words.encode("utf-8")).hexdigest()
    for entry in catalog.reviewed():
        if digest in entry.fingerprint.normalized_sha256:
            return Detection(entry, 1.0, "normalized_hash", (Candidate(entry.id, 1.0, 1, 1),))

    padded = f" {words} "
    candidates = []
    for entry in catalog.reviewed():
        phrases = _phrases(entry)
        if not phrases:
            continue
        matched = sum(1 for phrase in phrases if f" {phrase} " in padded)
        if matched:
            candidates.append(Candidate(entry.id, matched / len(phrases), matched, len(phrases)))
    # Best share first; between equal shares, the license that explains more of the text.
    candidates.sort(key=lambda c: (-c.score, -c.matched, c.license_id))
    top = tuple(candidates[:5])
    if not candidates:
        return Detection(None, 0.0, "none")
    best = candidates[0]
    confidence = best.score
    if len(candidates) > 1 and (candidates[1].score, candidates[1].matched) == (best.score, best.matched):
        confidence /= 2  # two licenses fit equally well: do not pretend to know which
    if confidence < MIN_CONFIDENCE or best.matched < MIN_PHRASES_MATCHED:
        return Detection(None, confidence, "none", top)
    return Detection(catalog.licenses[best.license_id], confidence, "fingerprint", top)
