"""Writes of the case engine. Each service is one transaction that also appends its ledger event.

A refusal raises a DomainError and changes nothing; refusals that matter to supervision (a power
outside the catalog, a step attempted without its role, a step forced past its rules) are then
recorded in a separate transaction as a RefusedAttempt and a ledger event, so the attempt itself
leaves a trace even though the act did not happen.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from sunlit.accounts.models import User
from sunlit.accounts.permissions import has_perm
from sunlit.accounts.roles import Perm, Role
from sunlit.core.errors import Conflict, DomainError, NotFound
from sunlit.core.ledger import ledger_append, ledger_subject
from sunlit.core.masking import id_number_valid, mask_pii
from sunlit.people.selectors import find_by_id_number
from sunlit.powers.models import PowerItem, Step
from sunlit.powers.selectors import catalog_in_force, effective_parameters
from sunlit.powers.vocab import StepKind
from sunlit.regions.models import Region, RegionLevel

from . import documents as docstore
from . import engine, hooks
from .errors import CaseErrorCode, CaseRefused, StepConflict, StepRoleRequired
from .models import (
    Case,
    CaseDocument,
    CaseParty,
    Notice,
    Objection,
    RefusedAttempt,
    SealUse,
    StepInstance,
    VoteRecord,
)
from .permissions import StepActor, step_actor
from .vocab import CaseStatus, ObjectionStatus, PartyRole, RefusalKind, SealKind, StepStatus

CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32: no I, L, O, U
AMOUNT_VARIABLES = ("amount", "value", "annual_value")


def _random_code(n: int) -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(n))


def new_tracking_no() -> str:
    """A public tracking number: the date and 8 random characters (not guessable, not sequential)."""
    return f"{timezone.localdate():%Y%m%d}-{_random_code(4)}-{_random_code(4)}"


# --- refusals --------------------------------------------------------------------------------------------


def record_refusal(
    *,
    kind: str,
    error: DomainError,
    actor: User | None,
    village: Region | None,
    case: Case | None = None,
    step_instance: StepInstance | None = None,
    detail: dict[str, Any] | None = None,
) -> RefusedAttempt:
    with transaction.atomic():
        attempt = RefusedAttempt.objects.create(
            kind=kind,
            code=error.code,
            message=str(error.message)[:500],
            actor=actor if actor is not None and actor.pk else None,
            village=village,
            case=case,
            step_instance=step_instance,
            detail=detail or {},
            at=timezone.now(),
        )
        ledger_append(
            kind=f"refused.{kind}",
            actor=actor if actor is not None and actor.pk else None,
            subject=ledger_subject(case) if case is not None else ledger_subject(attempt),
            region=village,
            payload={
                "code": error.code,
                "step": step_instance.step.key if step_instance is not None else None,
                "detail": detail or {},
            },
        )
    return attempt


@contextmanager
def _recording(kind: str, *, actor: User | None, village: Region | None, **context: Any) -> Iterator[None]:
    try:
        yield
    except (NotFound, Conflict):  # scope and lost races are not attempts worth recording
        raise
    except DomainError as exc:
        record_refusal(kind=kind, error=exc, actor=actor, village=village, **context)
        raise


# --- starting a case -------------------------------------------------------------------------------------


def case_start(
    *,
    actor: User,
    village: Region,
    item_code: str,
    title: str,
    variables: dict[str, Any] | None = None,
    parties: list[dict[str, Any]] | None = None,
) -> Case:
    """Start a case of ``item_code`` in ``village``: only an item of the catalog in force there.

    ``parties``: ``[{"role": "beneficiary", "person": Person | None, "name": str, "credit_code": str}]``.
    """
    if not has_perm(actor, Perm.CASE_OPERATE, village):
        raise NotFound()
    detail = {"item_code": str(item_code)[:40]}
    with _recording(RefusalKind.START, actor=actor, village=village, detail=detail):
        return _case_start(
            actor=actor,
            village=village,
            item_code=str(item_code),
            title=title,
            variables=variables or {},
            parties=parties or [],
        )


def _case_start(
    *,
    actor: User,
    village: Region,
    item_code: str,
    title: str,
    variables: dict[str, Any],
    parties: list[dict[str, Any]],
) -> Case:
    if village.level != RegionLevel.VILLAGE:
        raise CaseRefused(_("Cases are started in a village."), code=CaseErrorCode.NOT_A_VILLAGE)
    catalog = catalog_in_force(village)
    item = None
    if catalog is not None:
        item = (
            PowerItem.objects.filter(catalog=catalog, code=item_code)
            .select_related("flow", "catalog")
            .prefetch_related("parameters")
            .first()
        )
    if item is None:
        raise CaseRefused(
            _(
                "“%(code)s” is not in the power catalog in force for %(village)s. No power outside the "
                "catalog (清单之外无权力): this case cannot be started."
            )
            % {"code": item_code, "village": village.name},
            code=CaseErrorCode.ITEM_NOT_IN_CATALOG,
        )
    flow = getattr(item, "flow", None)
    if flow is None:
        raise CaseRefused(_("This item has no flow to follow."), code=CaseErrorCode.NO_FLOW)
    title = (title or "").strip() or item.name
    if len(title) > 200:
        raise CaseRefused(
            _("The title is too long."),
            code=CaseErrorCode.INPUT_INVALID,
            fields={"title": [_("At most 200 characters.")]},
        )
    types = engine.declared_types(item.variables)
    values = engine.coerce_inputs(variables, types, forbidden=set())
    params = {k: str(p.value) for k, p in effective_parameters(village, item).items()}
    clean_parties = _clean_parties(parties, village)

    steps = {s.key: s for s in flow.steps.all()}
    start = steps.get(flow.start_key)
    if start is None:
        raise CaseRefused(_("This item has no flow to follow."), code=CaseErrorCode.NO_FLOW)
    now = timezone.now()
    with transaction.atomic():
        case = Case.objects.create(
            tracking_no=new_tracking_no(),
            village=village,
            item=item,
            flow=flow,
            title=title,
            variables=values,
            parameters=params,
            amount=_amount(values),
            started_by=actor,
            started_at=now,
        )
        for party in clean_parties:
            CaseParty.objects.create(case=case, **party)
        instance = _enter(case, start, sequence=1, now=now)
        ledger_append(
            kind="case.started",
            actor=actor,
            subject=ledger_subject(case),
            region=village,
            payload={
                "tracking_no": case.tracking_no,
                "item": item.code,
                "catalog": item.catalog.code,
                "edition": item.catalog.version,
                "catalog_hash": item.catalog.content_hash,
                "flow_version": flow.version,
                "flow_hash": flow.content_hash,
                "variables": values,
                "parameters": params,
                "parties": [
                    {"role": p["role"], "person": p["person"].pk if p["person"] else None}
                    for p in clean_parties
                ],
                "step": start.key,
            },
            # Titles often carry the applicant's name: both enter the leaf only as commitments.
            pii={"title": title} | {f"party{i}.name": p["name"] for i, p in enumerate(clean_parties)},
        )
        _after_enter(case, instance, actor=actor, now=now)
    return case


def _amount(values: dict[str, Any]) -> Decimal | None:
    for name in AMOUNT_VARIABLES:
        if isinstance(values.get(name), int | float) and not isinstance(values.get(name), bool):
            return Decimal(str(values[name])).quantize(Decimal("0.01"))
    return None


def _clean_parties(parties: list[dict[str, Any]], village: Region) -> list[dict[str, Any]]:
    clean: list[dict[str, Any]] = []
    problems: list[str] = []
    for i, party in enumerate(parties, start=1):
        role = party.get("role")
        person = party.get("person")
        id_number = str(party.get("id_number") or "").strip()
        if person is None and id_number:
            if not id_number_valid(id_number):
                problems.append(_("Party %(n)d: the ID number is not valid.") % {"n": i})
                continue
            person = find_by_id_number(id_number)  # linked when registered; else kept by name only
        name = str(party.get("name") or (person.name if person is not None else "")).strip()
        if role not in PartyRole.values:
            problems.append(_("Party %(n)d: unknown role.") % {"n": i})
            continue
        if not name or len(name) > 200:
            problems.append(_("Party %(n)d: a name is required.") % {"n": i})
            continue
        clean.append(
            {
                "role": role,
                "person": person,
                "name": name,
                "credit_code": str(party.get("credit_code") or "").strip()[:18],
            }
        )
    if problems:
        raise CaseRefused(
            _("Some parties are not valid."), code=CaseErrorCode.INPUT_INVALID, fields={"parties": problems}
        )
    return clean


def _enter(case: Case, step: Step, *, sequence: int, now: Any) -> StepInstance:
    """Create the instance for entering ``step`` (an end step is entered already completed)."""
    days = engine.step_days(step.deadline_days, step.deadline_param, case.parameters)
    notice_days = engine.step_days(step.notice_days, step.notice_param, case.parameters)
    is_end = step.kind == StepKind.END
    instance = StepInstance.objects.create(
        case=case,
        step=step,
        sequence=sequence,
        status=StepStatus.COMPLETED if is_end else StepStatus.ACTIVE,
        entered_at=now,
        completed_at=now if is_end else None,
        due_at=engine.end_of_working_day(now, days) if days is not None and not is_end else None,
        not_before=(
            engine.end_of_working_day(now, notice_days)
            if step.kind == StepKind.PUBLIC_NOTICE and notice_days is not None
            else None
        ),
    )
    if is_end:
        Case.objects.filter(pk=case.pk).update(
            status=CaseStatus.COMPLETED, closed_at=now, end_step_key=step.key, current=None
        )
        case.status, case.closed_at, case.end_step_key, case.current = (
            CaseStatus.COMPLETED,
            now,
            step.key,
            None,
        )
    else:
        Case.objects.filter(pk=case.pk).update(current=instance)
        case.current = instance
    return instance


def _after_enter(case: Case, instance: StepInstance, *, actor: User | None, now: Any) -> None:
    step = instance.step
    if step.kind == StepKind.PUBLIC_NOTICE and instance.not_before is not None:
        notice = Notice.objects.create(
            case=case,
            step_instance=instance,
            village=case.village,
            code=f"N{timezone.localdate():%y%m%d}{_random_code(6)}",
            # Notices are public: ID numbers, phones and bank cards are masked before posting (names
            # stay, since benefit notices exist so that villagers can object about named people).
            title=mask_pii(f"{case.title} · {step.name}")[:300],
            body=mask_pii(step.description),
            opens_at=now,
            closes_at=instance.not_before,
            working_days=engine.step_days(step.notice_days, step.notice_param, case.parameters) or 0,
        )
        ledger_append(
            kind="notice.opened",
            actor=actor,
            subject=ledger_subject(notice),
            region=case.village,
            payload={
                "case": case.tracking_no,
                "step": step.key,
                "code": notice.code,
                "opens_at": notice.opens_at,
                "closes_at": notice.closes_at,
                "working_days": notice.working_days,
            },
        )
    if step.kind == StepKind.END:
        ledger_append(
            kind="case.completed",
            actor=actor,
            subject=ledger_subject(case),
            region=case.village,
            payload={"tracking_no": case.tracking_no, "end_step": step.key, "variables": case.variables},
        )


# --- completing a step -----------------------------------------------------------------------------------


def _active_instance(case: Case, sequence: int | None) -> StepInstance:
    """The case's active step instance. Uses the one loaded with the case when there is one (the
    write path re-checks it with a conditional update, so a stale object can only cause a conflict)."""
    instance = None
    if case.current_id is not None and Case.current.is_cached(case):
        loaded = case.current
        if loaded is not None and loaded.status == StepStatus.ACTIVE:
            instance = loaded
    if instance is None:
        instance = (
            StepInstance.objects.filter(case=case, status=StepStatus.ACTIVE).select_related("step").first()
        )
    if case.status != CaseStatus.ACTIVE or instance is None:
        raise StepConflict(
            _("This case is closed; nothing can be done on it."), code=CaseErrorCode.CASE_CLOSED
        )
    if sequence is not None and instance.sequence != sequence:
        raise StepConflict()
    return instance


def _require_step_role(actor: User, instance: StepInstance, village: Region) -> StepActor:
    who = step_actor(actor, instance.step.role, village)
    if who is None:
        raise StepRoleRequired(
            _("This step is for the %(role)s; you do not hold that role for %(village)s.")
            % {
                "role": Role(instance.step.role).label
                if instance.step.role in Role.values
                else instance.step.role,
                "village": village.name,
            },
        )
    return who


def step_complete(
    *,
    actor: User,
    case: Case,
    sequence: int | None = None,
    inputs: dict[str, Any] | None = None,
    note: str = "",
    vote: engine.Tally | None = None,
    held_on: Any = None,
    meeting_ref: str = "",
) -> StepInstance:
    """Complete the case's active step and move along the flow.

    ``sequence`` is the instance number the user saw; if the case moved on meanwhile the request is
    refused as a conflict. Two users completing the same step at once: exactly one succeeds.
    """
    instance = _active_instance(case, sequence)
    context = {"case": case, "step_instance": instance, "detail": {"step": instance.step.key}}
    try:
        who = _require_step_role(actor, instance, case.village)
    except StepRoleRequired as exc:
        record_refusal(kind=RefusalKind.OUT_OF_ROLE, error=exc, actor=actor, village=case.village, **context)
        raise
    with _recording(RefusalKind.STEP, actor=actor, village=case.village, **context):
        return _step_complete(
            actor=actor,
            case=case,
            instance=instance,
            who=who,
            inputs=inputs or {},
            note=(note or "").strip(),
            vote=vote,
            held_on=held_on,
            meeting_ref=meeting_ref,
        )


_STEP_META: dict[tuple[int, int, str], dict[str, Any]] = {}
_STEP_META_MAX = 4096


def _step_meta(case: Case, step: Step) -> dict[str, Any]:
    """Outgoing transitions, declared types and engine-owned variables of a step of a published flow.

    Published flows never change (their content hash is part of the key), so this is computed once per
    process and step instead of on every completion.
    """
    key = (step.pk, case.flow_id, case.flow.content_hash)
    meta = _STEP_META.get(key)
    if meta is None:
        outgoing = list(step.outgoing.select_related("target").order_by("priority", "position"))
        types = engine.declared_types(case.item.variables)
        owned = engine.vote_owned_variables(step, outgoing, types)
        notice_owned = engine.notice_owned_variables(step, outgoing, types)
        param_kinds = {p.key: p.kind for p in case.item.parameters.all()}
        meta = {
            "outgoing": outgoing,
            "types": types,
            "owned": owned,
            "notice_owned": notice_owned,
            "inputs": engine.routing_inputs(outgoing, types, owned | notice_owned),
            "param_kinds": param_kinds,
        }
        if len(_STEP_META) >= _STEP_META_MAX:
            _STEP_META.clear()
        if case.flow.content_hash:  # only frozen (published) flows are cached
            _STEP_META[key] = meta
    return meta


def step_requirements(case: Case, instance: StepInstance) -> dict[str, Any]:
    """What completing ``instance`` needs: documents, inputs, vote, notice end, open objections."""
    step = instance.step
    meta = _step_meta(case, step)
    uploaded = set(instance.documents.values_list("name", flat=True)) if step.documents else set()
    return {
        "documents": [{"name": d, "uploaded": d in uploaded} for d in step.documents],
        "missing_documents": [d for d in step.documents if d not in uploaded],
        "inputs": meta["inputs"],
        "vote_owned": sorted(meta["owned"]),
        "notice_owned": sorted(meta["notice_owned"]),
        "needs_vote": step.kind == StepKind.VOTE,
        "not_before": instance.not_before,
        "open_objections": Objection.objects.filter(case=case, status=ObjectionStatus.OPEN).count(),
        "outgoing": meta["outgoing"],
        "types": meta["types"],
        "param_kinds": meta["param_kinds"],
    }


def _step_complete(
    *,
    actor: User,
    case: Case,
    instance: StepInstance,
    who: Any,
    inputs: dict[str, Any],
    note: str,
    vote: engine.Tally | None,
    held_on: Any,
    meeting_ref: str,
) -> StepInstance:
    """Validate and route outside the write transaction (reads only), then write inside it.

    The write transaction starts with two conditional updates — the step is still active, the case's
    revision is the one validated (objections bump it) — so anything that changed in between turns
    into a conflict instead of a wrong completion, and the transaction that holds the database's
    write lock (SQLite) or the ledger lock (PostgreSQL) stays short.
    """
    step = instance.step
    now = timezone.now()
    req = step_requirements(case, instance)
    if req["open_objections"]:
        raise CaseRefused(
            _("An objection to this case is still open; it must be answered before the case can move on."),
            code=CaseErrorCode.OBJECTION_OPEN,
        )
    if instance.not_before is not None and now < instance.not_before:
        raise CaseRefused(
            _("The notice period runs until %(until)s; this step cannot be completed before it ends.")
            % {"until": timezone.localtime(instance.not_before).strftime("%Y-%m-%d %H:%M")},
            code=CaseErrorCode.NOTICE_RUNNING,
        )
    if req["missing_documents"]:
        raise CaseRefused(
            _("Upload the required documents first: %(names)s.")
            % {"names": "、".join(req["missing_documents"])},
            code=CaseErrorCode.DOCUMENTS_MISSING,
            fields={"documents": list(req["missing_documents"])},
        )
    if len(note) > 2000:
        raise CaseRefused(
            _("The note is too long."),
            code=CaseErrorCode.INPUT_INVALID,
            fields={"note": [_("At most 2000 characters.")]},
        )
    types = req["types"]
    owned = set(req["vote_owned"])
    notice_owned = set(req["notice_owned"])
    values = engine.coerce_inputs(inputs, types, forbidden=owned | notice_owned)
    if notice_owned:
        upheld = Objection.objects.filter(
            notice__step_instance=instance, status=ObjectionStatus.UPHELD
        ).exists()
        for name in notice_owned:
            values[name] = upheld

    outcome = None
    latest_vote = None
    if step.kind == StepKind.VOTE:
        if vote is not None:
            hooks.check_vote(case=case, instance=instance, tally=vote, meeting_ref=meeting_ref)
            outcome = _vote_check(step, vote)
            passed = outcome.passed
        else:
            latest_vote = instance.votes.order_by("-recorded_at", "-id").first()
            if latest_vote is None:
                raise CaseRefused(
                    _("Record the vote tally of the meeting first."),
                    code=CaseErrorCode.VOTE_REQUIRED,
                    fields={"vote": [_("Required for a vote step.")]},
                )
            hooks.check_vote(
                case=case,
                instance=instance,
                tally=_tally_of(latest_vote),
                meeting_ref=latest_vote.meeting_ref,
            )
            passed = latest_vote.passed
        if not passed and not owned:
            raise CaseRefused(
                _(
                    "The vote did not pass, and this flow has no way forward for a failed vote. Hold the "
                    "vote again or terminate the case with a reason."
                ),
                code=CaseErrorCode.VOTE_FAILED_NO_PATH,
            )
        for name in owned:
            values[name] = passed

    variables = {**case.variables, **values}
    route = engine.choose_route(
        req["outgoing"], variables, engine.guard_params(case.parameters, req["param_kinds"])
    )
    document_hashes = sorted(instance.documents.values_list("sha256", flat=True)) if step.documents else []

    with transaction.atomic():
        # The conditional updates are the concurrency gate: only one completer finds the step active
        # and the case at the revision it validated.
        won = StepInstance.objects.filter(pk=instance.pk, status=StepStatus.ACTIVE).update(
            status=StepStatus.COMPLETED,
            completed_at=now,
            completed_by=actor,
            completed_as=who.role,
            on_behalf=who.on_behalf,
            note=note,
            inputs=values,
            routing=route.evaluations,
            next_step_key=route.target.key,
        )
        if not won:
            raise StepConflict()
        amount = _amount(variables) or case.amount
        updated = Case.objects.filter(pk=case.pk, revision=case.revision).update(
            variables=variables, amount=amount, revision=F("revision") + 1
        )
        if not updated:
            raise StepConflict()
        vote_record_obj = latest_vote
        if vote is not None and outcome is not None:
            vote_record_obj = _vote_store(
                actor=actor, case=case, instance=instance, tally=vote, outcome=outcome, held_on=held_on,
                meeting_ref=meeting_ref, now=now,
            )  # fmt: skip
        case.variables, case.amount, case.revision = variables, amount, case.revision + 1
        nxt = _enter(case, route.target, sequence=instance.sequence + 1, now=now)
        ledger_append(
            kind="step.completed",
            actor=actor,
            subject=ledger_subject(case),
            region=case.village,
            payload={
                "tracking_no": case.tracking_no,
                "sequence": instance.sequence,
                "step": step.key,
                "as_role": who.role,
                "on_behalf": who.on_behalf,
                "inputs": values,
                "routing": route.evaluations,
                "next": route.target.key,
                "documents": document_hashes,
                "vote": vote_record_obj.pk if vote_record_obj is not None else None,
                "due_at": instance.due_at,
                "late": bool(instance.due_at and now >= instance.due_at),
                "note": note,
            },
        )
        _after_enter(case, nxt, actor=actor, now=now)
    instance.status, instance.completed_at, instance.completed_by = StepStatus.COMPLETED, now, actor
    instance.completed_as, instance.on_behalf, instance.note = who.role, who.on_behalf, note
    instance.inputs, instance.routing, instance.next_step_key = values, route.evaluations, route.target.key
    return instance


# --- votes -----------------------------------------------------------------------------------------------


def vote_record(
    *,
    actor: User,
    case: Case,
    tally: engine.Tally,
    held_on: Any = None,
    meeting_ref: str = "",
    sequence: int | None = None,
) -> VoteRecord:
    """Record a meeting's tally on the active vote step without completing it (e.g. a failed vote)."""
    instance = _active_instance(case, sequence)
    try:
        _require_step_role(actor, instance, case.village)
    except StepRoleRequired as exc:
        record_refusal(
            kind=RefusalKind.OUT_OF_ROLE,
            error=exc,
            actor=actor,
            village=case.village,
            case=case,
            step_instance=instance,
        )
        raise
    with _recording(RefusalKind.STEP, actor=actor, village=case.village, case=case, step_instance=instance):
        hooks.check_vote(case=case, instance=instance, tally=tally, meeting_ref=meeting_ref)
    with transaction.atomic():
        return _vote_record(
            actor=actor, case=case, instance=instance, tally=tally, held_on=held_on, meeting_ref=meeting_ref
        )


