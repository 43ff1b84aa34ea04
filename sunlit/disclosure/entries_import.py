"""Reading a benefit list (民生公示 rows) from CSV or XLSX: all or nothing, every bad row reported.

Columns (English or Chinese header): ``name``/``姓名`` and ``benefit``/``补助项目`` required;
``village_group``/``村民小组``, ``amount``/``金额``, ``period``/``期间`` optional. A column for ID
numbers, phones, bank cards or addresses is refused outright, and a cell holding personal data
refuses its row (sunlit.disclosure.privacy), so nothing is published that the rules do not allow.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from sunlit.core.errors import DomainError
from sunlit.core.masking import find_pii
from sunlit.core.tabular import ImportRejected, RowError, check_columns, read_tables

from . import privacy

ALIASES = {
    "姓名": "name",
    "村民小组": "village_group",
    "组别": "village_group",
    "补助项目": "benefit",
    "项目": "benefit",
    "金额": "amount",
    "金额（元）": "amount",
    "期间": "period",
    "发放期间": "period",
}
REQUIRED = ("name", "benefit")
OPTIONAL = ("village_group", "amount", "period")


def read_entries(data: bytes, filename: str = "") -> list[privacy.EntryInput]:
    tables = [t for t in read_tables(data, filename).values() if t.columns]
    if not tables:
        raise ImportRejected([RowError(0, _("The file has no table."))])
    table = tables[0]
    table.columns = [ALIASES.get(c, c) for c in table.columns]
    for row in table.rows:
        row.values = {ALIASES.get(k, k): v for k, v in row.values.items()}
    errors: list[RowError] = []
    forbidden = [c for c in table.columns if c.lower() in privacy.FORBIDDEN_ENTRY_FIELDS]
    if forbidden:
        errors.append(
            RowError(
                1,
                _("Benefit lists may not publish these columns: %(cols)s. Remove them.")
                % {"cols": ", ".join(forbidden)},
                sheet=table.sheet,
            )
        )
        raise ImportRejected(errors)
    errors += check_columns(table, REQUIRED, OPTIONAL)
    if errors:
        raise ImportRejected(errors)
    entries: list[privacy.EntryInput] = []
    for row in table.rows:
        hits = [(k, find_pii(row.get(k))) for k in (*REQUIRED, *OPTIONAL)]
        hits = [(k, h) for k, h in hits if h]
        if hits:
            for column, found in hits:
                errors.append(
                    RowError(
                        row.line,
                        _("This cell holds %(what)s, which may not be published.")
                        % {"what": privacy.kind_label(str(found[0].kind))},
                        column=column,
                        sheet=table.sheet,
                    )
                )
            continue
        try:
            (entry,) = privacy.clean_entries([{k: row.get(k) for k in (*REQUIRED, *OPTIONAL)}])
        except DomainError as exc:
            column = ""
            for field in exc.fields:
                column = field.rpartition(".")[2]
            errors.append(RowError(row.line, str(exc.message), column=column, sheet=table.sheet))
            continue
        entries.append(entry)
    if errors:
        raise ImportRejected(errors)
    if not entries:
        raise ImportRejected([RowError(0, _("The file has no rows."))])
    return entries
