"""City-scale demo history (``sunlit demo --scale city``): about a million cases in every village of
the city over the last three years, written with bulk inserts.

Unlike the county demo (sunlit/cases/demo.py, the real services under a simulated clock), the cases
here are *planned* in Python and inserted in bulk, but planned by the engine's own rules: each case
walks its item's published flow (``Transition`` rows), choosing branches with
:func:`engine.choose_route` over its variables and pinned parameters, votes are tallies judged by
:func:`engine.vote_outcome`, deadlines and notice periods come from :func:`engine.end_of_working_day`.
Every act is in the ledger (``case.started``, ``vote.recorded``, ``step.completed``,
``notice.opened``, ``case.completed``, with the payloads the services write) through
:class:`sunlit.core.ledger_bulk.BulkLedger`, in time order, so ``sunlit audit verify --full`` passes.

The history is cut into time windows; each window is one transaction holding the cases started in
it (with their whole story up to now) and the ledger events that happen in it. Events of a case that
fall in later windows wait in a heap (memory stays bounded by the cases in flight, not the total).
An interrupted run leaves whole windows: the ledger is a verifiable prefix. The marker of loaded
history is that a village outside the demo county has cases; the demo then adds none.

Documents: every completed step that requires documents gets them, uploaded by the step's actor
shortly before completing it (``document.uploaded`` events, the hashes listed in ``step.completed``
as the services write them). The file behind each is one small placeholder PDF per document name,
stored once (storage is content-addressed), so a clean city history raises no "documents missing".
What the bulk history leaves out: objections, seal uses and terminations — the county demo has those.
"""

from __future__ import annotations

import datetime
import heapq
import math
import random
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.contrib.auth.hashers import make_password
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from sunlit.accounts.models import RoleAssignment, User
from sunlit.accounts.roles import ROLE_LEVELS, Role
from sunlit.core.calendar import add_working_days, is_working_day
from sunlit.core.ledger_bulk import BulkLedger
from sunlit.core.masking import mask_pii
from sunlit.core.models import AuditEvent
from sunlit.powers.models import ParameterOverride, PowerItem, Transition
from sunlit.powers.selectors import catalog_in_force, effective_parameters
from sunlit.powers.vocab import StepKind
from sunlit.regions.models import Region, RegionLevel

from . import documents as docstore
from . import engine
from .demo import GIVEN, PROJECTS, PURCHASES, SURNAMES, TRUE_BY_DEFAULT, _tally
from .models import Case, CaseDocument, CaseParty, Notice, StepInstance, VoteRecord
from .services import AMOUNT_VARIABLES, CODE_ALPHABET
from .vocab import CaseStatus, StepStatus

CASES_PER_VILLAGE = 290  # × ≈3,449 villages ≈ 1 million cases
YEARS = 3
WINDOWS = 72  # transactions (≈ 15 days of history each)
FLUSH_EVENTS = 20_000  # rows are inserted every so many events within a window
BATCH_SIZE = 5000
MAX_VISITS = 40  # step completions per case at most (loops end well before)

# How often each item is started (others: 2). Certificates and benefits are everyday work.
ITEM_WEIGHTS = {
    "VS-07": 10,
    "VS-06": 5,
    "VS-13": 4,
    "VS-14": 3,
    "VS-09": 4,
    "VS-08": 3,
    "PA-07": 6,
    "PA-04": 4,
}
FIRST_TRY_OK = 0.93  # chance an answer (or vote) goes the usual way on the first visit

Progress = Callable[[str, str, float], None]
_UTC = datetime.UTC
_encode_time = DjangoJSONEncoder().default


def _json_time(value: datetime.datetime | None, *, utc: bool = True) -> str | None:
    """A datetime as ``ledger._plain_json`` renders it (DjangoJSONEncoder)."""
    if value is None:
        return None
    return _encode_time(value.astimezone(_UTC) if utc else value)


# --- the flows, read once ------------------------------------------------------------------------


@dataclass
class _Step:
    model: Any  # powers.Step (for engine.vote_outcome)
    pk: int
    key: str
    kind: str
    role: str
    name: str
    body: str  # masked description, for notices
    outgoing: list[Any]
    inputs: list[str]
    owned: set[str]
    notice_owned: set[str]
    reads: tuple[str, ...]  # variables the outgoing guards read
    documents: tuple[str, ...] = ()  # required documents (uploaded before completing)


