"""Reading and writing the spreadsheets officials use (CSV and XLSX).

Every import in Sunlit is all-or-nothing: a reader collects *every* bad row with its line
number and reason, and the caller writes nothing unless the list is empty. ImportRejected carries
those row errors to the API envelope, the pages and the management commands.
"""

from __future__ import annotations

import csv
import datetime
import io
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .errors import ValidationFailed


@dataclass(frozen=True)
class RowError:
    line: int  # 1-based line in the file (the header is line 1); 0 for file-level problems
    message: str
    column: str = ""
    sheet: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {"sheet": self.sheet, "line": self.line, "column": self.column, "message": str(self.message)}

    def __str__(self) -> str:
        where = f"{self.sheet} " if self.sheet else ""
        col = f" [{self.column}]" if self.column else ""
        return f"{where}line {self.line}{col}: {self.message}"


class ImportRejected(ValidationFailed):
    default_code = "import_rejected"
    default_message = gettext_lazy("The file was rejected; nothing was imported.")

    def __init__(self, errors: Sequence[RowError], message: Any = None) -> None:
        self.errors = list(errors)
        super().__init__(message, details=[e.as_dict() for e in self.errors])


@dataclass
class Row:
    line: int
    values: dict[str, str]
    sheet: str = ""

    def get(self, key: str, default: str = "") -> str:
        return self.values.get(key, default)


@dataclass
class Table:
    sheet: str
    columns: list[str]
    rows: list[Row] = field(default_factory=list)


def _limit_bytes(data: bytes) -> None:
    limit = settings.SUNLIT_IMPORT_MAX_BYTES
    if len(data) > limit:
        raise ImportRejected(
            [
                RowError(
                    0,
                    _("The file is %(size)d bytes; the limit is %(limit)d.")
                    % {"size": len(data), "limit": limit},
                )
            ]
        )


def read_bytes(source: bytes | str | Path | IO[bytes]) -> bytes:
    """Read a file fully, refusing anything over the import size limit without reading it all."""
    limit = settings.SUNLIT_IMPORT_MAX_BYTES
    if isinstance(source, bytes):
        data = source
    elif isinstance(source, (str, Path)):
        path = Path(source)
        if path.stat().st_size > limit:
            raise ImportRejected(
                [
                    RowError(
                        0,
                        _("The file is %(size)d bytes; the limit is %(limit)d.")
                        % {"size": path.stat().st_size, "limit": limit},
                    )
                ]
            )
        data = path.read_bytes()
    else:
        data = source.read(limit + 1)
    _limit_bytes(data)
    return data


def detect_format(data: bytes, filename: str = "") -> str:
    if data[:4] == b"PK\x03\x04":
        return "xlsx"
    lower = filename.lower()
    if lower.endswith((".yaml", ".yml")):
        return "yaml"
    return "csv"


