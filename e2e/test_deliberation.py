"""A villager representatives' meeting recorded in a real browser: attendance by name, votes by name,
the computed resolution, its publication, and the public decision page (with an axe check)."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from sunlit.accounts.roles import Role


@pytest.fixture
def motion_at_vote(portal_data):
    """A motion of 十里村 whose proposal, consultation and review passed, whose plan was posted 20
    days ago, and whose resolution meeting started an hour ago."""
    from sunlit.core.masking import _id_check_char
    from sunlit.deliberation import services
    from sunlit.deliberation.vocab import BodyKind
    from sunlit.people.services import PersonData, person_create

    village = portal_data.village
    people = []
    for n in range(12):
        first17 = f"411522{1960 + n}0101{n:03d}"
        people.append(
            person_create(
                actor=None,
                data=PersonData(
                    village=village, name=f"代表{n + 1:02d}", id_number=first17 + _id_check_char(first17)
                ),
            )
        )
    since = datetime.date(2024, 1, 1)
    bodies = {}
    for kind, members in (
        (BodyKind.BRANCH_COMMITTEE, people[:3]),
        (BodyKind.TWO_COMMITTEES, people[:5]),
        (BodyKind.PARTY_MEMBERS, people[:6]),
        (BodyKind.VILLAGER_REPRESENTATIVES, people[3:12]),
    ):
        bodies[kind] = services.body_create(actor=None, village=village, kind=kind)
        for person in members:
            services.membership_add(actor=None, body=bodies[kind], person=person, started_on=since)
    now = timezone.now()
    t0 = now - datetime.timedelta(days=40)
    motion = services.motion_open(actor=None, village=village, title="修建村文化广场", now=t0)

    def passed(kind, days):
        start = t0 + datetime.timedelta(days=days)
        meeting = services.meeting_convene(
            actor=None, body=bodies[kind], title=str(kind.label), starts_at=start,
            notice_sent_at=start - datetime.timedelta(days=3), motion=motion, now=start - datetime.timedelta(days=3),
        )  # fmt: skip
        members = services.members_on(bodies[kind], timezone.localdate(start))
        services.meeting_attendance(
            actor=None, meeting=meeting, present_ids=[p.pk for p in members], now=start
        )
        services.meeting_vote(
            actor=None, meeting=meeting, text="同意", ballots={p.pk: "for" for p in members}, now=start
        )

    passed(BodyKind.BRANCH_COMMITTEE, 4)
    passed(BodyKind.TWO_COMMITTEES, 8)
    services.motion_publish(
        actor=None,
        motion=motion,
        kind="plan",
        title="文化广场方案公示",
        body="方案内容",
        now=t0 + datetime.timedelta(days=9),
    )
    passed(BodyKind.PARTY_MEMBERS, 12)
    start = now - datetime.timedelta(hours=1)
    meeting = services.meeting_convene(
        actor=None, body=bodies[BodyKind.VILLAGER_REPRESENTATIVES], title="村民代表会议决议文化广场",
        starts_at=start, notice_sent_at=start - datetime.timedelta(days=5), motion=motion, now=start - datetime.timedelta(days=5),
    )  # fmt: skip
    return motion, meeting


@pytest.mark.e2e
def test_record_meeting_vote_and_see_the_resolution_published(
    portal_data, motion_at_vote, make_user, new_context, axe
):
    motion, meeting = motion_at_vote
    make_user(Role.VILLAGE_CHAIR, portal_data.village, "e2e_delib_chair")
    page = new_context(bypass_csp=False, locale="en-US", viewport={"width": 1280, "height": 900}).new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(f"uncaught: {exc}"))
    page.on("console", lambda msg: errors.append(f"console: {msg.text}") if msg.type == "error" else None)
    page.goto(f"{portal_data.url}/staff/login/")
    page.fill("#id_username", "e2e_delib_chair")
    page.fill("#id_password", "x")
    page.locator("main form button[type=submit]").click()
    expect(page).to_have_url(f"{portal_data.url}/staff/")

    # attendance by name: 7 of the 9 representatives (7/9 ≥ 2/3)
    page.goto(f"{portal_data.url}/staff/deliberation/meetings/{meeting.pk}/")
    boxes = page.locator("#attendance-form input[type=checkbox]")
    expect(boxes).to_have_count(9)
    for i in range(7):
        boxes.nth(i).check()
    page.locator("#attendance-form button[type=submit]").click()
    expect(page.locator("#attendance-count")).to_contain_text("7")

    # votes by name: 5 for, 1 against, 1 abstaining → more than half of the 7 present
    page.locator("#id_text").fill("同意修建村文化广场，预算30万元。")
    ballots = page.locator("#ballots fieldset.ballot")
    expect(ballots).to_have_count(7)
    for i in range(7):
        choice = "for" if i < 5 else ("against" if i == 5 else "abstain")
        ballots.nth(i).locator(f"input[value={choice}]").check()
    page.locator("#vote-form button[type=submit]").click()
    expect(page.locator("#resolution-outcome")).to_contain_text("Passed")
    expect(page.locator("#resolution-outcome")).to_contain_text("For 5")

    # the motion moved on to publishing the resolution; publish it
    page.goto(f"{portal_data.url}/staff/deliberation/motions/{motion.pk}/")
    expect(page.locator("#stage-list li[aria-current=step]")).to_contain_text("Resolution published")
    page.locator("#publish-form select[name=kind]").select_option("resolution")
    page.locator("#publish-form input[name=title]").fill("关于修建村文化广场的决议公开")
    page.locator("#publish-form textarea[name=body]").fill("村民代表会议决议修建村文化广场。")
    page.locator("#publish-form button[type=submit]").click()
    expect(page.locator("#motion-body .message.success")).to_be_visible()

    # the public decision page shows the resolution with counts, and no names
    public = new_context(locale="zh-CN", viewport={"width": 390, "height": 844}).new_page()
    public.goto(f"{portal_data.url}/r/{portal_data.village.code}/decisions/")
    public.locator("#decision-list a", has_text="关于修建村文化广场的决议公开").click()
    expect(public.locator("#public-resolution")).to_be_visible()
    expect(public.locator("#votes-for")).to_have_text("5")
    expect(public.locator("main")).not_to_contain_text("代表01")
    axe(public)
    assert not errors, "\n".join(errors)
