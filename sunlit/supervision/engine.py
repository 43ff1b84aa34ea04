"""Running rules and turning findings into alerts, idempotently.

- Parameters: a rule runs once per *settings group*: the regions without a RuleSetting use the
  defaults; each region with one uses its values (over those of settings above it), minus the
  subtrees of settings below it. Most deployments have one group per county at most.
- Upsert: findings become alerts keyed ``"<rule>:<finding key>"`` (unique in the database); a finding
  already alerted only refreshes ``last_seen_at``. Each rule's alerts are written in their own
  transaction, so a worker killed mid-sweep loses nothing: a re-run finishes the rest and duplicates
  nothing.
"""

from __future__ import annotations

import datetime
import time
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import psycopg
from django.db import transaction
from django.utils import timezone
from psycopg.types.numeric import Int8

from sunlit.core.ledger import ledger_append
from sunlit.regions.models import Region

from . import notify
from .models import Alert, AlertAction, RuleSetting, SweepRun
from .rules.base import REGISTRY, Finding, Rule, RuleContext, defaults
from .vocab import AlertStatus

KEY_CHUNK = 2000


@dataclass
class Group:
    params: dict[str, Decimal]
    include: list[str] | None  # region paths; None = everywhere
    exclude: list[str]
    enabled: bool
    severity: str


# --- rule settings, cached per process ----------------------------------------------------------------------
#
# Every rule run needs the settings groups of its rule; reading them per rule and per event was a query
# each (and most of an on-commit check). All settings are read at once and kept until they change: in
# this process a save or delete clears the cache (signals, below); a change made by another process is
# seen through a one-row version (count, largest id, latest ``set_at``), read at most once per sweep or
# on-commit batch (``settings_version_checked``), never per rule. An on-commit check reads it in the same
# query as its gates (``_version_sql`` joined in), so it costs no round trip of its own.


@dataclass
class _SettingsCache:
    version: tuple[Any, ...] | None = None
    by_rule: dict[str, list[RuleSetting]] | None = None
    groups: dict[str, list[Group]] | None = None


_cache = _SettingsCache()


def invalidate_settings(**_kwargs: Any) -> None:
    """Forget the cached rule settings (connected to RuleSetting's post_save and post_delete)."""
    _cache.version = _cache.by_rule = _cache.groups = None


def _version_sql() -> str:
    table = RuleSetting._meta.db_table
    return f"SELECT COUNT(id) AS n, MAX(id) AS last, MAX(set_at) AS at FROM {table}"  # noqa: S608


def _settings_version() -> tuple[Any, ...]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(_version_sql())
        return tuple(cursor.fetchone())


def settings_version_checked(version: tuple[Any, ...] | None = None) -> None:
    """Drop the cache when another process changed the settings: ``version`` as read with the gates,
    or read now (one small query)."""
    if version is None:
        version = _settings_version()
    if version != _cache.version:
        invalidate_settings()
        _cache.version = version


def _settings_by_rule() -> dict[str, list[RuleSetting]]:
    if _cache.by_rule is None:
        by_rule: dict[str, list[RuleSetting]] = {}
        for setting in RuleSetting.objects.select_related("region"):
            by_rule.setdefault(setting.rule_code, []).append(setting)
        _cache.by_rule = by_rule
        _cache.groups = {}
    return _cache.by_rule


def settings_groups(rule: Rule) -> list[Group]:
    by_rule = _settings_by_rule()
    assert _cache.groups is not None
    if rule.code not in _cache.groups:
        _cache.groups[rule.code] = _settings_groups(rule, by_rule.get(rule.code, []))
    return _cache.groups[rule.code]


def _settings_groups(rule: Rule, settings: list[RuleSetting]) -> list[Group]:
    settings = sorted(settings, key=lambda s: s.region.depth)
    base = defaults(rule)
    groups = [Group(base, None, [s.region.path for s in settings], True, rule.severity)]
    for setting in settings:
        params = dict(base)
        severity = rule.severity
        enabled = True
        for above in settings:  # ancestors first (sorted by depth), then the setting itself
            if setting.region.path.startswith(above.region.path):
                params.update({k: Decimal(str(v)) for k, v in above.params.items() if k in rule.params})
                severity = above.severity or severity
                enabled = above.enabled
        below = [
            s.region.path
            for s in settings
            if s is not setting and s.region.path.startswith(setting.region.path)
        ]
        groups.append(Group(params, [setting.region.path], below, enabled, severity))
    return groups