@dataclass
class _Flow:
    item: PowerItem
    steps: dict[str, _Step]
    start: _Step
    types: dict[str, str]
    param_kinds: dict[str, str]
    defaults: dict[str, str]
    applicant: bool  # the first step is the applicant's: the case has a named applicant


def _load_flow(item: PowerItem) -> _Flow:
    flow = item.flow
    steps_db = {s.pk: s for s in flow.steps.all()}
    outgoing: dict[int, list[Any]] = {pk: [] for pk in steps_db}
    for t in Transition.objects.filter(flow=flow).order_by("priority", "position"):
        t.target = steps_db[t.target_id]
        outgoing[t.source_id].append(t)
    types = engine.declared_types(item.variables)
    steps: dict[str, _Step] = {}
    for pk, s in steps_db.items():
        out = outgoing[pk]
        owned = engine.vote_owned_variables(s, out, types)
        notice_owned = engine.notice_owned_variables(s, out, types)
        reads = sorted({n for t in out if t.guard for n in engine.guard_variables(t.guard)})
        steps[s.key] = _Step(
            s, pk, s.key, s.kind, s.role, s.name, mask_pii(s.description), out,
            engine.routing_inputs(out, types, owned | notice_owned), owned, notice_owned, tuple(reads),
            tuple(s.documents or ()),
        )  # fmt: skip
    params = list(item.parameters.all())
    return _Flow(
        item=item,
        steps=steps,
        start=steps[flow.start_key],
        types=types,
        param_kinds={p.key: p.kind for p in params},
        defaults={p.key: str(p.default) for p in params},
        applicant=steps[flow.start_key].role == Role.APPLICANT,
    )


# --- time ------------------------------------------------------------------------------------------

_WORK_START = datetime.time(8, 30)
_WORK_MINUTES = 9 * 60


class _Calendar:
    """Memoised working-day arithmetic (the real calendar, asked once per date)."""

    def __init__(self) -> None:
        self.tz = engine.local_tz()
        self._add: dict[tuple[datetime.date, int], datetime.date] = {}
        self._eod: dict[tuple[datetime.date, int], datetime.datetime] = {}

    def add(self, day: datetime.date, n: int) -> datetime.date:
        key = (day, n)
        got = self._add.get(key)
        if got is None:
            got = self._add[key] = add_working_days(day, n)
        return got

    def end_of_day(self, when: datetime.datetime, days: int) -> datetime.datetime:
        key = (when.astimezone(self.tz).date(), days)
        got = self._eod.get(key)
        if got is None:
            got = self._eod[key] = engine.end_of_working_day(when, days)
        return got

    def later(self, after: datetime.datetime, working_days: int, rng: random.Random) -> datetime.datetime:
        """An office-hours moment ``working_days`` working days after ``after`` (UTC)."""
        local = after.astimezone(self.tz)
        day = self.add(local.date(), working_days) if working_days > 0 else local.date()
        if working_days == 0:
            soon = local + datetime.timedelta(minutes=rng.randint(10, 120))
            if is_working_day(day) and local.time() >= _WORK_START and soon.time() <= datetime.time(17, 30):
                return soon.astimezone(_UTC)
            day = self.add(day, 0 if local.time() < _WORK_START else 1)
        start = datetime.datetime.combine(day, _WORK_START, tzinfo=self.tz)
        when = start + datetime.timedelta(minutes=rng.randint(0, _WORK_MINUTES), seconds=rng.randint(0, 59))
        if when <= after:
            when = after + datetime.timedelta(minutes=rng.randint(10, 90))
        return when.astimezone(_UTC).replace(microsecond=rng.randrange(1_000_000))


# --- staff -------------------------------------------------------------------------------------------