def _tally_of(record: VoteRecord) -> engine.Tally:
    return engine.Tally(
        expected=record.expected,
        present=record.present,
        votes_for=record.votes_for,
        votes_against=record.votes_against,
        abstentions=record.abstentions,
    )


def _vote_check(step: Step, tally: engine.Tally) -> engine.VoteOutcome:
    if step.kind != StepKind.VOTE:
        raise CaseRefused(_("This step is not a vote."), code=CaseErrorCode.VOTE_INVALID)
    outcome = engine.vote_outcome(step, tally)
    if not outcome.quorum_met:
        raise CaseRefused(
            _(
                "The meeting is not quorate: %(present)d of %(expected)d present, and %(needed)s must attend. "
                "A vote without a quorum cannot be recorded."
            )
            % {"present": tally.present, "expected": tally.expected, "needed": outcome.quorum_needed},
            code=CaseErrorCode.QUORUM_NOT_MET,
        )
    return outcome


def _vote_store(
    *,
    actor: User,
    case: Case,
    instance: StepInstance,
    tally: engine.Tally,
    outcome: engine.VoteOutcome,
    held_on: Any,
    meeting_ref: str,
    now: Any,
) -> VoteRecord:
    step = instance.step
    record = VoteRecord.objects.create(
        case=case,
        step_instance=instance,
        body=step.vote_body,
        expected=tally.expected,
        present=tally.present,
        votes_for=tally.votes_for,
        votes_against=tally.votes_against,
        abstentions=tally.abstentions,
        quorum_met=outcome.quorum_met,
        passed=outcome.passed,
        meeting_ref=(meeting_ref or "")[:64],
        held_on=held_on or timezone.localdate(),
        recorded_by=actor,
        recorded_at=now,
    )
    ledger_append(
        kind="vote.recorded",
        actor=actor,
        subject=ledger_subject(case),
        region=case.village,
        payload={
            "tracking_no": case.tracking_no,
            "step": step.key,
            "body": step.vote_body,
            "expected": tally.expected,
            "present": tally.present,
            "for": tally.votes_for,
            "against": tally.votes_against,
            "abstain": tally.abstentions,
            "quorum": f"{step.quorum_rule} {step.quorum}",
            "threshold": f"{step.threshold_rule} {step.threshold} of {step.threshold_base}",
            "passed": outcome.passed,
            "meeting": record.meeting_ref,
        },
    )
    return record


