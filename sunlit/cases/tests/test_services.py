"""The case engine end to end: start, steps, documents, votes, notices, objections, seals, refusals."""

import datetime
import io
from zoneinfo import ZoneInfo

import pytest
import time_machine

from sunlit.cases import engine, services
from sunlit.cases.errors import CaseRefused, StepConflict, StepRoleRequired
from sunlit.cases.models import Case, CaseDocument, Notice, RefusedAttempt, SealUse, StepInstance
from sunlit.cases.tests.conftest import pdf_bytes
from sunlit.cases.vocab import CaseStatus, ObjectionStatus, StepStatus
from sunlit.core.errors import NotFound
from sunlit.core.models import AuditEvent

pytestmark = pytest.mark.django_db
CST = ZoneInfo("Asia/Shanghai")
T0 = datetime.datetime(2026, 11, 24, 9, 0, tzinfo=CST)  # a Tuesday


def kinds_since(seq):
    return list(AuditEvent.objects.filter(seq__gte=seq).order_by("seq").values_list("kind", flat=True))


def ledger_size():
    return AuditEvent.objects.count()


def start_dibao(tree, people):
    return services.case_start(
        actor=people.committee,
        village=tree.village,
        item_code="VS-01",
        title="张三 最低生活保障申请",
        parties=[{"role": "applicant", "name": "张三"}],
    )


def advance(case, actor, upload_all, **kwargs):
    upload_all(case, actor)
    case.refresh_from_db()
    return services.step_complete(actor=actor, case=case, sequence=case.current.sequence, **kwargs)


def current_key(case):
    case.refresh_from_db()
    return case.current.step.key if case.current else None


# --- start ---------------------------------------------------------------------------------------------


def test_start_pins_flow_and_parameters_and_writes_the_ledger(tree, people, standard):
    before = ledger_size()
    case = start_dibao(tree, people)
    assert case.status == CaseStatus.ACTIVE
    assert case.flow.item.code == "VS-01"
    assert case.parameters["notice_days"] == "7.00"
    assert current_key(case) == "apply"
    assert len(case.tracking_no) == 18
    assert case.tracking_no[8] == "-"
    assert kinds_since(before) == ["case.started"]
    event = AuditEvent.objects.get(seq=before)
    assert "张三" not in event.leaf.decode()  # the party's name enters the leaf only as a commitment


def test_start_outside_the_catalog_is_refused_and_recorded(tree, people, standard):
    before = ledger_size()
    with pytest.raises(CaseRefused) as info:
        services.case_start(actor=people.committee, village=tree.village, item_code="XX-99", title="t")
    assert info.value.code == "item_not_in_catalog"
    assert "清单之外无权力" in str(info.value.message)
    assert not Case.objects.exists()
    attempt = RefusedAttempt.objects.get()
    assert (attempt.kind, attempt.code, attempt.actor) == ("start", "item_not_in_catalog", people.committee)
    assert kinds_since(before) == ["refused.start"]


def test_start_where_no_catalog_is_adopted_is_refused(tree, people, standard, make_user):
    chair = make_user("village_chair", tree.far_county_village)
    with pytest.raises(CaseRefused) as info:
        services.case_start(actor=chair, village=tree.far_county_village, item_code="VS-01", title="t")
    assert info.value.code == "item_not_in_catalog"


def test_start_out_of_scope_is_not_found_and_creates_nothing(tree, people, standard):
    with pytest.raises(NotFound):
        services.case_start(actor=people.other_chair, village=tree.village, item_code="VS-01", title="t")
    with pytest.raises(NotFound):
        services.case_start(actor=people.supervisor, village=tree.village, item_code="VS-01", title="t")
    assert not Case.objects.exists()


def test_start_refuses_bad_variables_per_field(tree, people, standard):
    with pytest.raises(CaseRefused) as info:
        services.case_start(
            actor=people.committee,
            village=tree.village,
            item_code="PA-03",
            title="修路",
            variables={"amount": "lots", "ghost": 1},
        )
    assert set(info.value.fields) == {"amount", "ghost"}
    assert not Case.objects.exists()


