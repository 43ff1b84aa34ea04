"""Notifications of new red alerts and escalations: recipients, backends, digest, idempotence."""

import datetime
import io
import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
import time_machine
from django.core import mail

from sunlit.accounts.roles import Role
from sunlit.supervision import notify, services
from sunlit.supervision.engine import sweep
from sunlit.supervision.models import Alert, Notification
from sunlit.supervision.tests.conftest import T0

pytestmark = pytest.mark.django_db


class Recorder(notify.Backend):
    """A test backend keeping every message (class-level, since the task instantiates it)."""

    sent: list[notify.Message] = []

    def send(self, message):
        Recorder.sent.append(message)
        return True


@pytest.fixture
def recorder(settings):
    settings.SUNLIT_NOTIFY_BACKEND = "sunlit.supervision.tests.test_notify.Recorder"
    settings.SUNLIT_NOTIFY_DIGEST_MINUTES = 0
    Recorder.sent = []
    return Recorder.sent


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Run the on-commit callbacks (the notification enqueue) as a real commit would."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def overdue_alert(walk, title="低保申请"):
    with time_machine.travel(T0, tick=False):
        case = walk("accept", title=title)
    return case


@pytest.fixture
def alert(walk, recorder, people, committed):
    case = overdue_alert(walk)
    with committed():
        sweep(rule_codes=["TIME_STEP_OVERDUE"], now=case.current.due_at + datetime.timedelta(days=11))
    return Alert.objects.get()


def test_a_new_red_alert_notifies_the_township_discipline_office_only(
    alert, recorder, people, make_user, tree
):
    # given the alert was raised by the sweep (the fixture), in 十里镇
    assert alert.severity == "red"
    # then only the handler at the handling region got a message (not the county, not another township)
    assert [m.recipient for m in recorder] == [people.township_discipline]
    assert alert.title in recorder[0].subject
    assert f"/staff/alerts/{alert.pk}/" in recorder[0].body
    note = Notification.objects.get()
    assert (note.recipient, note.event, note.sent_at is not None) == (
        people.township_discipline,
        "raised",
        True,
    )


def test_nothing_is_sent_twice_and_non_red_alerts_are_silent(alert, recorder, people):
    notify.notify_alerts.enqueue(alert_ids=[alert.pk], event="raised")  # a re-run of the same task
    assert len(recorder) == 1
    Alert.objects.filter(pk=alert.pk).update(severity="yellow")
    Notification.objects.all().delete()
    notify.notify_alerts.enqueue(alert_ids=[alert.pk], event="raised")
    assert len(recorder) == 1
    assert not Notification.objects.exists()


def test_escalation_notifies_the_county_office(alert, recorder, people, make_user, tree, committed, settings):
    settings.LANGUAGE_CODE = "en"  # notifications are written in the site language; the check reads English
    far_county = make_user(Role.COUNTY_DISCIPLINE, tree.other_county, "far_county")
    recorder.clear()
    with committed():
        moved = services.alerts_escalate_due(now=alert.first_seen_at + datetime.timedelta(days=3))
    assert moved == 1
    assert [m.recipient for m in recorder] == [people.county_discipline]
    assert far_county not in [m.recipient for m in recorder]
    assert "escalated" in recorder[0].subject.lower()
    assert (
        Notification.objects.filter(event="escalated", level=1, recipient=people.county_discipline).count()
        == 1
    )


def test_with_nobody_at_the_township_the_nearest_office_above_is_told(walk, recorder, people, committed):
    people.township_discipline.is_active = False
    people.township_discipline.save()
    case = overdue_alert(walk)
    with committed():
        sweep(rule_codes=["TIME_STEP_OVERDUE"], now=case.current.due_at + datetime.timedelta(days=11))
    assert [m.recipient for m in recorder] == [people.county_discipline]


