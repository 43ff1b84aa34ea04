"""Fixtures of disclosure tests: staff around the test village and real-looking personal data."""

from __future__ import annotations

import io
import zipfile

import pytest

from sunlit.accounts.roles import Role

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def id_number(first17: str = "41152219800101123") -> str:
    """A resident ID number with a valid check character."""
    total = sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS, strict=True))
    return first17 + "10X98765432"[total % 11]


def luhn_card(prefix: str = "621700123456789012") -> str:
    """A bank card number passing the Luhn check."""
    for check in "0123456789":
        digits = prefix + check
        total = 0
        for position, char in enumerate(reversed(digits)):
            d = int(char)
            if position % 2 == 1:
                d *= 2
                if d > 9:
                    d -= 9
            total += d
        if total % 10 == 0:
            return digits
    raise AssertionError("unreachable")


PHONE = "13812345678"


def docx_bytes(text: str) -> bytes:
    """A minimal DOCX whose paragraph is ``text``."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr(
            "word/document.xml",
            f'<w:document xmlns:w="x"><w:body><w:p><w:r><w:t>{text}</w:t></w:r></w:p></w:body></w:document>',
        )
    return buffer.getvalue()


def xlsx_bytes(rows: list[list[object]]) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def pdf_bytes(label: str = "x") -> bytes:
    return b"%PDF-1.4\n% " + label.encode() + b"\n%%EOF\n"


@pytest.fixture
def staff(tree, make_user):
    class Staff:
        chair = make_user(Role.VILLAGE_CHAIR, tree.village, "chair")
        committee = make_user(Role.VILLAGE_COMMITTEE, tree.village, "committee")
        accountant = make_user(Role.VILLAGE_ACCOUNTANT, tree.village, "accountant")
        supervisor = make_user(Role.VILLAGE_SUPERVISOR, tree.village, "supervisor")
        township_discipline = make_user(Role.TOWNSHIP_DISCIPLINE, tree.township, "tdiscipline")
        township_leader = make_user(Role.TOWNSHIP_LEADER, tree.township, "tleader")
        county_discipline = make_user(Role.COUNTY_DISCIPLINE, tree.county, "cdiscipline")
        other_chair = make_user(Role.VILLAGE_CHAIR, tree.sibling_village, "otherchair")
        far_discipline = make_user(Role.TOWNSHIP_DISCIPLINE, tree.other_township, "fardiscipline")
        nobody = make_user(None, None, "nobody")

    return Staff


@pytest.fixture
def publish(tree, staff):
    """Publish a disclosure in the test village as its chair (keyword overrides)."""
    from sunlit.disclosure.services import disclosure_publish

    def make(**kwargs):
        values = {
            "actor": staff.chair,
            "village": tree.village,
            "module": "decisions",
            "title": "关于修建村道的决议公示",
            "body": "经村民代表会议表决通过，修建十里村三组村道。",
        }
        values.update(kwargs)
        return disclosure_publish(**values)

    return make
