"""The engine's pure rules at their boundaries: vote arithmetic, deadlines, typed inputs, routing."""

import datetime
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest

from sunlit.cases import engine
from sunlit.cases.errors import CaseRefused

CST = ZoneInfo("Asia/Shanghai")


def vote_step(quorum="2/3", quorum_rule="gte", threshold="2/3", threshold_rule="gte", base="present"):
    return SimpleNamespace(
        kind="vote",
        quorum=quorum,
        quorum_rule=quorum_rule,
        threshold=threshold,
        threshold_rule=threshold_rule,
        threshold_base=base,
    )


def tally(expected, present, yes, no=0, abstain=0):
    return engine.Tally(
        expected=expected, present=present, votes_for=yes, votes_against=no, abstentions=abstain
    )


@pytest.mark.parametrize(
    ("present", "met"),
    [(20, True), (19, False), (30, True), (0, False)],
)
def test_quorum_two_thirds_exactly_and_one_short(present, met):
    outcome = engine.vote_outcome(vote_step(), tally(30, present, 0))
    assert outcome.quorum_met is met


@pytest.mark.parametrize(("yes", "passed"), [(14, True), (13, False), (21, True)])
def test_threshold_two_thirds_of_present_exactly_and_one_short(yes, passed):
    outcome = engine.vote_outcome(vote_step(), tally(30, 21, yes, 21 - yes))
    assert outcome.passed is passed


@pytest.mark.parametrize(("yes", "passed"), [(5, False), (6, True)])
def test_more_than_half_of_those_entitled(yes, passed):
    step = vote_step(threshold="1/2", threshold_rule="gt", base="expected")
    assert engine.vote_outcome(step, tally(10, 10, yes, 10 - yes)).passed is passed


def test_more_than_half_of_entitled_counts_absentees_against():
    step = vote_step(threshold="1/2", threshold_rule="gt", base="expected")
    # 7 of 10 present, all 5 "for" votes are a majority of those present but not of those entitled.
    assert engine.vote_outcome(step, tally(10, 7, 5, 2)).passed is False


def test_no_pass_without_quorum_whatever_the_votes():
    assert engine.vote_outcome(vote_step(), tally(30, 19, 19)).passed is False


@pytest.mark.parametrize(
    "bad",
    [
        tally(10, 11, 5),  # more present than entitled
        tally(10, 8, 5, 3, 1),  # more votes than present
        tally(0, 0, 0),  # nobody entitled
        engine.Tally(expected=10, present=-1, votes_for=0, votes_against=0, abstentions=0),
        engine.Tally(expected=10, present=True, votes_for=0, votes_against=0, abstentions=0),
    ],
)
def test_impossible_tallies_are_refused(bad):
    with pytest.raises(CaseRefused) as info:
        engine.vote_outcome(vote_step(), bad)
    assert info.value.code == "vote_invalid"


@pytest.mark.django_db
def test_deadline_ends_at_midnight_after_the_nth_working_day():
    entered = datetime.datetime(2026, 11, 24, 10, 0, tzinfo=CST)  # a Tuesday
    assert engine.end_of_working_day(entered, 2) == datetime.datetime(2026, 11, 27, 0, 0, tzinfo=CST)
    # Entered on a Friday evening: Monday and Tuesday are the two working days.
    friday = datetime.datetime(2026, 11, 27, 23, 59, tzinfo=CST)
    assert engine.end_of_working_day(friday, 2) == datetime.datetime(2026, 12, 2, 0, 0, tzinfo=CST)


@pytest.mark.django_db
def test_deadline_skips_the_national_day_holiday():
    entered = datetime.datetime(2026, 9, 30, 10, 0, tzinfo=CST)
    # 1–7 October are off; the 8th and 9th are the two working days.
    assert engine.end_of_working_day(entered, 2) == datetime.datetime(2026, 10, 10, 0, 0, tzinfo=CST)