def _vote_record(
    *, actor: User, case: Case, instance: StepInstance, tally: engine.Tally, held_on: Any, meeting_ref: str
) -> VoteRecord:
    outcome = _vote_check(instance.step, tally)
    return _vote_store(
        actor=actor, case=case, instance=instance, tally=tally, outcome=outcome, held_on=held_on,
        meeting_ref=meeting_ref, now=timezone.now(),
    )  # fmt: skip


# --- documents -------------------------------------------------------------------------------------------


def document_upload(
    *,
    actor: User,
    case: Case,
    name: str,
    data: bytes,
    filename: str = "",
    sequence: int | None = None,
) -> CaseDocument:
    """Attach a document to the active step. Only someone who may complete the step, or a village
    cadre of the case's village, may upload; ``name`` must be one the step requires."""
    instance = _active_instance(case, sequence)
    if step_actor(actor, instance.step.role, case.village) is None and not has_perm(
        actor, Perm.CASE_OPERATE, case.village
    ):
        raise StepRoleRequired()
    name = (name or "").strip()
    if name not in instance.step.documents:
        raise CaseRefused(
            _("“%(name)s” is not a document this step asks for.") % {"name": name[:60]},
            code=CaseErrorCode.DOCUMENT_NOT_REQUIRED,
            fields={"name": [_("Choose one of the required documents.")]},
        )
    clean = docstore.clean(data)
    written = docstore.store(clean)
    try:
        with transaction.atomic():
            document = CaseDocument.objects.create(
                case=case,
                step_instance=instance,
                name=name,
                original_name=(filename or "")[-255:] or name,
                sha256=clean.sha256,
                size=clean.size,
                content_type=clean.content_type,
                uploaded_by=actor,
                uploaded_at=timezone.now(),
            )
            ledger_append(
                kind="document.uploaded",
                actor=actor,
                subject=ledger_subject(case),
                region=case.village,
                payload={
                    "tracking_no": case.tracking_no,
                    "step": instance.step.key,
                    "sequence": instance.sequence,
                    "name": name,
                    "sha256": clean.sha256,
                    "size": clean.size,
                    "type": clean.content_type,
                },
            )
    except BaseException:
        if written:
            docstore.discard(clean.sha256)
        raise
    return document