class _Staff:
    """One account per (role, region) that the flows need — the printed logins in their own regions —
    created in bulk with their role assignments."""

    def __init__(self, logins: list[Any]) -> None:
        self.logins = {(login.role, login.region.pk): login.username for login in logins}
        self.wanted: dict[str, tuple[str, Region]] = {}
        self.users: dict[str, tuple[int, str]] = {}  # username → (pk, username)

    def username(self, step_role: str, village: Region, township: Region, county: Region) -> tuple[str, str]:
        role = Role.VILLAGE_COMMITTEE if step_role == Role.APPLICANT else step_role
        levels = ROLE_LEVELS[role]
        region = (
            village
            if RegionLevel.VILLAGE in levels
            else township
            if RegionLevel.TOWNSHIP in levels
            else county
        )
        name = self.logins.get((role, region.pk)) or f"{role}.{region.code}"
        self.wanted.setdefault(name, (role, region))
        return name, role

    def create(self, rng: random.Random) -> int:
        existing = dict(User.objects.filter(username__in=list(self.wanted)).values_list("username", "pk"))
        new = [name for name in self.wanted if name not in existing]
        password = make_password(None)
        User.objects.bulk_create(
            [
                User(
                    username=name,
                    password=password,
                    display_name=f"{rng.choice(SURNAMES)}{rng.choice(GIVEN)}（演示）",
                )
                for name in new
            ],
            batch_size=BATCH_SIZE,
        )
        created = dict(User.objects.filter(username__in=new).values_list("username", "pk"))
        RoleAssignment.objects.bulk_create(
            [
                RoleAssignment(user_id=created[n], role=self.wanted[n][0], region=self.wanted[n][1])
                for n in new
            ],
            batch_size=BATCH_SIZE,
        )
        for name, pk in {**existing, **created}.items():
            self.users[name] = (pk, name)
        return len(new)


# --- planning one case ------------------------------------------------------------------------------


@dataclass
class _Visit:
    step: _Step
    sequence: int
    entered: datetime.datetime
    due: datetime.datetime | None
    not_before: datetime.datetime | None
    done: datetime.datetime | None = None  # None: still active now (or an end step)
    actor: tuple[int, str] | None = None
    as_role: str = ""
    on_behalf: bool = False
    inputs: dict[str, Any] = field(default_factory=dict)
    routing: list[dict[str, Any]] = field(default_factory=list)
    next_key: str = ""
    vote: tuple[Any, Any] | None = None  # (Tally, VoteOutcome)
    vote_pk: int | None = None
    instance_pk: int = 0
    notice_pk: int | None = None
    notice_code: str = ""
    notice_days: int = 0
    days: int | None = None  # the step's working-day limit
    uploaded: datetime.datetime | None = None  # when the step's documents were uploaded


@dataclass
class _Plan:
    pk: int
    tracking_no: str
    village: Region
    flow: _Flow
    title: str
    party: str  # applicant name or ""
    start_vars: dict[str, Any]
    params: dict[str, str]
    variables: dict[str, Any]  # final
    visits: list[_Visit]
    started_by: tuple[int, str]
    events: list[tuple[datetime.datetime, str, int]]  # (time, kind, visit index), in order
    status: str = CaseStatus.ACTIVE


def _code(rng: random.Random, n: int) -> str:
    return "".join(rng.choice(CODE_ALPHABET) for _ in range(n))


def _start_value(name: str, kind: str, rng: random.Random) -> Any:
    if kind == "double":
        if name in AMOUNT_VARIABLES or "amount" in name or "value" in name:
            return float(round(math.exp(rng.uniform(math.log(500), math.log(600_000))), -2))
        if "area" in name:
            return float(rng.randrange(5, 200, 5))
        return float(rng.randint(1, 100))
    if name == "age":
        return rng.randint(58, 99)
    if name == "term_years":
        return rng.randint(1, 10)
    if name.endswith("_pct"):
        return rng.randint(0, 12)
    if "area" in name:
        return rng.randint(80, 150)
    return rng.randint(0, 5)


def _answer(name: str, kind: str, first: bool, rng: random.Random) -> Any:
    usual = rng.random() < FIRST_TRY_OK or not first
    if kind == "bool":
        return (name in TRUE_BY_DEFAULT) == usual
    if kind == "string":
        if name == "category":
            return "general"
        return "pass" if usual else rng.choice(["return", "reject"])
    if kind in ("int", "double"):
        value = _start_value(name, kind, rng) if first else 0
        return float(value) if kind == "double" else value
    return []


