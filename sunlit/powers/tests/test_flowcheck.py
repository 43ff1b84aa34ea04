"""Each flow rule with an example that breaks it, and the valid flow that passes."""

import pytest

from sunlit.powers.flowcheck import check_flow, parse_fraction
from sunlit.powers.tests.docs import works_flow

VARIABLES = {"amount": "double"}
PARAMS = {"tier_amount": "decimal", "notice_days": "days"}


def codes(flow, **kwargs):
    kwargs.setdefault("variables", VARIABLES)
    kwargs.setdefault("params", PARAMS)
    return {p.code for p in check_flow(flow, **kwargs)}


def test_valid_flow_has_no_problems():
    assert check_flow(works_flow(), variables=VARIABLES, params=PARAMS, risk_codes={"R1", "R2"}) == []


def _step(flow, key):
    return next(s for s in flow["steps"] if s["key"] == key)


def _break_unreachable(flow):
    flow["steps"].insert(3, {"key": "orphan", "name": "孤立", "kind": "task", "role": "village_chair"})
    flow["transitions"].append({"from": "orphan", "to": "done"})


def _break_dead_end(flow):
    flow["transitions"] = [t for t in flow["transitions"] if t["from"] != "vote"]


def _break_no_path_to_end(flow):
    flow["steps"].insert(3, {"key": "loop_a", "name": "A", "kind": "task", "role": "village_chair"})
    flow["steps"].insert(4, {"key": "loop_b", "name": "B", "kind": "task", "role": "village_chair"})
    flow["transitions"] = [t for t in flow["transitions"] if t["from"] != "vote"]
    flow["transitions"] += [
        {"from": "vote", "to": "loop_a"},
        {"from": "loop_a", "to": "loop_b"},
        {"from": "loop_b", "to": "loop_a"},
    ]


def _break_two_defaults(flow):
    for t in flow["transitions"]:
        if t["from"] == "consult":
            t["guard"] = ""
            t["default"] = t["to"] == "notice"


def _break_no_default(flow):
    for t in flow["transitions"]:
        if t["from"] == "consult" and t["to"] == "notice":
            t["guard"] = "amount < params.tier_amount"
            t["default"] = False
            t["priority"] = 2


def _break_same_priority(flow):
    flow["steps"].insert(3, {"key": "extra", "name": "X", "kind": "task", "role": "village_chair"})
    flow["transitions"] += [
        {"from": "consult", "to": "extra", "guard": "amount > 1.0", "priority": 1},
        {"from": "extra", "to": "done"},
    ]


def _break_unknown_role(flow):
    _step(flow, "consult")["role"] = "village_king"


def _break_missing_role(flow):
    _step(flow, "consult")["role"] = ""


def _break_no_end(flow):
    flow["steps"] = [s for s in flow["steps"] if s["kind"] != "end"]
    flow["transitions"] = [t for t in flow["transitions"] if t["to"] != "done"]


def _break_end_exit(flow):
    flow["transitions"].append({"from": "done", "to": "propose"})


def _break_bad_start(flow):
    flow["start"] = "nowhere"


def _break_unknown_step(flow):
    flow["transitions"].append({"from": "vote", "to": "ghost"})


def _break_duplicate_step(flow):
    flow["steps"].append(dict(_step(flow, "consult")))


def _break_guard_syntax(flow):
    flow["transitions"][1]["guard"] = "amount >="


def _break_guard_type(flow):
    flow["transitions"][1]["guard"] = 'amount > "big"'


def _break_guard_unknown_var(flow):
    flow["transitions"][1]["guard"] = "budget > 5.0"


def _break_guard_unknown_param(flow):
    flow["transitions"][1]["guard"] = "amount > params.nope"


def _break_guard_not_bool(flow):
    flow["transitions"][1]["guard"] = "amount + 1.0"


def _break_default_with_guard(flow):
    flow["transitions"][2]["guard"] = "amount > 0.0"


def _break_notice_days(flow):
    _step(flow, "notice")["notice_days"] = None


def _break_notice_param(flow):
    _step(flow, "notice")["notice_days"] = "param:posting_days"


def _break_vote_rule(flow):
    _step(flow, "vote")["vote"] = None


def _break_vote_fraction(flow):
    _step(flow, "vote")["vote"]["quorum"] = "3/2"


def _break_vote_body(flow):
    _step(flow, "vote")["vote"]["body"] = "village_elders"


def _break_self_loop(flow):
    flow["transitions"].append({"from": "vote", "to": "vote", "guard": "amount > 2.0", "priority": 3})


def _break_unknown_risk(flow):
    _step(flow, "consult")["risks"] = ["R9"]


@pytest.mark.parametrize(
    ("breaker", "code"),
    [
        (_break_unreachable, "unreachable"),
        (_break_dead_end, "dead_end"),
        (_break_no_path_to_end, "no_path_to_end"),
        (_break_two_defaults, "branch_default"),
        (_break_no_default, "branch_default"),
        (_break_same_priority, "branch_priority"),
        (_break_unknown_role, "unknown_role"),
        (_break_missing_role, "missing_role"),
        (_break_no_end, "no_end"),
        (_break_end_exit, "end_has_exit"),
        (_break_bad_start, "bad_start"),
        (_break_unknown_step, "unknown_step"),
        (_break_duplicate_step, "duplicate_step"),
        (_break_guard_syntax, "guard_syntax"),
        (_break_guard_type, "guard_type"),
        (_break_guard_unknown_var, "guard_unknown_variable"),
        (_break_guard_unknown_param, "guard_unknown_parameter"),
        (_break_guard_not_bool, "guard_not_boolean"),
        (_break_default_with_guard, "default_with_guard"),
        (_break_notice_days, "notice_days_required"),
        (_break_notice_param, "unknown_parameter"),
        (_break_vote_rule, "vote_rule_required"),
        (_break_vote_fraction, "vote_fraction"),
        (_break_vote_body, "vote_body"),
        (_break_self_loop, "self_loop"),
        (_break_unknown_risk, "unknown_risk"),
    ],
)
def test_each_rule_catches_its_breakage(breaker, code):
    # given a valid flow broken in one way
    flow = works_flow()
    breaker(flow)
    # then the rule for that breakage reports it
    assert code in codes(flow, risk_codes={"R1", "R2"})


def test_loop_back_for_correction_is_allowed_when_an_exit_exists():
    flow = works_flow()
    flow["transitions"].append(
        {"from": "vote", "to": "consult", "guard": "amount > 1.0e9", "priority": 1, "label": "退回"}
    )
    for t in flow["transitions"]:
        if t["from"] == "vote" and t["to"] == "notice":
            t["default"] = True
    assert codes(flow) == set()


def test_problem_paths_point_at_the_offending_field():
    flow = works_flow()
    _step(flow, "consult")["role"] = "village_king"
    problem = next(
        p for p in check_flow(flow, variables=VARIABLES, params=PARAMS) if p.code == "unknown_role"
    )
    assert problem.path == "flow.steps[1].role"


@pytest.mark.parametrize(
    ("text", "ok"),
    [
        ("2/3", True),
        ("1/2", True),
        ("1/1", True),
        ("0/3", False),
        ("3/2", False),
        ("2/0", False),
        ("half", False),
        (None, False),
        ("1/2/3", False),
    ],
)
def test_parse_fraction(text, ok):
    assert (parse_fraction(text) is not None) is ok