# --- objections ------------------------------------------------------------------------------------------


def objection_lodge(
    *, notice: Notice, text: str, anonymous: bool = True, name: str = "", phone: str = ""
) -> Objection:
    """A villager objects during the notice period (no account needed). Returns the objection with
    its receipt code, the only way to follow it up."""
    from sunlit.core.masking import mask_name, mask_phone
    from sunlit.core.pii_store import encrypt

    now = timezone.now()
    text = (text or "").strip()
    fields: dict[str, list[str]] = {}
    if not text:
        fields["text"] = [_("Say what you object to.")]
    elif len(text) > 2000:
        fields["text"] = [_("At most 2000 characters.")]
    name, phone = (name or "").strip(), "".join(ch for ch in (phone or "") if ch.isdigit())
    if not anonymous:
        if not name or len(name) > 50:
            fields["name"] = [_("Give your name, or object anonymously.")]
        if len(phone) != 11 or not phone.startswith("1"):
            fields["phone"] = [_("Give an 11-digit mobile number, or object anonymously.")]
    if fields:
        raise CaseRefused(
            _("The objection is not complete."), code=CaseErrorCode.OBJECTION_INVALID, fields=fields
        )
    if now < notice.opens_at or now >= notice.closes_at:
        raise CaseRefused(
            _("The notice period is over; objections can no longer be lodged here."),
            code=CaseErrorCode.NOTICE_CLOSED,
        )
    with transaction.atomic():
        case = Case.objects.select_related("village").get(pk=notice.case_id)
        if case.current_id != notice.step_instance_id:
            raise CaseRefused(
                _("The notice period is over; objections can no longer be lodged here."),
                code=CaseErrorCode.NOTICE_CLOSED,
            )
        # Bump the revision so a completion validated before this objection existed fails its gate.
        Case.objects.filter(pk=case.pk).update(revision=F("revision") + 1)
        objection = Objection.objects.create(
            notice=notice,
            case=case,
            receipt_code=f"Y{_random_code(11)}",
            anonymous=anonymous,
            name_token="" if anonymous else encrypt(name),
            phone_token="" if anonymous else encrypt(phone),
            contact_masked="" if anonymous else f"{mask_name(name)} {mask_phone(phone)}",
            text=text,
            lodged_at=now,
        )
        ledger_append(
            kind="objection.lodged",
            actor=None,
            subject=ledger_subject(case),
            region=case.village,
            payload={
                "tracking_no": case.tracking_no,
                "notice": notice.code,
                "objection": objection.pk,
                "anonymous": anonymous,
            },
            pii={"text": text} | ({} if anonymous else {"name": name, "phone": phone}),
        )
    return objection


