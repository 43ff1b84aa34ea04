"""Writes to the region tree. Imports are all-or-nothing with row-level errors."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import IO

from django.db import transaction
from django.utils.translation import gettext as _

from sunlit.core.errors import ValidationFailed
from sunlit.core.tabular import ImportRejected, RowError, check_columns, read_bytes, read_tables

from .models import CODE_DIGITS, LEVEL_DEPTH, LEVEL_ORDER, Region, RegionLevel

DATA_DIR = Path(__file__).resolve().parent / "data"
IMPORT_COLUMNS = ("code", "name", "level", "parent_code")


def normalize_code(raw: str) -> str | None:
    """Accept 2/4/6/9/12-digit division codes and return the 12-digit form, or None if malformed."""
    raw = raw.strip()
    if not raw.isdigit() or not raw.isascii() or len(raw) not in (2, 4, 6, 9, 12):
        return None
    return raw.ljust(12, "0")


def code_level_problem(code: str, level: RegionLevel) -> str | None:
    digits = CODE_DIGITS[level]
    if set(code[digits:]) - {"0"}:
        return _("A %(level)s code has only its first %(n)d digits set.") % {
            "level": level.label,
            "n": digits,
        }
    previous = {2: 0, 4: 2, 6: 4, 9: 6, 12: 9}[digits]
    if previous and set(code[previous:digits]) == {"0"}:
        return _("A %(level)s code must set digits %(a)d–%(b)d.") % {
            "level": level.label,
            "a": previous + 1,
            "b": digits,
        }
    return None


def _path_for(parent: Region | None, code: str) -> str:
    return (parent.path if parent else "/") + code + "/"


@dataclass
class _Pending:
    line: int
    code: str
    name: str
    level: RegionLevel
    parent_code: str | None


@transaction.atomic
def region_create(*, code: str, name: str, level: RegionLevel | str, parent: Region | None) -> Region:
    level = RegionLevel(level)
    normalized = normalize_code(code)
    if normalized is None:
        raise ValidationFailed(
            _("Malformed division code."), fields={"code": [_("Malformed division code.")]}
        )
    problem = code_level_problem(normalized, level)
    if problem:
        raise ValidationFailed(problem, fields={"code": [problem]})
    expected_parent_depth = LEVEL_DEPTH[level] - 1
    if (parent is None) != (expected_parent_depth < 0) or (parent and parent.depth != expected_parent_depth):
        msg = _("A %(level)s must sit directly under the level above it.") % {"level": level.label}
        raise ValidationFailed(msg, fields={"parent": [msg]})
    if parent and not normalized.startswith(parent.short_code):
        msg = _("The code does not start with its parent's code.")
        raise ValidationFailed(msg, fields={"code": [msg]})
    if Region.objects.filter(code=normalized).exists():
        msg = _("A region with this code already exists.")
        raise ValidationFailed(msg, code="duplicate", fields={"code": [msg]})
    return Region.objects.create(
        code=normalized,
        name=name.strip(),
        level=level,
        parent=parent,
        path=_path_for(parent, normalized),
        depth=LEVEL_DEPTH[level],
    )


def regions_import(
    *, source: bytes | str | Path | IO[bytes], filename: str = "", update_names: bool = True
) -> dict:
    """Import regions from CSV/XLSX (columns: code, name, level, parent_code).

    Rows may come in any order; parents may be in the file or already in the database. Existing
    codes are updated (name only) when ``update_names``; nothing else about an existing region
    changes. Returns counts; raises ImportRejected listing every bad row and writes nothing.
    """
    data = read_bytes(source)
    tables = read_tables(data, filename or str(source) if isinstance(source, (str, Path)) else filename)
    table = next(iter(tables.values()), None)
    if table is None or not table.columns:
        raise ImportRejected([RowError(0, _("The file is empty."))])
    errors = check_columns(table, IMPORT_COLUMNS[:3], IMPORT_COLUMNS[3:])
    if errors:
        raise ImportRejected(errors)

    pending: dict[str, _Pending] = {}
    for row in table.rows:
        code = normalize_code(row.get("code"))
        level_raw = row.get("level")
        name = row.get("name")
        if code is None:
            errors.append(
                RowError(
                    row.line, _("Malformed division code “%(code)s”.") % {"code": row.get("code")}, "code"
                )
            )
            continue
        if level_raw not in RegionLevel.values:
            errors.append(
                RowError(
                    row.line,
                    _("Unknown level “%(level)s”; use one of %(levels)s.")
                    % {"level": level_raw, "levels": ", ".join(RegionLevel.values)},
                    "level",
                )
            )
            continue
        level = RegionLevel(level_raw)
        if not name or len(name) > 100:
            errors.append(RowError(row.line, _("A name of 1 to 100 characters is required."), "name"))
            continue
        problem = code_level_problem(code, level)
        if problem:
            errors.append(RowError(row.line, problem, "code"))
            continue
        if code in pending:
            errors.append(
                RowError(
                    row.line,
                    _("Duplicate code; first seen on line %(line)d.") % {"line": pending[code].line},
                    "code",
                )
            )
            continue
        parent_code = normalize_code(row.get("parent_code")) if row.get("parent_code") else None
        if row.get("parent_code") and parent_code is None:
            errors.append(RowError(row.line, _("Malformed parent code."), "parent_code"))
            continue
        pending[code] = _Pending(row.line, code, name, level, parent_code)

    existing = {
        r.code: r
        for r in Region.objects.filter(
            code__in=set(pending) | {p.parent_code for p in pending.values() if p.parent_code}
        )
    }
    for item in pending.values():
        depth = LEVEL_DEPTH[item.level]
        if depth == 0:
            if item.parent_code:
                errors.append(RowError(item.line, _("A province has no parent."), "parent_code"))
            continue
        if not item.parent_code:
            errors.append(
                RowError(item.line, _("A parent code is required below province level."), "parent_code")
            )
            continue
        parent_level = (
            pending[item.parent_code].level
            if item.parent_code in pending
            else (RegionLevel(existing[item.parent_code].level) if item.parent_code in existing else None)
        )
        if parent_level is None:
            errors.append(
                RowError(
                    item.line,
                    _("Parent %(code)s is neither in the file nor in the system.")
                    % {"code": item.parent_code},
                    "parent_code",
                )
            )
        elif LEVEL_DEPTH[parent_level] != depth - 1:
            errors.append(
                RowError(
                    item.line,
                    _("The parent must be one level above (%(level)s).")
                    % {"level": LEVEL_ORDER[depth - 1].label},
                    "parent_code",
                )
            )
        elif not item.code.startswith(item.parent_code[: CODE_DIGITS[parent_level]]):
            errors.append(RowError(item.line, _("The code does not start with its parent's code."), "code"))
        if item.code in existing and existing[item.code].level != item.level:
            errors.append(RowError(item.line, _("This code exists with another level."), "level"))
    if errors:
        raise ImportRejected(sorted(errors, key=lambda e: e.line))

    created = updated = 0
    with transaction.atomic():
        for item in sorted(pending.values(), key=lambda p: LEVEL_DEPTH[p.level]):
            region = existing.get(item.code)
            if region is not None:
                if update_names and region.name != item.name:
                    region.name = item.name
                    region.save(update_fields=["name"])
                    updated += 1
                continue
            parent = existing.get(item.parent_code) if item.parent_code else None
            region = Region.objects.create(
                code=item.code,
                name=item.name,
                level=item.level,
                parent=parent,
                path=_path_for(parent, item.code),
                depth=LEVEL_DEPTH[item.level],
            )
            existing[item.code] = region
            created += 1
    return {"created": created, "updated": updated, "rows": len(pending)}


def regions_load_xinyang() -> dict:
    """Load the shipped province/city/county rows for Xinyang (real names and GB/T 2260 codes)."""
    return regions_import(source=DATA_DIR / "xinyang.csv")
