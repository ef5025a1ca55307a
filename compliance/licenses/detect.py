"""Recognizing a license from the text of a LICENSE file.

First an exact match of the normalized text's SHA-256 against the hashes the catalog
records; then a fingerprint: the share of each license's key passages found in the
text. Normalization reduces a text to its lower-case words, so whitespace, line
wrapping, Markdown, quotes and punctuation make no difference, and copyright lines
(which every licensee changes) are dropped first.
"""

from __future__ import annotations

import hashlib
import html
import re
import unicodedata
from dataclasses import dataclass

from compliance.licenses.catalog import Catalog, load_catalog
from compliance.licenses.terms import License

# Below this share of a license's passages the text is not called that license.
MIN_CONFIDENCE = 0.5
MIN_PHRASES_MATCHED = 2

# Only lines shaped like a copyright notice ("Copyright (c) 2024 ...", "Copyright 2023 ...",
# "© ..."), never prose that merely starts with the word, and never a whole flattened text.
_COPYRIGHT_LINE = re.compile(
    r"^\W*(copyright\s*(\(c\)|©|\d{4}|\[yyyy\]|<year>)|\(c\)\s*\d{4}|©)[^\n]{0,200}$", re.IGNORECASE | re.MULTILINE
)
_MARKDOWN_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_WORD = re.compile(r"[a-z0-9]+")


def normalize(text: str) -> str:
    """The words of ``text``, lower-cased and single-spaced, without copyright lines or markup."""
    text = unicodedata.normalize("NFKC", html.unescape(text))
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
    found: dict[str, set[str]] = {}
    for entry in catalog.reviewed():
        phrases = _phrases(entry)
        if not phrases:
            continue
        hits = {phrase for phrase in phrases if f" {phrase} " in padded}
        if hits:
            found[entry.id] = hits
            candidates.append(Candidate(entry.id, len(hits) / len(phrases), len(hits), len(phrases)))
    # Best share first; between equal shares, the license that explains more of the text.
    candidates.sort(key=lambda c: (-c.score, -c.matched, c.license_id))
    top = tuple(candidates[:5])
    if not candidates:
        return Detection(None, 0.0, "none")
    best = candidates[0]
    confidence = best.score
    # Another license that fits equally well, or whose evidence includes all of the winner's
    # (the winner merely has fewer passages), leaves the version open: do not pretend to know.
    rivals = [
        c
        for c in candidates[1:]
        if (c.score, c.matched) == (best.score, best.matched) or found[c.license_id] >= found[best.license_id]
    ]
    if rivals:
        confidence /= 2
    if confidence < MIN_CONFIDENCE or best.matched < MIN_PHRASES_MATCHED:
        return Detection(None, confidence, "none", top)
    return Detection(catalog.licenses[best.license_id], confidence, "fingerprint", top)