def test_nothing_is_enqueued_when_the_writing_transaction_rolls_back(alert, recorder, committed):
    from django.db import transaction

    Notification.objects.all().delete()
    recorder.clear()

    class Boom(Exception):
        pass

    with committed() as callbacks:

        def write_then_fail():
            with transaction.atomic():
                notify.alerts_raised([alert.pk])
                raise Boom

        with pytest.raises(Boom):
            write_then_fail()
        notify.alerts_raised([])  # nothing to do: no callback either
    assert callbacks == []
    assert recorder == []
    assert not Notification.objects.exists()


def test_digest_sends_one_message_per_recipient_per_period(walk, recorder, people, settings, committed):
    settings.SUNLIT_NOTIFY_DIGEST_MINUTES = 60
    for title in ("一号", "二号", "三号"):
        overdue_alert(walk, title=title)
    from sunlit.cases.models import StepInstance

    latest = max(StepInstance.objects.exclude(due_at=None).values_list("due_at", flat=True))
    with committed():
        sweep(rule_codes=["TIME_STEP_OVERDUE"], now=latest + datetime.timedelta(days=11))
    assert Alert.objects.count() == 3
    assert recorder == []  # waiting for the digest
    assert Notification.objects.filter(sent_at=None).count() == 3
    assert notify.notify_digest.enqueue().return_value == 1
    assert len(recorder) == 1
    assert "3" in recorder[0].subject
    assert sorted(recorder[0].alert_ids) == sorted(Alert.objects.values_list("pk", flat=True))
    assert notify.notify_digest.enqueue().return_value == 0  # nothing left


def test_digest_groups_per_recipient(alert, recorder, people, settings, committed):
    settings.SUNLIT_NOTIFY_DIGEST_MINUTES = 30
    recorder.clear()
    Notification.objects.all().delete()
    with committed():
        services.alerts_escalate_due(now=alert.first_seen_at + datetime.timedelta(days=3))  # → county
    notify.record([alert.pk], "raised")  # the county office now handles it: owed a "raised" too
    assert notify.deliver(digest=True) == 1
    assert [m.recipient for m in recorder] == [people.county_discipline]
    assert len(recorder[0].alert_ids) == 2


# --- backends ----------------------------------------------------------------------------------------------


def message_for(user, text="红色预警"):
    return notify.Message(
        recipient=user, subject=f"[Sunlit] {text}", body="正文 /staff/alerts/1/", alert_ids=[1]
    )


def test_console_backend_writes_the_message(people):
    out = io.StringIO()
    assert notify.ConsoleBackend(stream=out).send(message_for(people.township_discipline))
    assert "To: tdiscipline" in out.getvalue()
    assert "红色预警" in out.getvalue()