# --- the whole 低保 walk -------------------------------------------------------------------------------


def test_dibao_walk_from_application_through_notice_objection_and_approval(
    tree, people, standard, upload_all
):
    with time_machine.travel(T0, tick=False) as clock:
        case = start_dibao(tree, people)
        apply = advance(case, people.committee, upload_all)
        assert apply.on_behalf is True
        assert apply.completed_as == "village_committee"
        assert current_key(case) == "accept"
        assert case.current.due_at == datetime.datetime(2026, 11, 27, 0, 0, tzinfo=CST)  # 2 working days

        advance(case, people.committee, upload_all)
        advance(case, people.reviewer, upload_all)  # survey
        assert current_key(case) == "review_meeting"
        upload_all(case, people.chair)
        services.step_complete(
            actor=people.chair,
            case=case,
            vote=engine.Tally(expected=30, present=21, votes_for=14, votes_against=7, abstentions=0),
        )
        assert current_key(case) == "township_review"

        # township_result decides the branch and must be entered.
        upload_all(case, people.reviewer)
        with pytest.raises(CaseRefused) as info:
            services.step_complete(actor=people.reviewer, case=case)
        assert info.value.code == "input_missing"
        services.step_complete(actor=people.reviewer, case=case, inputs={"township_result": "pass"})
        assert current_key(case) == "notice"
        notice = Notice.objects.get(case=case)
        assert notice.working_days == 7
        assert notice.closes_at == datetime.datetime(2026, 12, 4, 0, 0, tzinfo=CST)

        # A villager objects during the notice period; the case is blocked until it is answered.
        objection = services.objection_lodge(notice=notice, text="申请人家有小汽车")
        upload_all(case, people.chair)
        clock.move_to(notice.closes_at)
        with pytest.raises(CaseRefused) as info:
            services.step_complete(actor=people.chair, case=case)
        assert info.value.code == "objection_open"
        services.objection_resolve(
            actor=people.reviewer, objection=objection, upheld=False, answer="经核实车辆已于2025年过户。"
        )
        services.step_complete(actor=people.chair, case=case)
        assert current_key(case) == "county_review"
        case.refresh_from_db()
        assert case.variables["objection_upheld"] is False

        upload_all(case, people.county_department)
        services.step_complete(actor=people.county_department, case=case, inputs={"county_result": "pass"})
        assert current_key(case) == "approved_notice"
        clock.move_to(datetime.datetime(2026, 12, 20, 9, 0, tzinfo=CST))
        advance(case, people.chair, upload_all)
        advance(case, people.county_department, upload_all)  # pay
    case.refresh_from_db()
    assert case.status == CaseStatus.COMPLETED
    assert case.end_step_key == "done"
    keys = list(case.steps.order_by("sequence").values_list("step__key", flat=True))
    assert keys == [
        "apply", "accept", "survey", "review_meeting", "township_review", "notice",
        "county_review", "approved_notice", "pay", "done",
    ]  # fmt: skip
    kinds = list(AuditEvent.objects.filter(subject=f"cases.case:{case.pk}").values_list("kind", flat=True))
    assert kinds.count("step.completed") == 9
    assert kinds[-1] == "case.completed"


def test_upheld_objection_sends_the_case_back_to_survey(tree, people, standard, upload_all):
    with time_machine.travel(T0, tick=False) as clock:
        case = _case_at_notice(tree, people, upload_all)
        notice = Notice.objects.get(case=case)
        objection = services.objection_lodge(
            notice=notice, text="隐瞒经营收入", anonymous=False, name="李四", phone="13800138000"
        )
        assert objection.contact_masked.endswith("138****8000")
        assert "13800138000" not in objection.phone_token
        services.objection_resolve(
            actor=people.reviewer, objection=objection, upheld=True, answer="异议成立，重新调查。"
        )
        clock.move_to(notice.closes_at)
        advance(case, people.chair, upload_all)
    assert current_key(case) == "survey"