def objection_resolve(*, actor: User, objection: Objection, upheld: bool, answer: str) -> Objection:
    """Answer an objection: upheld (异议成立) or dismissed, with the reasons given to the villager."""
    case = objection.case
    instance = objection.notice.step_instance
    allowed = has_perm(actor, Perm.OBJECTION_HANDLE, case.village) or (
        step_actor(actor, instance.step.role, case.village) is not None
    )
    if not allowed:
        raise StepRoleRequired(_("You may not answer objections for this village."))
    answer = (answer or "").strip()
    if not answer:
        raise CaseRefused(
            _("Write the answer the villager will see."),
            code=CaseErrorCode.REASON_REQUIRED,
            fields={"answer": [_("Required.")]},
        )
    now = timezone.now()
    with transaction.atomic():
        done = Objection.objects.filter(pk=objection.pk, status=ObjectionStatus.OPEN).update(
            status=ObjectionStatus.UPHELD if upheld else ObjectionStatus.DISMISSED,
            answer=answer[:4000],
            answered_by=actor,
            answered_at=now,
        )
        if not done:
            raise CaseRefused(
                _("This objection has already been answered."), code=CaseErrorCode.OBJECTION_ANSWERED
            )
        ledger_append(
            kind="objection.resolved",
            actor=actor,
            subject=ledger_subject(case),
            region=case.village,
            payload={
                "tracking_no": case.tracking_no,
                "objection": objection.pk,
                "upheld": upheld,
                "answer": answer,
            },
        )
    objection.refresh_from_db()
    return objection