class _Planner:
    def __init__(self, calendar: _Calendar, staff: _Staff, now: datetime.datetime) -> None:
        self.cal = calendar
        self.staff = staff
        self.now = now
        self._routes: dict[tuple, engine.Route] = {}
        self._guard_params: dict[tuple, dict[str, Any]] = {}
        self.next_pk = {"case": 0, "step": 0, "vote": 0, "notice": 0}

    def _pk(self, kind: str) -> int:
        self.next_pk[kind] += 1
        return self.next_pk[kind]

    def _route(
        self, step: _Step, variables: dict[str, Any], flow: _Flow, params: dict[str, str]
    ) -> engine.Route:
        pkey = tuple(sorted(params.items()))
        key = (step.pk, tuple(variables.get(n) for n in step.reads), pkey)
        route = self._routes.get(key)
        if route is None:
            gp = self._guard_params.get((flow.item.pk, pkey))
            if gp is None:
                gp = self._guard_params[(flow.item.pk, pkey)] = engine.guard_params(params, flow.param_kinds)
            route = engine.choose_route(step.outgoing, variables, gp)
            if len(self._routes) > 200_000:
                self._routes.clear()
            self._routes[key] = route
        return route

    def plan(
        self, rng: random.Random, flow: _Flow, params: dict[str, str], village: Region, township: Region,
        county: Region, started: datetime.datetime,
    ) -> _Plan:  # fmt: skip
        item = flow.item
        name = ""
        if flow.applicant:
            name = rng.choice(SURNAMES) + rng.choice(GIVEN)
            title = f"{name} {item.name}"
        elif "采购" in item.name or "物资" in item.name:
            title = f"{item.name}：{rng.choice(PURCHASES)}"
        else:
            title = f"{item.name}：{rng.choice(PROJECTS)}"
        title = title[:200]
        start_vars = {n: _start_value(n, k, rng) for n, k in flow.types.items() if k in ("int", "double")}
        start_vars = engine.coerce_inputs(start_vars, flow.types, forbidden=set())
        local_day = started.astimezone(self.cal.tz).date()
        committee = self.staff.users[
            self.staff.username(Role.VILLAGE_COMMITTEE, village, township, county)[0]
        ]
        plan = _Plan(
            pk=self._pk("case"),
            tracking_no=f"{local_day:%Y%m%d}-{_code(rng, 4)}-{_code(rng, 4)}",
            village=village,
            flow=flow,
            title=title,
            party=name,
            start_vars=start_vars,
            params=params,
            variables=dict(start_vars),
            visits=[],
            started_by=committee,
            events=[(started, "case.started", 0)],
        )
        variables = plan.variables
        step, at, sequence = flow.start, started, 1
        seen: Counter = Counter()
        while True:
            visit = self._enter(plan, step, sequence, at, rng)
            if visit.not_before is not None:
                plan.events.append((at, "notice.opened", len(plan.visits) - 1))
            if step.kind == StepKind.END:
                plan.status = CaseStatus.COMPLETED
                plan.events.append((at, "case.completed", len(plan.visits) - 1))
                break
            done = self._completion_time(step, visit, at, rng)
            if done >= self.now or sequence > MAX_VISITS:
                break  # still in progress now
            first = seen[step.key] == 0
            seen[step.key] += 1
            if step.documents:
                visit.uploaded = done - min(datetime.timedelta(minutes=10), (done - at) / 2)
                for j in range(len(step.documents)):
                    plan.events.append((visit.uploaded, f"document.uploaded#{j}", len(plan.visits) - 1))
            values = {
                n: _answer(n, flow.types[n], first, rng)
                for n in step.inputs
                if n not in plan.start_vars or not first
            }
            values = engine.coerce_inputs(values, flow.types, forbidden=step.owned | step.notice_owned)
            for n in step.notice_owned:
                values[n] = False  # no objection was upheld
            if step.kind == StepKind.VOTE:
                passed = not step.owned or not first or rng.random() < FIRST_TRY_OK
                tally = _tally(step.model, passed=passed, rng=rng)
                visit.vote = (tally, engine.vote_outcome(step.model, tally))
                visit.vote_pk = self._pk("vote")
                for n in step.owned:
                    values[n] = passed
                plan.events.append((done, "vote.recorded", len(plan.visits) - 1))
            variables.update(values)
            route = self._route(step, variables, flow, params)
            user_name, role = self.staff.username(step.role, village, township, county)
            visit.done, visit.actor = done, self.staff.users[user_name]
            visit.as_role, visit.on_behalf = role, step.role == Role.APPLICANT
            visit.inputs, visit.routing, visit.next_key = values, route.evaluations, route.target.key
            plan.events.append((done, "step.completed", len(plan.visits) - 1))
            step, at, sequence = flow.steps[route.target.key], done, sequence + 1
        return plan

    def _enter(
        self, plan: _Plan, step: _Step, sequence: int, at: datetime.datetime, rng: random.Random
    ) -> _Visit:
        model = step.model
        is_end = step.kind == StepKind.END
        days = engine.step_days(model.deadline_days, model.deadline_param, plan.params)
        notice_days = engine.step_days(model.notice_days, model.notice_param, plan.params)
        visit = _Visit(
            step=step,
            sequence=sequence,
            entered=at,
            due=self.cal.end_of_day(at, days) if days is not None and not is_end else None,
            not_before=(
                self.cal.end_of_day(at, notice_days)
                if step.kind == StepKind.PUBLIC_NOTICE and notice_days is not None
                else None
            ),
            done=at if is_end else None,
            instance_pk=self._pk("step"),
            days=days,
        )
        if visit.not_before is not None:
            visit.notice_pk = self._pk("notice")
            visit.notice_code = f"N{at.astimezone(self.cal.tz):%y%m%d}{_code(rng, 6)}"
            visit.notice_days = notice_days or 0
        plan.visits.append(visit)
        return visit

    def _completion_time(
        self, step: _Step, visit: _Visit, at: datetime.datetime, rng: random.Random
    ) -> datetime.datetime:
        if visit.not_before is not None:
            return self.cal.later(visit.not_before, rng.randint(0, 1), rng)
        if visit.due is not None:
            days = visit.days or 1
            offset = (
                rng.randint(days + 1, days + 4) if rng.random() < 0.04 else rng.randint(0, max(0, days - 1))
            )
        else:
            offset = rng.randint(3, 25)
        return self.cal.later(at, offset, rng)


