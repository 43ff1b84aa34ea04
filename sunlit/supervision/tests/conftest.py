"""Supervision fixtures: the case fixtures plus helpers to drive a 低保 case to a given step."""

import datetime
from zoneinfo import ZoneInfo

import pytest

from sunlit.cases.tests.conftest import people, standard, upload_all  # noqa: F401 - re-exported fixtures

CST = ZoneInfo("Asia/Shanghai")
T0 = datetime.datetime(2026, 11, 24, 9, 0, tzinfo=CST)  # a Tuesday


@pytest.fixture
def walk(tree, people, standard, upload_all):  # noqa: F811 - fixtures
    """``walk(until)``: a VS-01 case started by the committee and advanced until step ``until``."""
    from sunlit.cases import engine, services

    order = ["apply", "accept", "survey", "review_meeting", "township_review", "notice", "county_review"]
    actors = {
        "apply": people.committee,
        "accept": people.committee,
        "survey": people.reviewer,
        "review_meeting": people.chair,
        "township_review": people.reviewer,
        "notice": people.chair,
        "county_review": people.county_department,
    }

    def run(until: str, *, title: str = "低保申请", clock=None):
        case = services.case_start(
            actor=people.committee, village=tree.village, item_code="VS-01", title=title
        )
        for key in order[: order.index(until)]:
            case.refresh_from_db()
            actor = actors[key]
            upload_all(case, actor)
            kwargs = {}
            if key == "review_meeting":
                kwargs["vote"] = engine.Tally(
                    expected=30, present=30, votes_for=30, votes_against=0, abstentions=0
                )
            if key == "township_review":
                kwargs["inputs"] = {"township_result": "pass"}
            if key == "notice":
                case.refresh_from_db()
                clock.move_to(case.current.not_before)  # the notice period has to run out first
            services.step_complete(actor=actor, case=case, **kwargs)
        case.refresh_from_db()
        return case

    return run