# --- termination -----------------------------------------------------------------------------------------


def case_terminate(*, actor: User, case: Case, reason: str) -> Case:
    if not has_perm(actor, Perm.CASE_TERMINATE, case.village):
        raise StepRoleRequired(_("You may not terminate cases in this village."))
    reason = (reason or "").strip()
    if not reason:
        raise CaseRefused(
            _("Give the reason for terminating the case."),
            code=CaseErrorCode.REASON_REQUIRED,
            fields={"reason": [_("Required.")]},
        )
    now = timezone.now()
    with transaction.atomic():
        active = StepInstance.objects.filter(case=case, status=StepStatus.ACTIVE)
        step_key = active.values_list("step__key", flat=True).first()
        active.update(status=StepStatus.CANCELLED, completed_at=now, completed_by=actor)
        done = Case.objects.filter(pk=case.pk, status=CaseStatus.ACTIVE).update(
            status=CaseStatus.TERMINATED,
            closed_at=now,
            termination_reason=reason[:500],
            current=None,
            revision=F("revision") + 1,
        )
        if not done:
            raise StepConflict(
                _("This case is closed; nothing can be done on it."), code=CaseErrorCode.CASE_CLOSED
            )
        ledger_append(
            kind="case.terminated",
            actor=actor,
            subject=ledger_subject(case),
            region=case.village,
            payload={"tracking_no": case.tracking_no, "at_step": step_key, "reason": reason},
        )
    case.refresh_from_db()
    return case