def _case_at_notice(tree, people, upload_all):
    case = start_dibao(tree, people)
    advance(case, people.committee, upload_all)
    advance(case, people.committee, upload_all)
    advance(case, people.reviewer, upload_all)
    upload_all(case, people.chair)
    services.step_complete(
        actor=people.chair,
        case=case,
        vote=engine.Tally(expected=30, present=30, votes_for=30, votes_against=0, abstentions=0),
    )
    advance(case, people.reviewer, upload_all, inputs={"township_result": "pass"})
    assert current_key(case) == "notice"
    return case


def test_notice_cannot_complete_one_instant_before_its_end(tree, people, standard, upload_all):
    with time_machine.travel(T0, tick=False) as clock:
        case = _case_at_notice(tree, people, upload_all)
        notice = Notice.objects.get(case=case)
        upload_all(case, people.chair)
        clock.move_to(notice.closes_at - datetime.timedelta(microseconds=1))
        with pytest.raises(CaseRefused) as info:
            services.step_complete(actor=people.chair, case=case)
        assert info.value.code == "notice_running"
        assert RefusedAttempt.objects.filter(code="notice_running").count() == 1
        clock.move_to(notice.closes_at)
        services.step_complete(actor=people.chair, case=case)
    assert current_key(case) == "county_review"


def test_objections_only_during_the_notice_period(tree, people, standard, upload_all):
    with time_machine.travel(T0, tick=False) as clock:
        case = _case_at_notice(tree, people, upload_all)
        notice = Notice.objects.get(case=case)
        clock.move_to(notice.closes_at - datetime.timedelta(seconds=1))
        services.objection_lodge(notice=notice, text="最后一秒")
        clock.move_to(notice.closes_at)
        with pytest.raises(CaseRefused) as info:
            services.objection_lodge(notice=notice, text="太晚了")
        assert info.value.code == "notice_closed"
    assert notice.objections.count() == 1


def test_objection_input_is_checked(tree, people, standard, upload_all):
    with time_machine.travel(T0, tick=False):
        case = _case_at_notice(tree, people, upload_all)
        notice = Notice.objects.get(case=case)
        with pytest.raises(CaseRefused) as info:
            services.objection_lodge(notice=notice, text="", anonymous=False, name="", phone="123")
        assert set(info.value.fields) == {"text", "name", "phone"}


def test_objection_answered_twice_is_refused(tree, people, standard, upload_all):
    with time_machine.travel(T0, tick=False):
        case = _case_at_notice(tree, people, upload_all)
        objection = services.objection_lodge(notice=Notice.objects.get(case=case), text="x")
        services.objection_resolve(actor=people.reviewer, objection=objection, upheld=False, answer="不成立")
        with pytest.raises(CaseRefused) as info:
            services.objection_resolve(actor=people.chair, objection=objection, upheld=True, answer="成立")
        assert info.value.code == "objection_answered"
        with pytest.raises(StepRoleRequired):
            services.objection_resolve(actor=people.other_chair, objection=objection, upheld=True, answer="x")
    objection.refresh_from_db()
    assert objection.status == ObjectionStatus.DISMISSED


# --- refusals at steps ---------------------------------------------------------------------------------


def test_out_of_role_completion_is_refused_and_recorded(tree, people, standard, upload_all):
    case = start_dibao(tree, people)
    advance(case, people.committee, upload_all)  # now at accept (village committee)
    upload_all(case, people.committee)
    before = ledger_size()
    for outsider in (people.supervisor, people.reviewer):
        with pytest.raises(StepRoleRequired) as info:
            services.step_complete(actor=outsider, case=case)
        assert info.value.code == "step_role_required"
        assert info.value.status == 403
    assert current_key(case) == "accept"
    attempts = RefusedAttempt.objects.filter(kind="out_of_role")
    assert {a.actor for a in attempts} == {people.supervisor, people.reviewer}
    assert kinds_since(before) == ["refused.out_of_role", "refused.out_of_role"]


