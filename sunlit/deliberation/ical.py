"""iCalendar (RFC 5545) export of meetings, written by hand.

Lines end in CRLF and are folded at 75 octets (a fold never splits a UTF-8 character: the
continuation line starts with one space, §3.1). Text values escape backslash, semicolon, comma and
newlines (§3.3.11). Times are written in UTC (``…Z``, §3.3.5 form 2), so no VTIMEZONE is needed;
``X-WR-TIMEZONE:Asia/Shanghai`` tells clients which zone to show. Each event has a stable UID, a
SEQUENCE bumped on change, and DTSTAMP; a cancelled meeting is exported with STATUS:CANCELLED so
calendars that imported it drop it.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.utils import timezone

from .models import Meeting
from .vocab import MeetingStatus

PRODID = "-//Sunlit//Village deliberation//ZH"


def escape_text(value: str) -> str:
    return (
        value.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
        .replace("\r", "\\n")
    )


def fold(line: str) -> str:
    """Fold one content line into chunks of at most 75 octets, joined by CRLF + space."""
    out: list[str] = []
    current = b""
    limit = 75
    for char in line:
        encoded = char.encode("utf-8")
        if len(current) + len(encoded) > limit:
            out.append(current.decode("utf-8"))
            current = b""
            limit = 74  # the leading space of a continuation line counts
        current += encoded
    out.append(current.decode("utf-8"))
    return "\r\n ".join(out)


def utc(value: datetime.datetime) -> str:
    return value.astimezone(datetime.UTC).strftime("%Y%m%dT%H%M%SZ")


def meeting_event(meeting: Meeting, *, stamp: datetime.datetime, url: str = "") -> list[str]:
    lines = [
        "BEGIN:VEVENT",
        f"UID:{meeting.uid}",
        f"DTSTAMP:{utc(stamp)}",
        f"DTSTART:{utc(meeting.starts_at)}",
        f"DTEND:{utc(meeting.ends_at)}",
        f"SEQUENCE:{meeting.sequence}",
        f"SUMMARY:{escape_text(f'{meeting.body.name}：{meeting.title}')}",
        f"STATUS:{'CANCELLED' if meeting.status == MeetingStatus.CANCELLED else 'CONFIRMED'}",
    ]
    if meeting.location:
        lines.append(f"LOCATION:{escape_text(meeting.location)}")
    if url:
        lines.append(f"URL:{url}")
    lines.append("END:VEVENT")
    return lines


def calendar(
    meetings: Iterable[Meeting], *, name: str, url_for=None, stamp: datetime.datetime | None = None
) -> str:
    """The VCALENDAR text (CRLF line ends, folded) for ``meetings``."""
    stamp = stamp or timezone.now()
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODID}",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{escape_text(name)}",
        "X-WR-TIMEZONE:Asia/Shanghai",
    ]
    for meeting in meetings:
        lines += meeting_event(meeting, stamp=stamp, url=url_for(meeting) if url_for else "")
    lines.append("END:VCALENDAR")
    return "".join(fold(line) + "\r\n" for line in lines)