# --- seal use --------------------------------------------------------------------------------------------


def seal_use_record(
    *,
    actor: User,
    village: Region,
    seal: str,
    purpose: str,
    document_sha256: str,
    approver: User,
    case: Case | None = None,
    exception_reason: str = "",
) -> SealUse:
    """Register one stamping. With no case behind it, only as an explicit exception with a reason,
    which is recorded as such in the ledger (supervision watches these)."""
    if not has_perm(actor, Perm.SEAL_RECORD, village):
        raise NotFound()
    with _recording(
        RefusalKind.SEAL, actor=actor, village=village, case=case, detail={"seal": str(seal)[:20]}
    ):
        fields: dict[str, list[str]] = {}
        if seal not in SealKind.values:
            fields["seal"] = [_("Choose a seal.")]
        purpose = (purpose or "").strip()
        if not purpose or len(purpose) > 300:
            fields["purpose"] = [_("Say what the stamped document is for (at most 300 characters).")]
        digest = (document_sha256 or "").strip().lower()
        if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
            fields["document_sha256"] = [
                _("Give the SHA-256 of the stamped document (64 hexadecimal characters).")
            ]
        if fields:
            raise CaseRefused(
                _("The seal use is not complete."), code=CaseErrorCode.INPUT_INVALID, fields=fields
            )
        if not has_perm(approver, Perm.SEAL_APPROVE, village):
            raise CaseRefused(
                _("The approver must be the village party secretary or committee chair."),
                code=CaseErrorCode.SEAL_APPROVER,
            )
        reason = (exception_reason or "").strip()
        if case is None and not reason:
            raise CaseRefused(
                _(
                    "Every seal use belongs to a case. Without one it can only be registered as an exception "
                    "with the reason."
                ),
                code=CaseErrorCode.SEAL_EXCEPTION_REASON,
            )
        if case is not None and case.village_id != village.pk:
            raise CaseRefused(_("The case belongs to another village."), code=CaseErrorCode.SEAL_CASE)
        now = timezone.now()
        with transaction.atomic():
            use = SealUse.objects.create(
                village=village,
                seal=seal,
                purpose=purpose,
                document_sha256=digest,
                case=case,
                step_instance=case.current if case is not None else None,
                approver=approver,
                recorded_by=actor,
                used_at=now,
                is_exception=case is None,
                exception_reason=reason[:500] if case is None else "",
            )
            ledger_append(
                kind="seal.exception" if case is None else "seal.used",
                actor=actor,
                subject=ledger_subject(use),
                region=village,
                payload={
                    "seal": seal,
                    "purpose": purpose,
                    "document_sha256": digest,
                    "case": case.tracking_no if case is not None else None,
                    "approver": approver.pk,
                    "exception_reason": use.exception_reason,
                },
            )
        return use