def test_role_held_in_another_village_does_not_count(tree, people, standard, upload_all):
    case = start_dibao(tree, people)
    upload_all(case, people.committee)
    with pytest.raises(StepRoleRequired):
        services.step_complete(actor=people.other_chair, case=case)
    with pytest.raises(StepRoleRequired):
        services.step_complete(actor=people.far_reviewer, case=case)


def test_missing_documents_block_completion(tree, people, standard, upload_all):
    case = start_dibao(tree, people)
    upload_all(case, people.committee, skip=("授权核对书",))
    with pytest.raises(CaseRefused) as info:
        services.step_complete(actor=people.committee, case=case)
    assert info.value.code == "documents_missing"
    assert info.value.fields["documents"] == ["授权核对书"]
    assert current_key(case) == "apply"


def test_stale_sequence_is_a_conflict(tree, people, standard, upload_all):
    case = start_dibao(tree, people)
    advance(case, people.committee, upload_all)
    with pytest.raises(StepConflict):
        services.step_complete(actor=people.committee, case=case, sequence=1)


def test_quorum_one_short_refuses_the_vote_and_changes_nothing(tree, people, standard, upload_all):
    case = start_dibao(tree, people)
    advance(case, people.committee, upload_all)
    advance(case, people.committee, upload_all)
    advance(case, people.reviewer, upload_all)
    upload_all(case, people.chair)
    with pytest.raises(CaseRefused) as info:
        services.step_complete(
            actor=people.chair,
            case=case,
            vote=engine.Tally(expected=30, present=19, votes_for=19, votes_against=0, abstentions=0),
        )
    assert info.value.code == "quorum_not_met"
    assert not case.votes.exists()
    assert current_key(case) == "review_meeting"


def test_failed_vote_without_a_failure_path_cannot_advance(tree, people, standard, upload_all):
    case = start_dibao(tree, people)
    advance(case, people.committee, upload_all)
    advance(case, people.committee, upload_all)
    advance(case, people.reviewer, upload_all)
    upload_all(case, people.chair)
    record = services.vote_record(
        actor=people.chair,
        case=case,
        tally=engine.Tally(expected=30, present=21, votes_for=13, votes_against=8, abstentions=0),
    )
    assert record.quorum_met
    assert not record.passed
    with pytest.raises(CaseRefused) as info:
        services.step_complete(actor=people.chair, case=case)
    assert info.value.code == "vote_failed_no_path"
    assert current_key(case) == "review_meeting"


def test_failed_resolution_takes_the_withdrawn_path_and_cannot_be_typed_in(
    tree, people, standard, upload_all
):
    case = services.case_start(
        actor=people.secretary, village=tree.village, item_code="PA-01", title="修建文化广场"
    )
    advance(case, people.secretary, upload_all)  # propose
    for _ in range(2):  # consult, review
        upload_all(case, people.secretary)
        services.step_complete(
            actor=people.secretary,
            case=case,
            vote=engine.Tally(expected=10, present=10, votes_for=6, votes_against=4, abstentions=0),
        )
    assert current_key(case) == "resolve"
    upload_all(case, people.chair)
    with pytest.raises(CaseRefused) as info:
        services.step_complete(
            actor=people.chair,
            case=case,
            inputs={"resolution_passed": True},
            vote=engine.Tally(expected=40, present=30, votes_for=15, votes_against=15, abstentions=0),
        )
    assert info.value.code == "input_invalid"
    services.step_complete(
        actor=people.chair,
        case=case,
        vote=engine.Tally(expected=40, present=30, votes_for=15, votes_against=15, abstentions=0),
    )
    case.refresh_from_db()
    assert case.status == CaseStatus.COMPLETED
    assert case.end_step_key == "withdrawn"
    assert case.variables["resolution_passed"] is False