def run_rule(
    rule: Rule,
    *,
    now: datetime.datetime,
    region: Region | None = None,
    case_ids: list[int] | None = None,
) -> list[tuple[Finding, str]]:
    """Every finding of ``rule`` (with its severity) within ``region`` (or everywhere)."""
    found: list[tuple[Finding, str]] = []
    for group in settings_groups(rule):
        if not group.enabled:
            continue
        include = group.include
        if region is not None:
            if include is None:
                include = [region.path]
            else:
                # Intersect: keep the narrower of the two prefixes when one contains the other.
                include = [
                    p if p.startswith(region.path) else region.path
                    for p in include
                    if p.startswith(region.path) or region.path.startswith(p)
                ]
                if not include:
                    continue
        ctx = RuleContext(
            now=now, params=group.params, region_paths=include, case_ids=case_ids, exclude_paths=group.exclude
        )
        batches: Iterable[list[int] | None] = [case_ids]
        if case_ids is None and rule.sweep_prefilter:
            candidates = gate_candidates(rule, ctx)
            batches = [
                candidates[i : i + PREFILTER_CHUNK] for i in range(0, len(candidates), PREFILTER_CHUNK)
            ]
        for batch in batches:
            ctx.case_ids = batch
            for finding in rule.detect(ctx):
                found.append((finding, finding.severity or group.severity))
    return found


PREFILTER_CHUNK = 500


def gate_candidates(rule: Rule, ctx: RuleContext) -> list[int]:
    """The cases in the run's scope that pass ``rule``'s gate, in one scan (see Rule.sweep_prefilter)."""
    from django.db import connection

    from sunlit.cases.models import Case

    gate = rule.commit_gate(connection.vendor)
    table = Case._meta.db_table
    qn = connection.ops.quote_name
    where = f"EXISTS (SELECT 1 FROM {table} c WHERE c.id = {qn(table)}.{qn('id')} AND {gate})"  # noqa: S608
    return list(
        Case.objects.filter(ctx.village_q("village"))
        .extra(where=[where])  # noqa: S610 - fixed SQL from the rule, no user input
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def _township_of(village_ids: Iterable[int]) -> dict[int, int]:
    return dict(Region.objects.filter(pk__in=set(village_ids)).values_list("pk", "parent_id"))


def raise_alerts(
    rule: Rule, findings: list[tuple[Finding, str]], *, now: datetime.datetime
) -> tuple[int, int]:
    """Upsert alerts for ``findings``. Returns (new alerts, already known)."""
    if not findings:
        return 0, 0
    by_key = {f"{rule.code}:{f.key}"[:160]: (f, sev) for f, sev in findings}
    keys = list(by_key)
    known: set[str] = set()
    for start in range(0, len(keys), KEY_CHUNK):
        known |= set(
            Alert.objects.filter(key__in=keys[start : start + KEY_CHUNK]).values_list("key", flat=True)
        )
    fresh = [k for k in keys if k not in known]
    townships = _township_of(by_key[k][0].village_id for k in fresh)
    with transaction.atomic():
        for start in range(0, len(keys), KEY_CHUNK):
            chunk = [k for k in keys[start : start + KEY_CHUNK] if k in known]
            if chunk:
                Alert.objects.filter(key__in=chunk).update(last_seen_at=now)
        alerts = []
        for key in fresh:
            finding, severity = by_key[key]
            alerts.append(
                Alert(
                    key=key,
                    rule_code=rule.code,
                    family=rule.family,
                    severity=severity,
                    status=AlertStatus.OPEN,
                    village_id=finding.village_id,
                    case_id=finding.case_id,
                    subject=finding.subject[:80],
                    title=rule.title(finding)[:300],
                    explanation=rule.explain(finding),
                    evidence=_plain(finding.evidence),
                    first_seen_at=now,
                    last_seen_at=now,
                    handling_region_id=townships.get(finding.village_id) or finding.village_id,
                )
            )
        Alert.objects.bulk_create(alerts, batch_size=500, ignore_conflicts=True)
        created: list[Alert] = []
        for start in range(0, len(fresh), KEY_CHUNK):
            created += list(
                Alert.objects.filter(
                    key__in=fresh[start : start + KEY_CHUNK], first_seen_at=now
                ).select_related("village")
            )
        AlertAction.objects.bulk_create(
            [
                AlertAction(alert=a, kind="raised", to_status=AlertStatus.OPEN, at=now, note="")
                for a in created
            ],
            batch_size=500,
        )
        for alert in created:
            ledger_append(
                kind="alert.raised",
                actor=None,
                subject=f"supervision.alert:{alert.pk}",
                region=alert.village,
                payload={
                    "rule": alert.rule_code,
                    "severity": alert.severity,
                    "key": alert.key,
                    "case": alert.case_id,
                    "subject": alert.subject,
                    "evidence": alert.evidence,
                },
            )
    notify.alerts_raised([a.pk for a in created])  # notifications hook: enqueued on commit (notify.py)
    return len(created), len(known)


def _plain(value: Any) -> Any:
    import json

    from django.core.serializers.json import DjangoJSONEncoder

    return json.loads(json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False))