# --- rows and events ---------------------------------------------------------------------------------


def _rows(plan: _Plan, out: dict[str, list[Any]]) -> None:
    item = plan.flow.item
    last = plan.visits[-1]
    closed = last.done if plan.status == CaseStatus.COMPLETED else None
    amount = None
    for name in AMOUNT_VARIABLES:
        value = plan.variables.get(name)
        if isinstance(value, int | float) and not isinstance(value, bool):
            amount = Decimal(str(value)).quantize(Decimal("0.01"))
            break
    completed = sum(1 for v in plan.visits if v.actor is not None)
    out["case"].append(
        Case(
            pk=plan.pk,
            tracking_no=plan.tracking_no,
            village_id=plan.village.pk,
            item_id=item.pk,
            flow_id=item.flow.pk,
            title=plan.title,
            status=plan.status,
            variables=plan.variables,
            parameters=plan.params,
            amount=amount,
            current_id=None if plan.status == CaseStatus.COMPLETED else last.instance_pk,
            started_by_id=plan.started_by[0],
            started_at=plan.events[0][0],
            closed_at=closed,
            end_step_key=last.step.key if plan.status == CaseStatus.COMPLETED else "",
            revision=completed,
        )
    )
    if plan.party:
        out["party"].append(CaseParty(case_id=plan.pk, role="applicant", name=plan.party))
    for v in plan.visits:
        finished = v.done is not None
        out["step"].append(
            StepInstance(
                pk=v.instance_pk,
                case_id=plan.pk,
                step_id=v.step.pk,
                sequence=v.sequence,
                status=StepStatus.COMPLETED if finished else StepStatus.ACTIVE,
                entered_at=v.entered,
                due_at=v.due,
                not_before=v.not_before,
                completed_at=v.done,
                completed_by_id=v.actor[0] if v.actor else None,
                completed_as=v.as_role,
                on_behalf=v.on_behalf,
                inputs=v.inputs,
                routing=v.routing,
                next_step_key=v.next_key,
            )
        )
        if v.uploaded is not None:
            for name in v.step.documents:
                stored = _placeholder(name)
                out["document"].append(
                    CaseDocument(
                        case_id=plan.pk,
                        step_instance_id=v.instance_pk,
                        name=name,
                        original_name=f"{name}.pdf",
                        sha256=stored.sha256,
                        size=stored.size,
                        content_type=stored.content_type,
                        uploaded_by_id=v.actor[0],  # type: ignore[index]
                        uploaded_at=v.uploaded,
                    )
                )
        if v.notice_pk is not None:
            out["notice"].append(
                Notice(
                    pk=v.notice_pk,
                    case_id=plan.pk,
                    step_instance_id=v.instance_pk,
                    village_id=plan.village.pk,
                    code=v.notice_code,
                    title=mask_pii(f"{plan.title} · {v.step.name}")[:300],
                    body=v.step.body,
                    opens_at=v.entered,
                    closes_at=v.not_before,
                    working_days=v.notice_days,
                )
            )
        if v.vote is not None:
            tally, outcome = v.vote
            out["vote"].append(
                VoteRecord(
                    pk=v.vote_pk,
                    case_id=plan.pk,
                    step_instance_id=v.instance_pk,
                    body=v.step.model.vote_body,
                    expected=tally.expected,
                    present=tally.present,
                    votes_for=tally.votes_for,
                    votes_against=tally.votes_against,
                    abstentions=tally.abstentions,
                    quorum_met=outcome.quorum_met,
                    passed=outcome.passed,
                    meeting_ref=f"{v.done.astimezone(engine.local_tz()):%Y%m%d}-{v.step.key}",
                    held_on=v.done.astimezone(engine.local_tz()).date(),
                    recorded_by_id=v.actor[0],
                    recorded_at=v.done,
                )
            )