def test_amount_tier_guard_picks_the_path(tree, people, standard, upload_all):
    case = services.case_start(
        actor=people.secretary,
        village=tree.village,
        item_code="PA-03",
        title="村道硬化",
        variables={"amount": 80000},
    )
    case.refresh_from_db()
    assert str(case.amount) == "80000.00"
    instance = case.current
    assert instance.step.key == case.flow.start_key


def test_terminate_needs_a_reason_and_cancels_the_active_step(tree, people, standard):
    case = start_dibao(tree, people)
    with pytest.raises(CaseRefused) as info:
        services.case_terminate(actor=people.chair, case=case, reason=" ")
    assert info.value.code == "reason_required"
    with pytest.raises(StepRoleRequired):
        services.case_terminate(actor=people.committee, case=case, reason="申请人撤回")
    services.case_terminate(actor=people.chair, case=case, reason="申请人撤回申请")
    case.refresh_from_db()
    assert case.status == CaseStatus.TERMINATED
    assert case.steps.get().status == StepStatus.CANCELLED
    with pytest.raises(StepConflict):
        services.step_complete(actor=people.committee, case=case)


# --- documents -----------------------------------------------------------------------------------------


def test_documents_are_content_addressed_and_typed_by_content(tree, people, standard):
    case = start_dibao(tree, people)
    data = pdf_bytes("same")
    first = services.document_upload(
        actor=people.committee, case=case, name="申请书", data=data, filename="a.pdf"
    )
    second = services.document_upload(
        actor=people.committee, case=case, name="授权核对书", data=data, filename="b.pdf"
    )
    assert first.sha256 == second.sha256
    assert first.content_type == "application/pdf"
    with pytest.raises(CaseRefused) as info:
        services.document_upload(
            actor=people.committee,
            case=case,
            name="申请书",
            data=b"MZ\x90\x00 not a pdf",
            filename="evil.pdf",
        )
    assert info.value.code == "document_type"
    with pytest.raises(CaseRefused) as info:
        services.document_upload(
            actor=people.committee, case=case, name="别的文件", data=data, filename="x.pdf"
        )
    assert info.value.code == "document_not_required"
    assert CaseDocument.objects.count() == 2


def test_documents_over_the_size_limit_are_refused(tree, people, standard, settings):
    settings.SUNLIT_DOCUMENT_MAX_BYTES = 1024
    case = start_dibao(tree, people)
    with pytest.raises(CaseRefused) as info:
        services.document_upload(
            actor=people.committee, case=case, name="申请书", data=b"%PDF-" + b"0" * 1100
        )
    assert info.value.code == "document_too_large"
    assert not CaseDocument.objects.exists()


def test_image_metadata_is_stripped(tree, people, standard):
    from PIL import Image

    img = Image.new("RGB", (8, 8), "red")
    exif = Image.Exif()
    exif[0x010F] = "SecretCamera"  # Make
    exif[0x8825] = {1: "N", 2: (31.0, 7.0, 0.0)}  # GPS IFD
    buffer = io.BytesIO()
    img.save(buffer, format="JPEG", exif=exif)
    assert b"SecretCamera" in buffer.getvalue()
    case = start_dibao(tree, people)
    document = services.document_upload(
        actor=people.committee, case=case, name="申请书", data=buffer.getvalue(), filename="photo.pdf"
    )
    assert document.content_type == "image/jpeg"
    from sunlit.cases.documents import open_stored

    with open_stored(document.sha256) as fh:
        stored = fh.read()
    assert b"SecretCamera" not in stored
    assert Image.open(io.BytesIO(stored)).getexif().get(0x8825) is None


def test_outsiders_cannot_upload(tree, people, standard):
    case = start_dibao(tree, people)
    with pytest.raises(StepRoleRequired):
        services.document_upload(actor=people.supervisor, case=case, name="申请书", data=pdf_bytes("x"))


# --- seal use ------------------------------------------------------------------------------------------


def test_seal_use_with_a_case(tree, people, standard):
    case = start_dibao(tree, people)
    before = ledger_size()
    use = services.seal_use_record(
        actor=people.committee,
        village=tree.village,
        seal="committee",
        purpose="低保申请受理登记表盖章",
        document_sha256="a" * 64,
        approver=people.chair,
        case=case,
    )
    assert not use.is_exception
    assert use.step_instance == case.current
    assert kinds_since(before) == ["seal.used"]