def sweep(
    *,
    rule_codes: Iterable[str] | None = None,
    region: Region | None = None,
    now: datetime.datetime | None = None,
    progress: Any = None,
) -> SweepRun:
    """Run every rule (or those named) over everything (or a region) and raise alerts."""
    now = now or timezone.now()
    codes = list(rule_codes) if rule_codes is not None else sorted(REGISTRY)
    settings_version_checked()
    run = SweepRun.objects.create(kind="sweep", started_at=now)
    detail: dict[str, Any] = {}
    total_found = total_new = 0
    for code in codes:
        rule = REGISTRY[code]
        started = time.perf_counter()
        findings = run_rule(rule, now=now, region=region)
        new, _known = raise_alerts(rule, findings, now=now)
        took = time.perf_counter() - started
        detail[code] = {"findings": len(findings), "raised": new, "seconds": round(took, 4)}
        total_found += len(findings)
        total_new += new
        if progress:
            progress(code, len(findings), new, took)
    SweepRun.objects.filter(pk=run.pk).update(
        finished_at=timezone.now(), rules=len(codes), findings=total_found, raised=total_new, detail=detail
    )
    run.refresh_from_db()
    return run


_WATCHED: dict[int, frozenset[str]] = {}


def watched_kinds() -> frozenset[str]:
    """Every event kind some rule watches (cached until a rule is registered)."""
    size = len(REGISTRY)
    if size not in _WATCHED:
        _WATCHED.clear()
        _WATCHED[size] = frozenset(kind for rule in REGISTRY.values() for kind in rule.watches)
    return _WATCHED[size]


# --- on-commit checks --------------------------------------------------------------------------------------

_GATE_SQL: dict[tuple[str, tuple[str, ...], int], str] = {}


def _gate_sql(vendor: str, rules: list[Rule], n: int) -> str:
    """SELECT c.id, <one 0/1 column per rule>, <the settings version: 3 columns> FROM cases_case c
    WHERE c.id IN (n placeholders)."""
    key = (vendor, tuple(r.code for r in rules), n)
    sql = _GATE_SQL.get(key)
    if sql is None:
        from sunlit.cases.models import Case

        columns = ", ".join(f"CASE WHEN {r.commit_gate(vendor)} THEN 1 ELSE 0 END" for r in rules)
        marks = ", ".join(["%s"] * n)
        sql = (
            f"SELECT c.id, {columns}, v.n, v.last, v.at FROM {Case._meta.db_table} c "  # noqa: S608
            f"CROSS JOIN ({_version_sql()}) v WHERE c.id IN ({marks})"
        )
        if len(_GATE_SQL) > 512:
            _GATE_SQL.clear()
        _GATE_SQL[key] = sql
    return sql


def commit_gates(rules: list[Rule], case_ids: list[int]) -> dict[str, set[int]]:
    """For each rule, the cases among ``case_ids`` whose gate passes (rules without a gate: all of
    them). One query for every gated rule and case together."""
    return _commit_gates(rules, case_ids)[0]


def _commit_gates(
    rules: list[Rule], case_ids: list[int]
) -> tuple[dict[str, set[int]], tuple[Any, ...] | None]:
    """:func:`commit_gates`, and the rule settings' version read by the same query (None when no query
    ran or no case was found)."""
    from django.db import connection

    ids = sorted(set(case_ids))
    passed: dict[str, set[int]] = {
        r.code: set(ids) for r in rules if r.commit_gate(connection.vendor) is None
    }
    gated = [r for r in rules if r.code not in passed]
    for rule in gated:
        passed[rule.code] = set()
    version = None
    if gated and ids:
        width = len(gated)
        for row in _gate_rows(_gate_sql(connection.vendor, gated, len(ids)), ids):
            for rule, hit in zip(gated, row[1 : 1 + width], strict=True):
                if hit:
                    passed[rule.code].add(row[0])
            version = tuple(row[1 + width :])
    return passed, version


class _PreparingCursor(psycopg.Cursor):  # type: ignore[type-arg]
    """A psycopg cursor that binds on the server and asks to prepare every statement it runs."""

    def execute(
        self, query: Any, params: Any = None, *, prepare: bool | None = None, binary: bool | None = None
    ) -> Any:
        return super().execute(query, params, prepare=True if prepare is None else prepare, binary=binary)


