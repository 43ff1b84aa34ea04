import pytest

from sunlit.powers.guards import MAX_GUARD_LENGTH, check_guard, evaluate_guard

VARS = {"amount": "double", "category": "string", "urgent": "bool", "count": "int", "tags": "list"}
PARAMS = {"tier": "decimal", "days": "days"}


@pytest.mark.parametrize(
    "expr",
    [
        "amount >= params.tier",
        'category == "works" && amount > 100000.0',
        "urgent || count > 3",
        '"x" in tags',
        "size(tags) == 0",
        "count >= params.days",
        "amount >= 50000",  # int literal compared with a double: CEL allows heterogeneous comparison
        'tags.exists(t, t == "roads")',
    ],
)
def test_sound_guards_pass(expr):
    assert check_guard(expr, VARS, PARAMS) is None


@pytest.mark.parametrize(
    ("expr", "code"),
    [
        ("amount >=", "guard_syntax"),
        ("amount > 'x'", "guard_type"),
        ("count + amount > 1.0", "guard_type"),  # int + double never coerces
        ("urgent > 1", "guard_type"),
        ("budget > 1.0", "guard_unknown_variable"),
        ("amount > params.missing", "guard_unknown_parameter"),
        ("amount * 2.0", "guard_not_boolean"),
        ("category", "guard_not_boolean"),
        ("amount > 1.0 || count + amount > 1.0", "guard_type"),  # hidden behind a short-circuit
    ],
)
def test_broken_guards_are_caught(expr, code):
    problem = check_guard(expr, VARS, PARAMS)
    assert problem is not None
    assert problem.code == code


def test_overlong_guard_is_refused():
    assert (
        check_guard("true && " * (MAX_GUARD_LENGTH // 8 + 1) + "true", VARS, PARAMS).code == "guard_too_long"
    )


def test_no_python_evaluation_escape():
    # __import__ is not CEL; it must be an unknown identifier, never executed
    problem = check_guard("__import__('os').system('true') == 0", VARS, PARAMS)
    assert problem is not None


def test_evaluate_guard_picks_by_values():
    assert evaluate_guard("amount >= params.tier", {"amount": 60000.0}, {"tier": 50000.0}) is True
    assert evaluate_guard("amount >= params.tier", {"amount": 49999.99}, {"tier": 50000.0}) is False
    assert evaluate_guard("amount >= params.tier", {"amount": 50000.0}, {"tier": 50000.0}) is True


def test_evaluate_guard_raises_on_bad_input():
    with pytest.raises(ValueError, match=r"\w"):
        evaluate_guard("amount > 1.0", {"amount": "lots"}, {})