_PLACEHOLDERS: dict[str, docstore.CleanFile] = {}


def _placeholder(name: str) -> docstore.CleanFile:
    """The stored file behind every bulk upload of document ``name`` (written once per process)."""
    found = _PLACEHOLDERS.get(name)
    if found is None:
        data = f"%PDF-1.4\n% Sunlit city demo placeholder: {name}\n%%EOF\n".encode()
        found = docstore.clean(data)
        docstore.store(found)
        _PLACEHOLDERS[name] = found
    return found


def _append_event(lb: BulkLedger, plan: _Plan, when: datetime.datetime, kind: str, index: int) -> None:
    """The event the services would append, with the same payload (see services.py)."""
    visit = plan.visits[index]
    flow, item = plan.flow, plan.flow.item
    subject = f"cases.case:{plan.pk}"
    pii = None
    if kind.startswith("document.uploaded#"):
        name = visit.step.documents[int(kind.partition("#")[2])]
        stored = _placeholder(name)
        kind, actor = "document.uploaded", visit.actor
        payload = {
            "tracking_no": plan.tracking_no,
            "step": visit.step.key,
            "sequence": visit.sequence,
            "name": name,
            "sha256": stored.sha256,
            "size": stored.size,
            "type": stored.content_type,
        }
    elif kind == "case.started":
        actor = plan.started_by
        payload = {
            "tracking_no": plan.tracking_no,
            "item": item.code,
            "catalog": item.catalog.code,
            "edition": item.catalog.version,
            "catalog_hash": item.catalog.content_hash,
            "flow_version": item.flow.version,
            "flow_hash": item.flow.content_hash,
            "variables": plan.start_vars,
            "parameters": plan.params,
            "parties": [{"role": "applicant", "person": None}] if plan.party else [],
            "step": flow.start.key,
        }
        pii = {"title": plan.title} | ({"party0.name": plan.party} if plan.party else {})
    elif kind == "vote.recorded":
        actor = visit.actor
        tally, outcome = visit.vote  # type: ignore[misc]
        m = visit.step.model
        payload = {
            "tracking_no": plan.tracking_no,
            "step": m.key,
            "body": m.vote_body,
            "expected": tally.expected,
            "present": tally.present,
            "for": tally.votes_for,
            "against": tally.votes_against,
            "abstain": tally.abstentions,
            "quorum": f"{m.quorum_rule} {m.quorum}",
            "threshold": f"{m.threshold_rule} {m.threshold} of {m.threshold_base}",
            "passed": outcome.passed,
            "meeting": f"{visit.done.astimezone(engine.local_tz()):%Y%m%d}-{m.key}",  # type: ignore[union-attr]
        }
    elif kind == "step.completed":
        actor = visit.actor
        payload = {
            "tracking_no": plan.tracking_no,
            "sequence": visit.sequence,
            "step": visit.step.key,
            "as_role": visit.as_role,
            "on_behalf": visit.on_behalf,
            "inputs": visit.inputs,
            "routing": visit.routing,
            "next": visit.next_key,
            "documents": sorted(_placeholder(n).sha256 for n in visit.step.documents)
            if visit.uploaded is not None
            else [],
            "vote": visit.vote_pk,
            "due_at": _json_time(visit.due),
            "late": bool(visit.due and when >= visit.due),
            "note": "",
        }
    elif kind == "notice.opened":
        # The actor of the act that entered the step: the previous completion, or the starter.
        actor = plan.visits[index - 1].actor if index else plan.started_by
        subject = f"cases.notice:{visit.notice_pk}"
        payload = {
            "case": plan.tracking_no,
            "step": visit.step.key,
            "code": visit.notice_code,
            "opens_at": _json_time(visit.entered),
            "closes_at": _json_time(visit.not_before, utc=False),  # as entered: local time
            "working_days": visit.notice_days,
        }
    else:  # case.completed
        actor = plan.visits[index - 1].actor if index else plan.started_by
        payload = {"tracking_no": plan.tracking_no, "end_step": visit.step.key, "variables": plan.variables}
    lb.append(
        kind=kind,
        time=when,
        subject=subject,
        payload=payload,
        actor_id=actor[0] if actor else None,
        actor_username=actor[1] if actor else "",
        region_code=plan.village.code,
        pii=pii,
        plain=True,
    )


