"""Extension points of the case engine for apps that come later in the import order.

Imports point one way (cases never imports deliberation), so a later app that must have a say in
how a case's vote step is satisfied registers a *vote validator* here from its ``AppConfig.ready``.
The vote services (``step_complete`` with a tally, ``vote_record``, and ``step_complete`` relying on
a previously recorded tally) call :func:`check_vote` before anything is written; a validator refuses
by raising a DomainError (normally ``CaseRefused``), which the service records as a refused attempt.

A validator is called as ``validator(case=..., instance=..., tally=..., meeting_ref=...)`` where
``tally`` is a ``sunlit.cases.engine.Tally`` and ``meeting_ref`` the reference the caller gave
(``""`` for a typed tally). Validators must only read.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

VoteValidator = Callable[..., None]

_vote_validators: dict[str, VoteValidator] = {}


def register_vote_validator(name: str, validator: VoteValidator) -> None:
    """Register (or replace) the vote validator ``name``."""
    _vote_validators[name] = validator


def unregister_vote_validator(name: str) -> None:
    _vote_validators.pop(name, None)


def check_vote(*, case: Any, instance: Any, tally: Any, meeting_ref: str) -> None:
    """Run every registered validator; the first refusal propagates."""
    for validator in list(_vote_validators.values()):
        validator(case=case, instance=instance, tally=tally, meeting_ref=meeting_ref or "")
