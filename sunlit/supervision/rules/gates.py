"""On-commit gates: cheap SQL conditions that say whether a rule *can* find anything in one case.

A rule's ``detect`` restricted to a case (``RuleContext.case_ids``) is exact but costs a few
milliseconds of ORM query building even when it finds nothing, which is nearly always. So every
case-scoped rule may also give a *gate*: a SQL boolean expression over the case row (aliased ``c``,
a ``cases_case`` row) that is TRUE whenever ``detect`` for that case could return a finding — a
necessary condition, possibly looser than the rule (never stricter). The engine evaluates the gates
of all the rules an event concerns for all the cases of a batch in **one** query (its SQL text is
cached per rule set and batch size) and runs ``detect`` only for the rules whose gate is TRUE. Each
gate is a handful of indexed look-ups around one case (its parties, steps, documents, votes), so it
does not grow with the data.

Conventions: only fixed vocabulary values are inlined (checked by :func:`lit`); table and column
names come from the models' ``_meta``. The two vendors differ only where a gate needs JSON or
date arithmetic (:func:`json_elements`, :func:`minus_days`/:func:`plus_days`).
"""

# ruff: noqa: S608 - gate SQL is built from table names and vocabulary literals only (gates.lit)

from __future__ import annotations

import re
from collections.abc import Iterable

from django.db import models

_SAFE = re.compile(r"^[A-Za-z0-9_.\-]*$")


def lit(value: str) -> str:
    """A quoted SQL literal for a fixed vocabulary value (never user input)."""
    value = str(value)
    if not _SAFE.match(value):
        raise ValueError(f"not a vocabulary value: {value!r}")
    return f"'{value}'"


def lits(values: Iterable[str]) -> str:
    return "(" + ", ".join(lit(v) for v in values) + ")"


def t(model: type[models.Model]) -> str:
    return model._meta.db_table


def true(vendor: str) -> str:
    return "TRUE" if vendor == "postgresql" else "1"


def json_elements(vendor: str, column: str, alias: str) -> str:
    """A FROM item yielding the elements of the JSON array ``column`` as text in ``<alias>.value``."""
    if vendor == "postgresql":
        return f"jsonb_array_elements_text({column}) AS {alias}(value)"
    return f"json_each({column}) AS {alias}"


def json_number(vendor: str, column: str, key: str) -> str:
    """The number under ``key`` of the JSON object ``column`` (NULL when absent)."""
    lit(key)
    if vendor == "postgresql":
        return f"CAST(({column} ->> '{key}') AS numeric)"
    return f"CAST(json_extract({column}, '$.{key}') AS REAL)"


def minus_days(vendor: str, column: str, days: int) -> str:
    if vendor == "postgresql":
        return f"({column} - interval '{int(days)} days')"
    return f"datetime({column}, '-{int(days)} days')"


def plus_days(vendor: str, column: str, days: int) -> str:
    if vendor == "postgresql":
        return f"({column} + interval '{int(days)} days')"
    return f"datetime({column}, '+{int(days)} days')"


def fraction_parts(vendor: str, column: str) -> tuple[str, str, str]:
    """(valid, numerator, denominator) SQL for a "n/d" text column as ``parse_fraction`` reads it:
    ``valid`` is TRUE only for canonical digits with 0 < n <= d (anything else: callers fall back)."""
    if vendor == "postgresql":
        num = f"(CASE WHEN {column} ~ '^[0-9]{{1,9}}/[0-9]{{1,9}}$' THEN split_part({column}, '/', 1)::bigint END)"
        den = f"(CASE WHEN {column} ~ '^[0-9]{{1,9}}/[0-9]{{1,9}}$' THEN split_part({column}, '/', 2)::bigint END)"
        valid = f"COALESCE({num} > 0 AND {num} <= {den}, FALSE)"
        return valid, num, den
    num = f"CAST(substr({column}, 1, instr({column}, '/') - 1) AS INTEGER)"
    den = f"CAST(substr({column}, instr({column}, '/') + 1) AS INTEGER)"
    valid = (
        f"(instr({column}, '/') > 1 AND {num} || '/' || {den} = {column} AND {num} > 0 AND {num} <= {den})"
    )
    return valid, num, den


def compare(rule_column: str, lhs: str, rhs: str, default_gt: bool) -> str:
    """``lhs > rhs`` when the rule column says "gt" (or is empty and ``default_gt``), else ``>=``."""
    gt = f"({rule_column} = 'gt'" + (f" OR {rule_column} = ''" if default_gt else "") + ")"
    return f"(({gt} AND {lhs} > {rhs}) OR (NOT {gt} AND {lhs} >= {rhs}))"


# --- shared pieces -------------------------------------------------------------------------------------


def case_in_categories(categories: Iterable[str]) -> str:
    from sunlit.powers.models import PowerItem

    return f"EXISTS (SELECT 1 FROM {t(PowerItem)} gi WHERE gi.id = c.item_id AND gi.category IN {lits(categories)})"


def live_case() -> str:
    from sunlit.cases.vocab import CaseStatus

    return f"c.status IN {lits((CaseStatus.ACTIVE, CaseStatus.COMPLETED))}"


def benefit_party(condition: str, roles: Iterable[str]) -> str:
    """A registered party of the case in ``roles`` (aliases ``gp`` party, ``pe`` person) meeting
    ``condition``."""
    from sunlit.cases.models import CaseParty
    from sunlit.people.models import Person

    return (
        f"EXISTS (SELECT 1 FROM {t(CaseParty)} gp JOIN {t(Person)} pe ON pe.id = gp.person_id "
        f"WHERE gp.case_id = c.id AND gp.role IN {lits(roles)} AND ({condition}))"
    )


def person_linked(person_id: str, id_hash: str) -> str:
    """The person (id and keyed ID hash expressions) appears in a cadre declaration (as the cadre
    or a declared relative) or in a recorded kinship (either side): the only ways the conflict rules
    link anyone to a cadre (people.id_hash is unique, so a match on the hash is a match on the row)."""
    from sunlit.people.models import CadreDeclaration, Kinship

    return (
        f"(EXISTS (SELECT 1 FROM {t(CadreDeclaration)} gd WHERE gd.relative_id_hash = {id_hash})"
        f" OR EXISTS (SELECT 1 FROM {t(CadreDeclaration)} gd WHERE gd.cadre_person_id = {person_id})"
        f" OR EXISTS (SELECT 1 FROM {t(Kinship)} gk WHERE gk.person_id = {person_id})"
        f" OR EXISTS (SELECT 1 FROM {t(Kinship)} gk WHERE gk.relative_id = {person_id}))"
    )


def hash_linked(id_hash: str) -> str:
    """Like :func:`person_linked` for a bare ID hash (a business owner's)."""
    from sunlit.people.models import CadreDeclaration, Kinship, Person

    return (
        f"(EXISTS (SELECT 1 FROM {t(CadreDeclaration)} gd WHERE gd.relative_id_hash = {id_hash})"
        f" OR EXISTS (SELECT 1 FROM {t(Person)} gx WHERE gx.id_hash = {id_hash} AND ("
        f"EXISTS (SELECT 1 FROM {t(CadreDeclaration)} gd WHERE gd.cadre_person_id = gx.id)"
        f" OR EXISTS (SELECT 1 FROM {t(Kinship)} gk WHERE gk.person_id = gx.id)"
        f" OR EXISTS (SELECT 1 FROM {t(Kinship)} gk WHERE gk.relative_id = gx.id))))"
    )