# --- the run -------------------------------------------------------------------------------------------


@dataclass
class CityReport:
    villages: int = 0
    cases: int = 0
    events: int = 0
    steps: int = 0
    votes: int = 0
    notices: int = 0
    staff_created: int = 0
    by_status: Counter = field(default_factory=Counter)
    first: datetime.datetime | None = None
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)


def city_cases_loaded(city: Region, demo_county: Region) -> bool:
    return (
        Case.objects.filter(village__path__startswith=city.path)
        .exclude(village__path__startswith=demo_county.path)
        .exists()
    )


def _village_contexts(
    city: Region,
) -> list[tuple[Region, Region, Region, list[tuple[_Flow, dict[str, str]]]]]:
    """Every village of the city with its township, county and the items in force (with the
    parameter values in force there)."""
    villages = list(
        Region.objects.filter(path__startswith=city.path, level=RegionLevel.VILLAGE)
        .select_related("parent__parent")
        .order_by("code")
    )
    overridden = set(ParameterOverride.objects.values_list("adoption__region__code", flat=True))
    flows: dict[int, list[_Flow]] = {}
    out = []
    for village in villages:
        catalog = catalog_in_force(village)
        if catalog is None:
            continue
        if catalog.pk not in flows:
            items = (
                PowerItem.objects.filter(catalog=catalog, flow__isnull=False)
                .select_related("flow", "catalog")
                .prefetch_related("parameters", "flow__steps")
                .order_by("position")
            )
            flows[catalog.pk] = [_load_flow(item) for item in items]
        local = bool(overridden & set(village.ancestor_codes()))
        entries = []
        for f in flows[catalog.pk]:
            params = (
                {k: str(p.value) for k, p in effective_parameters(village, f.item).items()}
                if local
                else f.defaults
            )
            entries.append((f, params))
        out.append((village, village.parent, village.parent.parent, entries))
    return out