def test_file_backend_appends_json_lines(people, tmp_path, settings):
    settings.SUNLIT_NOTIFY_FILE = str(tmp_path / "out" / "n.jsonl")
    backend = notify.FileBackend()
    backend.send(message_for(people.township_discipline, "一"))
    backend.send(message_for(people.county_discipline, "二"))
    lines = [json.loads(x) for x in (tmp_path / "out" / "n.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [(x["to"], x["subject"]) for x in lines] == [
        ("tdiscipline", "[Sunlit] 一"),
        ("cdiscipline", "[Sunlit] 二"),
    ]


def test_email_backend_uses_djangos_mail_and_skips_users_without_address(people, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    user = people.township_discipline
    assert notify.EmailBackend().send(message_for(user)) is False
    user.email = "jiwei@example.org"
    assert notify.EmailBackend().send(message_for(user)) is True
    assert [(m.to, m.subject) for m in mail.outbox] == [(["jiwei@example.org"], "[Sunlit] 红色预警")]


def test_email_backend_end_to_end_through_the_task(walk, people, settings, committed):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.SUNLIT_NOTIFY_BACKEND = "sunlit.supervision.notify.EmailBackend"
    settings.SUNLIT_NOTIFY_DIGEST_MINUTES = 0
    people.township_discipline.email = "td@example.org"
    people.township_discipline.save()
    case = overdue_alert(walk)
    with committed():
        sweep(rule_codes=["TIME_STEP_OVERDUE"], now=case.current.due_at + datetime.timedelta(days=11))
    assert [m.to for m in mail.outbox] == [["td@example.org"]]
    assert Notification.objects.get().backend == "EmailBackend"


class Gateway(BaseHTTPRequestHandler):
    received: list[dict] = []
    status = 200

    def do_POST(self):
        length = int(self.headers["Content-Length"])
        Gateway.received.append(
            {
                "auth": self.headers.get("Authorization"),
                "type": self.headers.get("Content-Type"),
                "body": json.loads(self.rfile.read(length)),
            }
        )
        self.send_response(Gateway.status)
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args):
        pass


@pytest.fixture
def gateway(settings):
    """A local SMS gateway on a loopback port, served from a thread."""
    Gateway.received = []
    Gateway.status = 200
    server = HTTPServer(("127.0.0.1", 0), Gateway)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.SUNLIT_SMS_URL = f"http://127.0.0.1:{server.server_port}/send"
    settings.SUNLIT_SMS_TOKEN = "s3cret"
    yield Gateway
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


def test_sms_backend_posts_to_the_gateway_with_the_token(people, gateway):
    user = people.township_discipline
    assert notify.SmsBackend().send(message_for(user)) is False  # no phone: skipped
    assert gateway.received == []
    user.phone = "13800000000"
    assert notify.SmsBackend().send(message_for(user)) is True
    (call,) = gateway.received
    assert call["auth"] == "Bearer s3cret"
    assert call["type"].startswith("application/json")
    assert call["body"]["to"] == "13800000000"
    assert "红色预警" in call["body"]["text"]


def test_a_failing_sms_gateway_leaves_the_notification_unsent(walk, people, gateway, settings, committed):
    settings.SUNLIT_NOTIFY_BACKEND = "sunlit.supervision.notify.SmsBackend"
    settings.SUNLIT_NOTIFY_DIGEST_MINUTES = 0
    settings.SUNLIT_NOTIFY_RETRY_SECONDS = 60
    people.township_discipline.phone = "13800000000"
    people.township_discipline.save()
    gateway.status = 500
    case = overdue_alert(walk)
    with time_machine.travel(T0 + datetime.timedelta(days=30), tick=False) as clock:
        with committed():
            sweep(rule_codes=["TIME_STEP_OVERDUE"], now=case.current.due_at + datetime.timedelta(days=11))
        assert len(gateway.received) == 1
        note = Notification.objects.get()
        assert note.sent_at is None
        assert (note.attempts, note.last_attempt_at) == (1, T0 + datetime.timedelta(days=30))
        assert note.next_attempt_at == note.last_attempt_at + datetime.timedelta(seconds=60)
        assert "HTTPError" in note.last_error
        gateway.status = 200
        assert notify.deliver(digest=False) == 0  # not before the back-off ran out
        clock.shift(datetime.timedelta(seconds=60))
        assert notify.notify_retry.enqueue().return_value == 1  # the periodic retry
        note.refresh_from_db()
        assert note.sent_at is not None
        assert (note.attempts, note.next_attempt_at, note.claim) == (1, None, "")
        assert len(gateway.received) == 2


# --- retries with back-off, exactly once across workers ------------------------------------------------------


class Flaky(notify.Backend):
    """Fails while ``Flaky.failing``; records every attempt."""

    failing = True
    calls: list[notify.Message] = []

    def send(self, message):
        Flaky.calls.append(message)
        if Flaky.failing:
            raise ConnectionError("gateway down")
        return True


@pytest.fixture
def flaky(settings, people):
    settings.SUNLIT_NOTIFY_BACKEND = "sunlit.supervision.tests.test_notify.Flaky"
    settings.SUNLIT_NOTIFY_DIGEST_MINUTES = 0
    settings.SUNLIT_NOTIFY_RETRY_SECONDS = 60
    settings.SUNLIT_NOTIFY_RETRY_MAX_SECONDS = 600
    settings.SUNLIT_NOTIFY_RETRY_ATTEMPTS = 6
    Flaky.failing, Flaky.calls = True, []
    return Flaky


T1 = T0 + datetime.timedelta(days=30)


def owed(alert_fixture_walk, committed):
    case = overdue_alert(alert_fixture_walk)
    with time_machine.travel(T1, tick=False), committed():
        sweep(rule_codes=["TIME_STEP_OVERDUE"], now=case.current.due_at + datetime.timedelta(days=11))
    return Notification.objects.get()


def test_failed_deliveries_back_off_exponentially_up_to_the_cap_then_give_up(walk, flaky, committed):
    note = owed(walk, committed)  # the first attempt (on commit) failed at T1
    assert len(flaky.calls) == 1
    at, delays = T1, []
    with time_machine.travel(T1, tick=False) as clock:
        for _ in range(5):
            note.refresh_from_db()
            delay = note.next_attempt_at - at
            delays.append(int(delay.total_seconds()))
            clock.move_to(note.next_attempt_at - datetime.timedelta(seconds=1))
            assert notify.deliver(digest=False) == 0  # one second early: not attempted
            calls = len(flaky.calls)
            clock.move_to(note.next_attempt_at)  # exactly due
            at = note.next_attempt_at
            assert notify.deliver(digest=False) == 0
            assert len(flaky.calls) == calls + 1
    assert delays == [60, 120, 240, 480, 600]  # doubled each time, capped at 600 s
    note.refresh_from_db()
    assert note.attempts == 6
    assert note.failed_at == at
    assert note.next_attempt_at is None
    assert note.sent_at is None
    assert note.last_error == "ConnectionError: gateway down"
    flaky.failing = False
    with time_machine.travel(at + datetime.timedelta(days=1), tick=False):
        assert notify.deliver(digest=False) == 0  # given up: never attempted again
    assert len(flaky.calls) == 6


def test_a_retry_that_succeeds_is_recorded_once(walk, flaky, committed):
    note = owed(walk, committed)
    flaky.failing = False
    due = note.next_attempt_at
    assert due == T1 + datetime.timedelta(seconds=60)
    with time_machine.travel(due, tick=False):
        assert notify.deliver(digest=False) == 1
        assert notify.deliver(digest=False) == 0  # sent: not again
    note.refresh_from_db()
    assert (note.attempts, note.sent_at, note.backend, note.next_attempt_at) == (1, due, "Flaky", None)
    assert len(flaky.calls) == 2


def test_a_row_claimed_by_another_worker_is_not_sent_until_its_claim_expires(
    walk, flaky, settings, committed
):
    settings.SUNLIT_NOTIFY_CLAIM_SECONDS = 300
    note = owed(walk, committed)
    flaky.failing = False
    due = note.next_attempt_at
    with time_machine.travel(due, tick=False) as clock:
        token = notify.claim([note.pk])  # worker A claims it (and, say, hangs in the backend)
        assert token is not None
        assert notify.claim([note.pk]) is None  # worker B cannot claim it too
        assert notify.deliver(digest=False) == 0  # nor send it
        assert len(flaky.calls) == 1
        clock.shift(datetime.timedelta(seconds=300))
        assert notify.deliver(digest=False) == 0  # the claim lasts its full lease
        clock.shift(datetime.timedelta(seconds=1))
        assert notify.deliver(digest=False) == 1  # worker A died: the row is sent by B
    note.refresh_from_db()
    assert note.sent_at is not None
    assert note.claim == ""
    assert len(flaky.calls) == 2


def test_two_workers_racing_send_each_row_once(walk, flaky, committed):
    """Two deliveries interleaved at the worst moment: B lists the row while A holds it."""
    note = owed(walk, committed)
    flaky.failing = False
    inner: list[int] = []
    original = Flaky.send

    def send_and_race(self, message):
        if not inner:
            inner.append(notify.deliver(digest=False))  # worker B runs while A is in the backend
        return original(self, message)

    with time_machine.travel(note.next_attempt_at, tick=False):
        Flaky.send = send_and_race
        try:
            assert notify.deliver(digest=False) == 1
        finally:
            Flaky.send = original
    assert inner == [0]
    assert len(flaky.calls) == 2  # the failed first attempt and exactly one successful send
    assert Notification.objects.filter(sent_at__isnull=False).count() == 1
