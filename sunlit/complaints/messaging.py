"""Text messages to and from villagers, through a pluggable backend (the pattern of
sunlit/supervision/notify.py, but addressed to phone numbers rather than to users).

Outbound (one-time codes, tracking codes, answers): ``SUNLIT_COMPLAINT_SMS_BACKEND`` (dotted path):

- :class:`ConsoleSmsBackend` (default): writes the message to standard output with the number masked.
- :class:`FileSmsBackend`: appends JSON lines to ``SUNLIT_COMPLAINT_SMS_FILE`` (default
  ``$SUNLIT_DATA_DIR/complaint-sms.jsonl``), an outbox for a gateway program.
- :class:`HttpSmsBackend`: POSTs ``{"to", "text"}`` to ``SUNLIT_SMS_URL`` with ``SUNLIT_SMS_TOKEN``.
- :class:`MemorySmsBackend`: keeps messages in ``MemorySmsBackend.outbox`` (tests, demos).

Inbound (the SMS gateway calls the webhook): the request body is signed with HMAC-SHA256 under
``SUNLIT_COMPLAINT_WEBHOOK_SECRET``; the signature is sent as ``X-Sunlit-Signature: sha256=<hex>``.
Without a configured secret the webhook refuses every request.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import sys
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string

from sunlit.core.masking import mask_phone

from .config import setting

DEFAULT_BACKEND = "sunlit.complaints.messaging.ConsoleSmsBackend"
SIGNATURE_HEADER = "X-Sunlit-Signature"


@dataclass(frozen=True)
class Sms:
    to: str
    text: str


class SmsBackend:
    name = "base"

    def send(self, sms: Sms) -> bool:  # pragma: no cover - interface
        raise NotImplementedError


class ConsoleSmsBackend(SmsBackend):
    name = "console"

    def __init__(self, stream: Any = None) -> None:
        self.stream = stream

    def send(self, sms: Sms) -> bool:
        stream = self.stream or sys.stdout
        stream.write(f"SMS to {mask_phone(sms.to)}: {sms.text}\n")
        stream.flush()
        return True


class FileSmsBackend(SmsBackend):
    name = "file"

    def path(self) -> Path:
        configured = setting("SUNLIT_COMPLAINT_SMS_FILE")
        if configured:
            return Path(configured)
        return Path(getattr(settings, "DATA_DIR", ".")) / "complaint-sms.jsonl"

    def send(self, sms: Sms) -> bool:
        target = self.path()
        target.parent.mkdir(parents=True, exist_ok=True)
        with target.open("a", encoding="utf-8") as out:
            line = {"to": sms.to, "text": sms.text, "at": timezone.now().isoformat()}
            out.write(json.dumps(line, ensure_ascii=False) + "\n")
        return True


class HttpSmsBackend(SmsBackend):
    name = "http"
    timeout = 10

    def send(self, sms: Sms) -> bool:
        url = setting("SUNLIT_SMS_URL")
        if not url.startswith(("http://", "https://")):
            raise RuntimeError("SUNLIT_SMS_URL must be an http(s) URL")
        payload = json.dumps({"to": sms.to, "text": sms.text}, ensure_ascii=False).encode("utf-8")
        request = urllib.request.Request(  # noqa: S310 - the scheme is checked above
            url,
            data=payload,
            method="POST",
            headers={
                "Content-Type": "application/json; charset=utf-8",
                "Authorization": f"Bearer {setting('SUNLIT_SMS_TOKEN')}",
            },
        )
        with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
            if not 200 <= response.status < 300:
                raise RuntimeError(f"SMS gateway answered {response.status}")
        return True


class MemorySmsBackend(SmsBackend):
    name = "memory"
    outbox: ClassVar[list[Sms]] = []

    def send(self, sms: Sms) -> bool:
        MemorySmsBackend.outbox.append(sms)
        return True


_muted: ContextVar[bool] = ContextVar("complaint_sms_muted", default=False)


@contextmanager
def muted() -> Iterator[None]:
    """Schedule no text messages while inside (the demo generator; nobody is waiting for them)."""
    token = _muted.set(True)
    try:
        yield
    finally:
        _muted.reset(token)


def is_muted() -> bool:
    return _muted.get()


def get_backend() -> SmsBackend:
    return import_string(setting("SUNLIT_COMPLAINT_SMS_BACKEND") or DEFAULT_BACKEND)()


def send_sms(to: str, text: str) -> bool:
    return get_backend().send(Sms(to=to, text=text))


# --- inbound webhook signatures ---------------------------------------------------------------------------


def webhook_secret() -> bytes:
    return setting("SUNLIT_COMPLAINT_WEBHOOK_SECRET").encode("utf-8")


def sign(body: bytes, secret: bytes | None = None) -> str:
    """The header value a gateway sends: ``sha256=`` and the hex HMAC-SHA256 of the raw body."""
    key = webhook_secret() if secret is None else secret
    return "sha256=" + hmac.new(key, body, hashlib.sha256).hexdigest()


def signature_valid(body: bytes, header: str | None) -> bool:
    secret = webhook_secret()
    if not secret or not header:
        return False
    return hmac.compare_digest(sign(body, secret), header.strip())