def city_cases(
    *,
    city: Region,
    logins: list[Any],
    seed: int,
    per_village: int = CASES_PER_VILLAGE,
    years: int = YEARS,
    windows: int = WINDOWS,
    max_villages: int | None = None,
    progress: Progress | None = None,
    now: datetime.datetime | None = None,
) -> CityReport:
    """Generate ``per_village`` cases in every village of ``city`` over the last ``years`` years,
    one transaction per time window, and return what was written."""
    started_clock = time.perf_counter()
    report = CityReport()
    now = (now or timezone.now()).astimezone(_UTC)
    begin = now - datetime.timedelta(days=365 * years)
    last_event = AuditEvent.objects.aggregate(last=Max("time"))["last"]
    if last_event is not None and last_event >= begin:
        # The ledger only grows in time: the history starts after what it holds, with fewer cases.
        fraction = max(0.0, (now - last_event).total_seconds() / (now - begin).total_seconds())
        begin = last_event + datetime.timedelta(seconds=1)
        per_village = int(per_village * fraction)
        report.notes.append(
            _("The ledger already has events after the start of the city history; it starts at %(t)s.")
            % {"t": timezone.localtime(begin).strftime("%Y-%m-%d %H:%M")}
        )
    report.first = begin
    contexts = _village_contexts(city)[:max_villages]
    report.villages = len(contexts)
    rng = random.Random(f"{seed}:city-cases")  # noqa: S311 - demo data

    calendar = _Calendar()
    staff = _Staff(logins)
    for village, township, county, entries in contexts:
        staff.username(Role.VILLAGE_COMMITTEE, village, township, county)
        for f, _params in entries:
            for s in f.steps.values():
                if s.role:
                    staff.username(s.role, village, township, county)
    planner = _Planner(calendar, staff, now)

    # How many cases each village starts in each window (deterministic per village).
    span = (now - begin).total_seconds()
    edges = [begin + datetime.timedelta(seconds=span * w / windows) for w in range(windows + 1)]
    counts: list[list[int]] = []
    for village, *_rest in contexts:
        vrng = random.Random(f"{seed}:{village.code}:count")  # noqa: S311
        row = [0] * windows
        for _n in range(per_village):
            row[min(windows - 1, int(vrng.random() * windows))] += 1
        counts.append(row)
    total = sum(map(sum, counts))
    if progress:
        progress(
            "city cases",
            _("%(n)d cases planned in %(v)d villages since %(since)s")
            % {"n": total, "v": len(contexts), "since": timezone.localtime(begin).strftime("%Y-%m-%d")},
            time.perf_counter() - started_clock,
        )

    heap: list[tuple[datetime.datetime, int, int, _Plan]] = []
    order = 0
    next_report = 0.05
    run_started = time.perf_counter()
    for w in range(windows):
        lo, hi = edges[w], edges[w + 1]
        with transaction.atomic():
            if w == 0:
                report.staff_created = staff.create(rng)
                planner.next_pk = {
                    "case": Case.objects.aggregate(m=Max("pk"))["m"] or 0,
                    "step": StepInstance.objects.aggregate(m=Max("pk"))["m"] or 0,
                    "vote": VoteRecord.objects.aggregate(m=Max("pk"))["m"] or 0,
                    "notice": Notice.objects.aggregate(m=Max("pk"))["m"] or 0,
                }
            lb = BulkLedger(batch_size=BATCH_SIZE)
            rows: dict[str, list[Any]] = {
                k: [] for k in ("case", "party", "step", "notice", "vote", "document")
            }
            starts = []
            for (village, township, county, entries), row in zip(contexts, counts, strict=True):
                if not row[w] or not entries:
                    continue
                wrng = random.Random(f"{seed}:{village.code}:{w}")  # noqa: S311
                weights = [ITEM_WEIGHTS.get(f.item.code, 2) for f, _p in entries]
                for _n in range(row[w]):
                    when = lo + (hi - lo) * wrng.random()
                    starts.append(
                        (when, wrng.random(), village, township, county, wrng.choices(entries, weights)[0])
                    )
            starts.sort(key=lambda s: (s[0], s[1]))
            for when, case_seed, village, township, county, (f, params) in starts:
                plan = planner.plan(random.Random(case_seed), f, params, village, township, county, when)  # noqa: S311
                _rows(plan, rows)
                report.cases += 1
                report.by_status[plan.status] += 1
                report.steps += len(plan.visits)
                report.votes += sum(1 for v in plan.visits if v.vote is not None)
                report.notices += sum(1 for v in plan.visits if v.notice_pk is not None)
                order += 1
                heapq.heappush(heap, (plan.events[0][0], order, 0, plan))
            # Rows first (the events name their keys), then the events of this window in time order.
            Case.objects.bulk_create(rows["case"], batch_size=BATCH_SIZE)
            StepInstance.objects.bulk_create(rows["step"], batch_size=BATCH_SIZE)
            CaseParty.objects.bulk_create(rows["party"], batch_size=BATCH_SIZE)
            Notice.objects.bulk_create(rows["notice"], batch_size=BATCH_SIZE)
            VoteRecord.objects.bulk_create(rows["vote"], batch_size=BATCH_SIZE)
            CaseDocument.objects.bulk_create(rows["document"], batch_size=BATCH_SIZE)
            del rows
            limit = hi if w < windows - 1 else now + datetime.timedelta(days=1)
            while heap and heap[0][0] < limit:
                when, tie, index, plan = heapq.heappop(heap)
                _when, kind, visit = plan.events[index]
                _append_event(lb, plan, when, kind, visit)
                report.events += 1
                if index + 1 < len(plan.events):
                    heapq.heappush(heap, (plan.events[index + 1][0], tie, index + 1, plan))
                if lb.pending >= FLUSH_EVENTS:
                    lb.flush()
            lb.flush()
        done = report.cases / total if total else 1.0
        if progress and (done >= next_report or w == windows - 1):
            while next_report <= done:
                next_report += 0.05
            elapsed = time.perf_counter() - run_started
            rate = report.cases / elapsed if elapsed else 0
            eta = (total - report.cases) / rate if rate else 0
            progress(
                f"cases {done:4.0%}",
                _(
                    "to %(month)s: %(cases)d cases, %(events)d events, %(rate).0f cases/s, %(erate).0f events/s, ETA %(eta)s"
                )
                % {
                    "month": timezone.localtime(hi).strftime("%Y-%m"),
                    "cases": report.cases,
                    "events": report.events,
                    "rate": rate,
                    "erate": report.events / elapsed if elapsed else 0,
                    "eta": f"{eta / 60:.0f} min" if eta >= 60 else f"{eta:.0f} s",
                },
                elapsed,
            )
    assert not heap, "events left after now"
    report.seconds = time.perf_counter() - started_clock
    return report
