"""The Simplified Chinese catalog is complete, compiled and in use (docs/architecture.md §13).

Uses only the standard library: a tiny .po reader and `gettext.GNUTranslations` for the .mo.
"""

import gettext
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

LOCALE_DIR = Path(settings.BASE_DIR) / "sunlit" / "locale" / "zh_Hans" / "LC_MESSAGES"
PO_PATH = LOCALE_DIR / "django.po"
MO_PATH = LOCALE_DIR / "django.mo"

_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\", "a": "\a", "b": "\b", "f": "\f", "v": "\v"}


def _unquote(token: str) -> str:
    token = token.strip()
    if len(token) < 2 or token[0] != '"' or token[-1] != '"':
        raise ValueError(f"not a quoted PO string: {token!r}")
    return re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), m.group(1)), token[1:-1])


@dataclass
class Entry:
    msgid: str = ""
    msgid_plural: str | None = None
    msgctxt: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)
    line: int = 0

    @property
    def fuzzy(self) -> bool:
        return "fuzzy" in self.flags

    @property
    def translated(self) -> bool:
        return bool(self.msgstr) and all(self.msgstr.values())

    def __str__(self) -> str:
        return f"line {self.line}: {self.msgid!r}"


def parse_po(text: str) -> list[Entry]:
    """Parse the PO format as written by GNU gettext (obsolete `#~` entries are skipped)."""
    entries: list[Entry] = []
    entry: Entry | None = None
    flags: set[str] = set()
    target: tuple[str, int] | None = None  # which field continuation lines extend

    def finish() -> None:
        nonlocal entry
        if entry is not None:
            entries.append(entry)
        entry = None

    for lineno, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#~"):
            if not line:
                finish()
                target = None
            continue
        if line.startswith("#,"):
            finish()
            flags |= {f.strip() for f in line[2:].split(",") if f.strip()}
            continue
        if line.startswith("#"):
            finish()
            continue
        keyword, _, rest = line.partition(" ")
        if line.startswith('"'):
            if entry is None or target is None:
                raise ValueError(f"stray string on PO line {lineno}")
            name, index = target
            if name == "msgstr":
                entry.msgstr[index] += _unquote(line)
            else:
                setattr(entry, name, (getattr(entry, name) or "") + _unquote(line))
            continue
        if keyword in ("msgctxt", "msgid") and (entry is None or entry.msgstr):
            finish()
        if entry is None:
            entry = Entry(flags=flags, line=lineno)
            flags = set()
        if keyword in ("msgctxt", "msgid", "msgid_plural"):
            setattr(entry, keyword, _unquote(rest))
            target = (keyword, 0)
        elif keyword == "msgstr":
            entry.msgstr[0] = _unquote(rest)
            target = ("msgstr", 0)
        elif m := re.fullmatch(r"msgstr\[(\d+)\]", keyword):
            entry.msgstr[int(m.group(1))] = _unquote(rest)
            target = ("msgstr", int(m.group(1)))
        else:
            raise ValueError(f"unexpected PO line {lineno}: {raw!r}")
    finish()
    return entries


@pytest.fixture(scope="module")
def po_entries() -> list[Entry]:
    return parse_po(PO_PATH.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def messages(po_entries) -> list[Entry]:
    """All entries except the header."""
    return [e for e in po_entries if e.msgid or e.msgctxt]


def test_parser_reads_the_catalog(po_entries, messages):
    header = po_entries[0]
    assert header.msgid == ""
    assert "Language: zh_Hans" in header.msgstr[0]
    assert "nplurals=1" in header.msgstr[0]
    assert not header.fuzzy, "the header is still marked fuzzy"
    assert len(messages) > 100
    assert len({(e.msgctxt, e.msgid) for e in messages}) == len(messages), "duplicate msgids"


def test_every_message_is_translated_and_none_is_fuzzy(messages):
    untranslated = [str(e) for e in messages if not e.translated]
    fuzzy = [str(e) for e in messages if e.fuzzy]
    problems = [f"untranslated: {u}" for u in untranslated] + [f"fuzzy: {f}" for f in fuzzy]
    assert not problems, (
        f"{len(untranslated)} untranslated and {len(fuzzy)} fuzzy messages in {PO_PATH} "
        "(run scripts/i18n.sh and translate them):\n" + "\n".join(problems)
    )


def test_compiled_catalog_matches_the_po(messages):
    with MO_PATH.open("rb") as fh:
        catalog = dict(gettext.GNUTranslations(fh)._catalog)
    catalog.pop("", None)  # the header
    expected: dict[object, str] = {}
    for e in messages:
        if not e.translated or e.fuzzy:
            continue
        key = e.msgid if e.msgctxt is None else f"{e.msgctxt}\x04{e.msgid}"
        if e.msgid_plural is None:
            expected[key] = e.msgstr[0]
        else:
            for index, text in e.msgstr.items():
                expected[(key, index)] = text
    stale = sorted(repr(k) for k in catalog.keys() - expected.keys())
    absent = sorted(repr(k) for k in expected.keys() - catalog.keys())
    differ = sorted(repr(k) for k in expected.keys() & catalog.keys() if expected[k] != catalog[k])
    problems = [f"only in .mo: {k}" for k in stale] + [f"missing from .mo: {k}" for k in absent]
    problems += [f"translated differently in .mo: {k}" for k in differ]
    assert not problems, f"{MO_PATH.name} is stale; recompile it with scripts/i18n.sh.\n" + "\n".join(
        problems
    )


_PERCENT = re.compile(
    r"%(?:\((?P<name>[^)]*)\))?[-#0 +]*(?:\d+|\*)?(?:\.(?:\d+|\*))?(?P<conv>[diouxXeEfFgGcrsa%])"
)
_BRACE = re.compile(r"(?<!\{)\{(?P<name>[^{}!:]*)(?:![rsa])?(?::[^{}]*)?\}(?!\})")


def placeholders(text: str, flags: set[str]) -> list[str]:
    found: list[str] = []
    if "python-format" in flags:
        found += sorted(
            f"%({m['name']}){m['conv']}" if m["name"] is not None else f"%{m['conv']}"
            for m in _PERCENT.finditer(text)
            if m["conv"] != "%"
        )
    if "python-brace-format" in flags:
        found += sorted("{" + m["name"] + "}" for m in _BRACE.finditer(text))
    return found


def test_placeholders_are_kept(messages):
    problems = []
    for e in messages:
        if not ({"python-format", "python-brace-format"} & e.flags) or not e.translated:
            continue
        for index, text in e.msgstr.items():
            # With nplurals=1 the single form serves every count, so it follows msgid_plural.
            source = e.msgid if e.msgid_plural is None else e.msgid_plural
            want, got = placeholders(source, e.flags), placeholders(text, e.flags)
            named = all(p.startswith(("%(", "{")) and p != "{}" for p in want + got)
            if (set(want) != set(got)) if named else (want != got):
                problems.append(f"{e} msgstr[{index}]: expected {want}, found {got}")
    assert not problems, "placeholders differ:\n" + "\n".join(problems)


@pytest.mark.django_db
def test_the_portal_speaks_chinese(client, messages):
    by_id = {e.msgid: e.msgstr[0] for e in messages if e.msgid_plural is None}
    title = by_id["Find your village"]
    assert re.search(r"[\u4e00-\u9fff]", title), "the translation of the portal title is not Chinese"
    response = client.get(reverse("portal:home"), HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 200
    page = response.content.decode()
    assert title in page
    assert by_id["Skip to content"] in page
    assert "Find your village" not in page