def _gate_rows(sql: str, ids: list[int]) -> list[tuple[Any, ...]]:
    """Run a gate query. On PostgreSQL it is a server-side prepared statement: the query holds a
    dozen EXISTS probes, and planning it took several times longer than running it (≈ 8 ms against
    1.5 ms per event). psycopg keeps the statement per connection (prepared on first use, re-prepared
    after a reconnect, evicted least-recently-used), so the server plans each gate shape once per
    connection and then reuses its generic plan. SQLite's statement cache already does this."""
    from django.db import connection

    if connection.vendor != "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(sql, ids)
            return cursor.fetchall()
    connection.ensure_connection()
    # Django's own cursors bind on the client, which cannot prepare; this one binds on the server, in
    # Django's wrapper (execute wrappers, error translation). Django's debug log cannot show a prepared
    # statement's text, so the query is logged here, for query counts and the debug toolbar alike. The
    # ids are typed int8 so that every batch of the same size shares one statement. Preparing needs
    # the connection's prepare_threshold (settings: SUNLIT_PG_PREPARE); without it the query just runs.
    started = time.monotonic()
    with connection.make_cursor(_PreparingCursor(connection.connection)) as cursor:
        cursor.execute(sql, [Int8(pk) for pk in ids])
        rows = cursor.fetchall()
    if connection.queries_logged:
        connection.queries_log.append(
            {"sql": f"{sql} -- prepared; ids {ids}", "time": f"{time.monotonic() - started:.3f}"}
        )
    return rows


def check_cases(case_ids: list[int], kinds: Iterable[str], *, now: datetime.datetime | None = None) -> int:
    """On-commit checks: the case-scoped rules watching ``kinds``, restricted to ``case_ids``."""
    return _check_case_kinds({pk: set(kinds) for pk in case_ids}, now=now)


def _check_case_kinds(by_case: dict[int, set[str]], *, now: datetime.datetime | None) -> int:
    """Run, for each case, the case-scoped rules watching one of its kinds — only where the rule's gate
    passes — each rule once for all its cases. The settings version is checked (read with the gates)
    before any rule runs."""
    if not by_case:
        return 0
    now = now or timezone.now()
    wanted: dict[str, set[int]] = {}
    for rule in REGISTRY.values():
        if rule.case_scoped and rule.watches:
            cases = {pk for pk, kinds in by_case.items() if kinds & set(rule.watches)}
            if cases:
                wanted[rule.code] = cases
    if not wanted:
        return 0
    rules = [REGISTRY[code] for code in sorted(wanted)]
    passed, version = _commit_gates(rules, sorted(set().union(*wanted.values())))
    runs = [(rule, sorted(wanted[rule.code] & passed[rule.code])) for rule in rules]
    runs = [(rule, cases) for rule, cases in runs if cases]
    if runs:
        settings_version_checked(version)  # read with the gates; None only if no gate query ran
    raised = 0
    for rule, cases in runs:
        raised += raise_alerts(rule, run_rule(rule, now=now, case_ids=cases), now=now)[0]
    return raised


def check_events(events: Iterable[tuple[str, str]], *, now: datetime.datetime | None = None) -> int:
    """What committed events may have broken, checked together: case-scoped rules for the cases the
    events are about (each rule once for all its cases, after one gate query), and the village's run of
    the other watching rules for events about something else (a seal use). Returns new alerts."""
    watched = watched_kinds()
    by_case: dict[int, set[str]] = {}
    seal_uses: dict[int, set[str]] = {}
    for kind, subject in events:
        if kind not in watched:
            continue
        label, _sep, raw_pk = subject.partition(":")
        try:
            pk = int(raw_pk)
        except ValueError:
            continue
        if label == "cases.case":
            by_case.setdefault(pk, set()).add(kind)
        elif label == "cases.sealuse":
            seal_uses.setdefault(pk, set()).add(kind)
    if not by_case and not seal_uses:
        return 0
    raised = _check_case_kinds(by_case, now=now)
    if seal_uses:
        from sunlit.cases.models import SealUse

        settings_version_checked()
        now = now or timezone.now()
        villages = dict(SealUse.objects.filter(pk__in=seal_uses).values_list("pk", "village_id"))
        by_village: dict[int, set[str]] = {}
        for pk, kinds in seal_uses.items():
            if villages.get(pk) is not None:
                by_village.setdefault(villages[pk], set()).update(kinds)
        for village in Region.objects.filter(pk__in=by_village):
            for rule in REGISTRY.values():
                if not rule.case_scoped and by_village[village.pk] & set(rule.watches):
                    raised += raise_alerts(rule, run_rule(rule, now=now, region=village), now=now)[0]
    return raised


def check_event(kind: str, subject: str, *, now: datetime.datetime | None = None) -> int:
    """What one committed event may have broken (see :func:`check_events`)."""
    return check_events([(kind, subject)], now=now)
