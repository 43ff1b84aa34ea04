"""A case's vote step is satisfied only by a passed resolution of the right body for that case."""

from __future__ import annotations

import hashlib

import pytest

from sunlit.cases import engine
from sunlit.cases import services as cases
from sunlit.cases.errors import CaseRefused
from sunlit.cases.models import RefusedAttempt, VoteRecord
from sunlit.deliberation import services
from sunlit.deliberation.errors import DeliberationErrorCode

from .test_services import at, hold

pytestmark = pytest.mark.django_db


@pytest.fixture
def standard(tree):
    from sunlit.powers.services import adoption_set, catalog_load_standard

    catalog = catalog_load_standard(owner=tree.county, publish=True)
    adoption_set(actor=None, region=tree.township, catalog=catalog)
    return catalog


def upload_all(case, actor):
    case.refresh_from_db()
    for name in case.current.step.documents:
        data = (
            b"%PDF-1.4\n% "
            + hashlib.sha256(f"{case.pk}-{case.current.sequence}-{name}".encode()).hexdigest().encode()
            + b"\n%%EOF\n"
        )
        cases.document_upload(actor=actor, case=case, name=name, data=data, filename=f"{name}.pdf")


def at_consult(tree, staff):
    """A PA-01 case (四议两公开) whose active step is the two-committee vote."""
    case = cases.case_start(
        actor=staff.secretary, village=tree.village, item_code="PA-01", title="修建文化广场"
    )
    upload_all(case, staff.secretary)
    cases.step_complete(actor=staff.secretary, case=case)
    case.refresh_from_db()
    assert case.current.step.key == "consult"
    assert case.current.step.vote_body == "two_committees"
    upload_all(case, staff.secretary)
    return case


@pytest.fixture
def required(tree):
    services.settings_set(
        actor=None, county=tree.county, values={"resolution_required_bodies": ["two_committees"]}
    )


def test_typed_tally_is_refused_and_recorded(tree, staff, standard, village_bodies, required):
    case = at_consult(tree, staff)
    tally = engine.Tally(expected=6, present=6, votes_for=6, votes_against=0, abstentions=0)
    with pytest.raises(CaseRefused) as exc:
        cases.step_complete(actor=staff.secretary, case=case, vote=tally)
    assert exc.value.code == DeliberationErrorCode.RESOLUTION_REQUIRED
    with pytest.raises(CaseRefused):
        cases.vote_record(
            actor=staff.secretary, case=case, tally=tally, meeting_ref="deliberation.resolution:999"
        )
    assert not VoteRecord.objects.exists()
    assert (
        RefusedAttempt.objects.filter(case=case, code=DeliberationErrorCode.RESOLUTION_REQUIRED).count() == 2
    )


def test_without_the_county_setting_typed_tallies_still_work(tree, staff, standard, village_bodies):
    case = at_consult(tree, staff)
    cases.step_complete(
        actor=staff.secretary,
        case=case,
        vote=engine.Tally(expected=6, present=6, votes_for=6, votes_against=0, abstentions=0),
    )
    case.refresh_from_db()
    assert case.current.step.key == "review"


def test_only_a_passed_resolution_of_the_right_body_for_the_case(
    tree, staff, standard, village_bodies, required
):
    case = at_consult(tree, staff)
    motion = services.motion_open(
        actor=None, village=tree.village, title="修建文化广场", case=case, now=at(0)
    )
    # wrong body: the branch committee's proposal resolution
    proposal = hold(village_bodies.branch_committee, present=3, votes_for=3, motion=motion, start=3)
    assert proposal.passed
    assert proposal.case == case
    with pytest.raises(CaseRefused) as exc:
        services.resolution_apply_to_case(actor=staff.secretary, resolution=proposal)
    assert exc.value.code == DeliberationErrorCode.WRONG_BODY
    # failed resolution of the right body
    failed = hold(village_bodies.two_committees, present=6, votes_for=3, motion=motion, start=6)
    assert not failed.passed
    with pytest.raises(CaseRefused) as exc:
        services.resolution_apply_to_case(actor=staff.secretary, resolution=failed)
    assert exc.value.code == DeliberationErrorCode.RESOLUTION_MISMATCH
    # a passed resolution with a typed tally that differs from it
    passed = hold(village_bodies.two_committees, present=5, votes_for=4, motion=motion, start=9)
    assert passed.passed
    with pytest.raises(CaseRefused) as exc:
        cases.step_complete(
            actor=staff.secretary,
            case=case,
            vote=engine.Tally(expected=6, present=6, votes_for=6, votes_against=0, abstentions=0),
            meeting_ref=f"deliberation.resolution:{passed.pk}",
        )
    assert exc.value.code == DeliberationErrorCode.RESOLUTION_MISMATCH
    assert not VoteRecord.objects.exists()
    # the passed resolution itself: the tally comes from it
    record = services.resolution_apply_to_case(actor=staff.secretary, resolution=passed)
    assert (record.expected, record.present, record.votes_for, record.passed) == (6, 5, 4, True)
    cases.step_complete(actor=staff.secretary, case=case)
    case.refresh_from_db()
    assert case.current.step.key == "review"


def test_resolution_of_another_case_is_refused(tree, staff, standard, village_bodies, required):
    case = at_consult(tree, staff)
    other = cases.case_start(actor=staff.secretary, village=tree.village, item_code="PA-01", title="另一事项")
    motion = services.motion_open(actor=None, village=tree.village, title="另一事项", case=other, now=at(0))
    hold(village_bodies.branch_committee, present=3, votes_for=3, motion=motion, start=3)
    theirs = hold(village_bodies.two_committees, present=6, votes_for=6, motion=motion, start=6)
    tally = engine.Tally(expected=6, present=6, votes_for=6, votes_against=0, abstentions=0)
    with pytest.raises(CaseRefused) as exc:
        cases.vote_record(
            actor=staff.secretary, case=case, tally=tally, meeting_ref=f"deliberation.resolution:{theirs.pk}"
        )
    assert exc.value.code == DeliberationErrorCode.RESOLUTION_MISMATCH
    assert not VoteRecord.objects.filter(case=case).exists()


def test_a_tally_typed_before_the_setting_cannot_complete_the_step_after_it(
    tree, staff, standard, village_bodies
):
    case = at_consult(tree, staff)
    cases.vote_record(
        actor=staff.secretary,
        case=case,
        tally=engine.Tally(expected=6, present=6, votes_for=6, votes_against=0, abstentions=0),
    )
    services.settings_set(
        actor=None, county=tree.county, values={"resolution_required_bodies": ["two_committees"]}
    )
    with pytest.raises(CaseRefused) as exc:
        cases.step_complete(actor=staff.secretary, case=case)
    assert exc.value.code == DeliberationErrorCode.RESOLUTION_REQUIRED
