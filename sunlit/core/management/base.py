"""The base of Sunlit's management commands: a refusal is printed, not a traceback.

A service refuses by raising a DomainError and has changed nothing. The command prints the
translated message and every row error (``[sheet ]line N [column]: message``) or problem on stderr
and exits with status 1; called through ``call_command`` it raises CommandError instead.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from sunlit.core.errors import DomainError, NotFound
from sunlit.core.tabular import ImportRejected
from sunlit.regions.models import Region
from sunlit.regions.selectors import region_get


class SunlitCommand(BaseCommand):
    def execute(self, *args: Any, **options: Any) -> Any:
        try:
            return super().execute(*args, **options)
        except DomainError as exc:
            raise self.refusal(exc) from None

    def refusal(self, exc: DomainError) -> CommandError:
        if isinstance(exc, ImportRejected):
            lines = [str(error) for error in exc.errors]
        else:
            lines = [
                f"{d['path']}: {d.get('message', '')}" if d.get("path") else str(d.get("message", d))
                for d in exc.details
            ]
            lines += [
                f"{name}: {message}"
                for name, messages in exc.fields.items()
                for message in messages
                if str(message) != str(exc.message)
            ]
        for line in lines:
            self.stderr.write(f"  {line}")
        return CommandError(str(exc.message), returncode=1)


def region_option(code: str) -> Region:
    """The region named by a command-line code (any accepted form), or a CommandError."""
    try:
        return region_get(code)
    except NotFound:
        raise CommandError(_("There is no region with code %(code)s.") % {"code": code}) from None
