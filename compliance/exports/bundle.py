"""Audit evidence bundles: a zip of documents and records with a manifest of SHA-256 digests.

The bundle carries ``SHA256SUMS`` in the format of coreutils' ``sha256sum``, so it can be
checked with nothing but a shell::

    unzip -d bundle bundle.zip && cd bundle && sha256sum -c SHA256SUMS

``verify_bundle`` (and ``python manage.py verify_bundle FILE.zip``) checks the same and more:
no file missing or added, and every audit event's hash recomputed from its fields.
"""

from __future__ import annotations

import hashlib
import io
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field

import orjson

from core.ledger_format import event_hash

SUMS = "SHA256SUMS"
# Limits for reading a bundle someone sent: it may be hostile (a zip bomb, thousands of members).
MAX_MEMBERS = 1_000
MAX_MEMBER_BYTES = 200 * 1024 * 1024
MAX_TOTAL_BYTES = 1024 * 1024 * 1024
MANIFEST = "manifest.json"
AUDIT_EVENTS = "audit-events.jsonl"
# A fixed timestamp for every member, so the same content always makes the same zip.
_ZIP_TIME = (2000, 1, 1, 0, 0, 0)


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def bundle_build(files: Mapping[str, bytes], *, manifest: Mapping[str, object]) -> bytes:
    """A zip of ``files`` plus ``manifest.json`` (``manifest`` and every file's digest) and ``SHA256SUMS``."""
    names = sorted(files)
    listing = {
        **manifest,
        "files": [{"name": name, "sha256": _sha256(files[name]), "size": len(files[name])} for name in names],
    }
    manifest_bytes = orjson.dumps(listing, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS)
    contents = {**files, MANIFEST: manifest_bytes}
    sums = "".join(f"{_sha256(contents[name])}  {name}\n" for name in sorted(contents)).encode()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name in [*sorted(contents), SUMS]:
            info = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, sums if name == SUMS else contents[name])
    return buffer.getvalue()


@dataclass
class BundleReport:
    sha256: str = ""
    checked: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def _read_sums(members: Mapping[str, bytes], report: BundleReport) -> dict[str, str]:
    listed: dict[str, str] = {}
    for number, line in enumerate(members[SUMS].decode("utf-8", "replace").splitlines(), start=1):
        digest, _, name = line.partition("  ")
        if len(digest) != 64 or not name:
            report.problems.append(f"{SUMS} line {number} is malformed")
        else:
            listed[name] = digest
    return listed


def _check_manifest(members: Mapping[str, bytes], report: BundleReport) -> None:
    if MANIFEST not in members:
        report.problems.append(f"{MANIFEST} is missing")
        return
    try:
        manifest = orjson.loads(members[MANIFEST])
    except orjson.JSONDecodeError:
        report.problems.append(f"{MANIFEST} is not valid JSON")
        return
    entries = manifest.get("files") if isinstance(manifest, dict) else None
    if not isinstance(entries, list) or not all(isinstance(entry, dict) for entry in entries):
        report.problems.append(f"{MANIFEST} has no list of files")
        return
    for entry in entries:
        name = str(entry.get("name", ""))
        if name in members and _sha256(members[name]) != entry.get("sha256"):
            report.problems.append(f"{name}: SHA-256 does not match {MANIFEST}")


def _check_audit_events(members: Mapping[str, bytes], report: BundleReport) -> None:
    """Each event's hash recomputed from its fields, and consecutive events linked by prev_hash."""
    previous: dict[str, object] | None = None
    for number, line in enumerate(members.get(AUDIT_EVENTS, b"").splitlines(), start=1):
        try:
            record = orjson.loads(line)
        except orjson.JSONDecodeError:
            report.problems.append(f"{AUDIT_EVENTS} line {number} is not JSON")
            continue
        if not isinstance(record, dict):
            report.problems.append(f"{AUDIT_EVENTS} line {number} is not an event")
            continue
        sequence = record.get("sequence")
        try:
            matches = event_hash(record) == record.get("hash")
        except (TypeError, ValueError):
            matches = False
        if not matches:
            report.problems.append(f"{AUDIT_EVENTS} line {number}: event {sequence} hash does not match its fields")
        if (
            previous is not None
            and isinstance(sequence, int)
            and previous.get("sequence") == sequence - 1
            and record.get("prev_hash") != previous.get("hash")
        ):
            report.problems.append(
                f"{AUDIT_EVENTS} line {number}: event {sequence} does not follow event {sequence - 1}"
            )
        previous = record


def _unsafe_name(name: str) -> bool:
    return name.startswith(("/", "\\")) or "\\" in name or ".." in name.split("/") or ":" in name


def _read_members(data: bytes, report: BundleReport) -> dict[str, bytes] | None:
    """The members, read within the limits; None (with the problem reported) when the zip is refused."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = [info for info in archive.infolist() if not info.is_dir()]
        if len(infos) > MAX_MEMBERS:
            report.problems.append(f"{len(infos)} files: more than a bundle holds ({MAX_MEMBERS})")
            return None
        members: dict[str, bytes] = {}
        total = 0
        for info in infos:
            if _unsafe_name(info.filename):
                report.problems.append(f"{info.filename!r}: an unsafe path")
                return None
            if info.filename in members:
                report.problems.append(f"{info.filename}: appears twice in the zip")
                return None
            with archive.open(info) as member:
                content = member.read(MAX_MEMBER_BYTES + 1)
            total += len(content)
            if len(content) > MAX_MEMBER_BYTES or total > MAX_TOTAL_BYTES:
                report.problems.append(f"{info.filename}: larger than a bundle holds")
                return None
            members[info.filename] = content
        return members
    except (zipfile.BadZipFile, OSError, ValueError, RuntimeError, NotImplementedError, EOFError) as exc:
        report.problems.append(f"not a readable zip file: {type(exc).__name__}: {exc}")
        return None


def verify_bundle(data: bytes) -> BundleReport:
    """Check a bundle offline: digests, manifest, no file missing or extra, audit event hashes and links.

    This shows the bundle is intact, not who made it: anyone can rebuild every digest of an
    edited bundle. Compare the bundle's own SHA-256 (``report.sha256``) with the one Modelgate
    recorded when it issued it (the ``compliance.export.issued`` audit event, the
    ``X-Content-SHA256`` header of the download) to know it is the one Modelgate issued.
    """
    report = BundleReport(sha256=_sha256(data))
    members = _read_members(data, report)
    if members is None:
        return report
    if SUMS not in members:
        report.problems.append(f"{SUMS} is missing")
        return report
    listed = _read_sums(members, report)
    for name, digest in sorted(listed.items()):
        if name not in members:
            report.problems.append(f"{name}: listed in {SUMS} but missing from the bundle")
        elif _sha256(members[name]) != digest:
            report.problems.append(f"{name}: SHA-256 does not match {SUMS}")
        else:
            report.checked += 1
    for name in sorted(set(members) - set(listed) - {SUMS}):
        report.problems.append(f"{name}: in the bundle but not listed in {SUMS}")
    _check_manifest(members, report)
    _check_audit_events(members, report)
    return report