@pytest.mark.django_db
def test_deadline_uses_the_local_date_not_utc():
    # 00:30 on Wednesday in Beijing is still Tuesday in UTC.
    entered = datetime.datetime(2026, 11, 24, 16, 30, tzinfo=datetime.UTC)
    assert engine.end_of_working_day(entered, 1) == datetime.datetime(2026, 11, 27, 0, 0, tzinfo=CST)


@pytest.mark.parametrize(
    ("kind", "raw", "value"),
    [
        ("bool", "true", True),
        ("bool", "否", False),
        ("int", "12", 12),
        ("double", "12.5", 12.5),
        ("string", "  pass ", "pass"),
        ("list", "a, b,,c", ["a", "b", "c"]),
    ],
)
def test_inputs_are_typed(kind, raw, value):
    assert engine.coerce_value(raw, kind) == value


@pytest.mark.parametrize(
    ("kind", "raw"),
    [
        ("bool", "maybe"),
        ("int", "1.5"),
        ("int", True),
        ("double", "NaN"),
        ("double", "abc"),
        ("string", "x" * 501),
    ],
)
def test_bad_inputs_are_refused(kind, raw):
    with pytest.raises(ValueError, match=r"."):
        engine.coerce_value(raw, kind)


def test_undeclared_and_vote_owned_inputs_are_refused_per_field():
    with pytest.raises(CaseRefused) as info:
        engine.coerce_inputs(
            {"ghost": 1, "resolution_passed": True},
            {"resolution_passed": "bool"},
            forbidden={"resolution_passed"},
        )
    assert set(info.value.fields) == {"ghost", "resolution_passed"}


def _t(target, guard="", priority=0, position=0, default=False):
    return SimpleNamespace(
        target=SimpleNamespace(key=target),
        guard=guard,
        priority=priority,
        position=position,
        is_default=default,
    )


def test_routing_takes_the_first_true_guard_by_priority_and_records_inputs():
    outgoing = [
        _t("next", default=True),
        _t("refused", 'result == "reject"', priority=2),
        _t("back", 'result == "return"', priority=1),
    ]
    route = engine.choose_route(outgoing, {"result": "reject"}, {})
    assert route.target.key == "refused"
    assert [e["target"] for e in route.evaluations] == ["back", "refused"]
    assert route.evaluations[0] == {
        "guard": 'result == "return"',
        "target": "back",
        "inputs": {"result": "reject"},
        "result": False,
    }


def test_routing_falls_back_to_the_default():
    outgoing = [_t("next", default=True), _t("back", 'result == "return"', priority=1)]
    assert engine.choose_route(outgoing, {"result": "pass"}, {}).target.key == "next"


def test_routing_with_params_compares_amount_tiers():
    outgoing = [_t("small", default=True), _t("big", "amount >= params.tier", priority=1)]
    assert engine.choose_route(outgoing, {"amount": 100000.0}, {"tier": 100000.0}).target.key == "big"
    assert engine.choose_route(outgoing, {"amount": 99999.99}, {"tier": 100000.0}).target.key == "small"


def test_routing_refuses_when_a_guard_input_is_missing():
    outgoing = [_t("next", default=True), _t("back", 'result == "return"', priority=1)]
    with pytest.raises(CaseRefused) as info:
        engine.choose_route(outgoing, {}, {})
    assert info.value.code == "input_missing"
    assert "result" in info.value.fields


def test_vote_owned_variables_are_the_booleans_read_by_a_vote_steps_guards():
    step = SimpleNamespace(kind="vote")
    outgoing = [_t("notice", default=True), _t("withdrawn", "!resolution_passed && x > 1", priority=1)]
    owned = engine.vote_owned_variables(step, outgoing, {"resolution_passed": "bool", "x": "int"})
    assert owned == {"resolution_passed"}
    assert engine.routing_inputs(outgoing, {"resolution_passed": "bool", "x": "int"}, owned) == ["x"]