def test_seal_use_without_a_case_only_as_a_logged_exception(tree, people, standard):
    with pytest.raises(CaseRefused) as info:
        services.seal_use_record(
            actor=people.committee, village=tree.village, seal="committee", purpose="开具证明",
            document_sha256="b" * 64, approver=people.chair,
        )  # fmt: skip
    assert info.value.code == "seal_exception_reason"
    assert not SealUse.objects.exists()
    before = ledger_size()
    use = services.seal_use_record(
        actor=people.committee, village=tree.village, seal="committee", purpose="开具证明",
        document_sha256="b" * 64, approver=people.chair, exception_reason="县民政局紧急调取材料",
    )  # fmt: skip
    assert use.is_exception
    assert kinds_since(before) == ["seal.exception"]


def test_seal_approver_must_hold_the_approval_role(tree, people, standard):
    case = start_dibao(tree, people)
    with pytest.raises(CaseRefused) as info:
        services.seal_use_record(
            actor=people.committee, village=tree.village, seal="committee", purpose="x",
            document_sha256="c" * 64, approver=people.committee, case=case,
        )  # fmt: skip
    assert info.value.code == "seal_approver"
    with pytest.raises(CaseRefused) as info:
        services.seal_use_record(
            actor=people.committee, village=tree.village, seal="nonsense", purpose="",
            document_sha256="xyz", approver=people.chair, case=case,
        )  # fmt: skip
    assert set(info.value.fields) == {"seal", "purpose", "document_sha256"}


def test_active_steps_are_unique_per_case_in_the_database(tree, people, standard):
    from django.db import IntegrityError, transaction

    case = start_dibao(tree, people)
    with pytest.raises(IntegrityError), transaction.atomic():
        StepInstance.objects.create(
            case=case, step=case.current.step, sequence=2, status="active", entered_at=case.started_at
        )


def test_parties_link_to_the_registry_by_id_number(tree, people, standard):
    from sunlit.people.services import PersonData, person_create

    person = person_create(
        actor=None, data=PersonData(village=tree.village, name="赵六", id_number="411522198001011238")
    )
    case = services.case_start(
        actor=people.committee,
        village=tree.village,
        item_code="VS-01",
        title="低保申请",
        parties=[
            {"role": "applicant", "id_number": "411522198001011238"},
            {"role": "beneficiary", "name": "外村人"},
        ],
    )
    parties = list(case.parties.order_by("id"))
    assert parties[0].person == person
    assert parties[0].name == "赵六"
    assert parties[1].person is None
    with pytest.raises(CaseRefused) as info:
        services.case_start(
            actor=people.committee,
            village=tree.village,
            item_code="VS-01",
            title="x",
            parties=[{"role": "applicant", "id_number": "411522198001011239"}],
        )
    assert "parties" in info.value.fields


def test_notice_text_is_masked_before_posting(tree, people, standard, upload_all):
    with time_machine.travel(T0, tick=False):
        case = services.case_start(
            actor=people.committee,
            village=tree.village,
            item_code="VS-01",
            title="张三 411522198001011238 电话13800138000 低保申请",
        )
        for actor in (people.committee, people.committee, people.reviewer):
            upload_all(case, actor)
            services.step_complete(actor=actor, case=case)
        upload_all(case, people.chair)
        services.step_complete(
            actor=people.chair,
            case=case,
            vote=engine.Tally(expected=9, present=9, votes_for=9, votes_against=0, abstentions=0),
        )
        upload_all(case, people.reviewer)
        services.step_complete(actor=people.reviewer, case=case, inputs={"township_result": "pass"})
    notice = Notice.objects.get(case=case)
    assert "411522198001011238" not in notice.title
    assert "13800138000" not in notice.title
    assert notice.title.startswith("张三 ")