def _clean(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def read_tables(data: bytes, filename: str = "") -> dict[str, Table]:
    """Parse CSV (one table named "") or XLSX (one table per sheet). Header row is line 1."""
    fmt = detect_format(data, filename)
    max_rows = settings.SUNLIT_IMPORT_MAX_ROWS
    tables: dict[str, Table] = {}
    if fmt == "xlsx":
        from openpyxl import load_workbook

        try:
            workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
            raise ImportRejected(
                [RowError(0, _("The file is not a readable XLSX workbook (%(err)s).") % {"err": exc})]
            ) from None
        try:
            for sheet in workbook.worksheets:
                tables[sheet.title] = _table_from_rows(
                    sheet.title, sheet.iter_rows(values_only=True), max_rows
                )
        finally:
            workbook.close()
        return tables
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = data.decode("gb18030")
        except UnicodeDecodeError:
            raise ImportRejected([RowError(0, _("The file is neither UTF-8 nor GB18030 text."))]) from None
    if "\x00" in text:
        raise ImportRejected([RowError(0, _("The file contains binary data; expected CSV text."))])
    try:
        tables[""] = _table_from_rows("", csv.reader(io.StringIO(text)), max_rows)
    except csv.Error as exc:
        raise ImportRejected(
            [RowError(0, _("The CSV file is malformed (%(err)s).") % {"err": exc})]
        ) from None
    return tables


def _table_from_rows(sheet: str, rows: Iterable[Sequence[Any]], max_rows: int) -> Table:
    iterator: Iterator[tuple[int, Sequence[Any]]] = enumerate(rows, start=1)
    header: Sequence[Any] | None = None
    for _line, raw in iterator:
        if any(_clean(v) for v in raw):
            header = raw
            break
    if header is None:
        return Table(sheet=sheet, columns=[])
    columns = [_clean(c) for c in header]
    while columns and not columns[-1]:
        columns.pop()
    table = Table(sheet=sheet, columns=columns)
    for offset, raw in iterator:
        values = [_clean(v) for v in raw]
        if not any(values):
            continue
        if len(table.rows) >= max_rows:
            raise ImportRejected(
                [
                    RowError(
                        offset, _("Too many rows; the limit is %(limit)d.") % {"limit": max_rows}, sheet=sheet
                    )
                ]
            )
        table.rows.append(
            Row(
                line=offset,
                values={c: (values[i] if i < len(values) else "") for i, c in enumerate(columns)},
                sheet=sheet,
            )
        )
    return table


def check_columns(table: Table, required: Sequence[str], optional: Sequence[str] = ()) -> list[RowError]:
    errors = []
    missing = [c for c in required if c not in table.columns]
    if missing:
        errors.append(
            RowError(1, _("Missing columns: %(cols)s.") % {"cols": ", ".join(missing)}, sheet=table.sheet)
        )
    known = set(required) | set(optional)
    unknown = [c for c in table.columns if c not in known]
    if unknown:
        errors.append(
            RowError(1, _("Unknown columns: %(cols)s.") % {"cols": ", ".join(unknown)}, sheet=table.sheet)
        )
    dupes = {c for c in table.columns if table.columns.count(c) > 1}
    if dupes:
        errors.append(
            RowError(
                1, _("Repeated columns: %(cols)s.") % {"cols": ", ".join(sorted(dupes))}, sheet=table.sheet
            )
        )
    return errors


def write_csv(columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow(["" if v is None else _csv_safe(v) for v in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def _csv_safe(value: Any) -> Any:
    """Keep spreadsheet programs from running a text cell as a formula (CSV injection)."""
    if not isinstance(value, str) or not value:
        return value
    if value[0] in ("=", "+", "@", "\t", "\r") or (value[0] == "-" and not value[1:2].isdigit()):
        return "'" + value
    return value


def write_xlsx(sheets: Sequence[tuple[str, Sequence[str], Iterable[Sequence[Any]]]]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    workbook.remove(workbook.active)
    for title, columns, rows in sheets:
        sheet = workbook.create_sheet(title=title)
        sheet.append(list(columns))
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in rows:
            sheet.append(["" if v is None else v for v in row])
            for cell in sheet[sheet.max_row]:
                # A text cell starting with "=" must stay text, never become a formula.
                if isinstance(cell.value, str) and cell.value.startswith("="):
                    cell.data_type = "s"
        sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y%m%d", "%Y-%m-%d %H:%M:%S")


def parse_date(value: str) -> datetime.date | None:
    """A calendar date from a cell: YYYY-MM-DD (also YYYY/MM/DD, YYYYMMDD, or a datetime as XLSX
    reads it). None for an empty cell; ValueError naming the value for anything else."""
    value = (value or "").strip()
    if not value:
        return None
    for fmt in DATE_FORMATS:
        try:
            return datetime.datetime.strptime(value, fmt).date()  # noqa: DTZ007 - a calendar date
        except ValueError:
            continue
    raise ValueError(value[:30])
