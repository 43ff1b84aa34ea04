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

from django.db import transaction
from django.utils import timezone

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


def settings_groups(rule: Rule) -> list[Group]:
    settings = sorted(
        RuleSetting.objects.filter(rule_code=rule.code).select_related("region"), key=lambda s: s.region.depth
    )
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
        for finding in rule.detect(ctx):
            found.append((finding, finding.severity or group.severity))
    return found


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


def watched_kinds() -> set[str]:
    return {kind for rule in REGISTRY.values() for kind in rule.watches}


def check_cases(case_ids: list[int], kinds: Iterable[str], *, now: datetime.datetime | None = None) -> int:
    """On-commit checks: the case-scoped rules watching ``kinds``, restricted to ``case_ids``."""
    now = now or timezone.now()
    kinds = set(kinds)
    raised = 0
    for rule in REGISTRY.values():
        if rule.case_scoped and kinds & set(rule.watches):
            findings = run_rule(rule, now=now, case_ids=case_ids)
            raised += raise_alerts(rule, findings, now=now)[0]
    return raised


def check_event(kind: str, subject: str, *, now: datetime.datetime | None = None) -> int:
    """What one committed event may have broken: case-scoped rules for a case's events, the
    village's run of other watching rules for events about something else (a seal use)."""
    label, _sep, raw_pk = subject.partition(":")
    try:
        pk = int(raw_pk)
    except ValueError:
        return 0
    if label == "cases.case":
        return check_cases([pk], [kind], now=now)
    if label == "cases.sealuse":
        from sunlit.cases.models import SealUse

        village = Region.objects.filter(pk=SealUse.objects.filter(pk=pk).values("village_id")[:1]).first()
        if village is None:
            return 0
        now = now or timezone.now()
        raised = 0
        for rule in REGISTRY.values():
            if not rule.case_scoped and kind in rule.watches:
                raised += raise_alerts(rule, run_rule(rule, now=now, region=village), now=now)[0]
        return raised
    return 0
