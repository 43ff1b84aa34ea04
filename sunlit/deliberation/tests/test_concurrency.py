"""Two recorders entering the same meeting's vote at once: exactly one resolution, one ledger event,
and the motion's stage advanced once."""

import threading

import pytest
from django.db import connection

from sunlit.core.models import AuditEvent
from sunlit.deliberation import services
from sunlit.deliberation.errors import DeliberationRefused
from sunlit.deliberation.models import Meeting, Resolution
from sunlit.deliberation.vocab import StageStatus

from .test_services import at


@pytest.mark.django_db(transaction=True)
def test_two_votes_on_one_meeting_exactly_one_wins(village_bodies, tree):
    motion = services.motion_open(actor=None, village=tree.village, title="并发", now=at(0))
    body = village_bodies.branch_committee
    meeting = services.meeting_convene(
        actor=None, body=body, title="m", starts_at=at(3), notice_sent_at=at(0), motion=motion, now=at(0)
    )
    members = services.members_on(body, at(3).date())
    services.meeting_attendance(actor=None, meeting=meeting, present_ids=[p.pk for p in members], now=at(3))
    barrier = threading.Barrier(2)
    results: list[str] = []

    def vote(choice):
        try:
            mine = Meeting.objects.select_related("body", "village", "stage__motion").get(pk=meeting.pk)
            barrier.wait(timeout=10)
            services.meeting_vote(
                actor=None,
                meeting=mine,
                text=choice,
                tally={"for": 3 if choice == "yes" else 0, "against": 0, "abstain": 0},
                now=at(3),
            )
            results.append("ok")
        except DeliberationRefused as exc:
            results.append(exc.code)
        except Exception as exc:  # pragma: no cover - reported by the assertion below
            results.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=vote, args=(c,)) for c in ("yes", "no")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(results) == ["already_voted", "ok"], results
    assert Resolution.objects.filter(meeting=meeting).count() == 1
    assert AuditEvent.objects.filter(kind="deliberation.vote_recorded").count() == 1
    stage = motion.stages.get(key="propose")
    resolution = Resolution.objects.get(meeting=meeting)
    assert stage.status == (StageStatus.DONE if resolution.passed else StageStatus.ACTIVE)
