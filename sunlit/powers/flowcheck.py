"""Validation of a flow (steps + transitions) as plain data, before it is saved or published.

Each rule has a code so tests, the API and the editor can point at it. The input is the
``flow`` section of a catalog document (see docs/catalog-format.md):

    {"start": "apply", "steps": [{"key", "name", "kind", "role", ...}], "transitions": [{"from", "to", ...}]}
"""

from __future__ import annotations

from collections import defaultdict, deque
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from django.utils.translation import gettext as _

from sunlit.accounts.roles import is_known_role

from .guards import check_guard
from .vocab import CompareRule, StepKind, VoteBase, VoteBody


@dataclass(frozen=True)
class Problem:
    code: str
    message: str
    path: str = ""  # where in the document, e.g. "items[3].flow.steps[2].role"

    def as_dict(self) -> dict[str, str]:
        return {"code": self.code, "message": str(self.message), "path": self.path}

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else str(self.message)


def parse_fraction(value: Any) -> Fraction | None:
    if not isinstance(value, str) or value.count("/") != 1:
        return None
    num, den = value.split("/")
    if not (num.strip().isdigit() and den.strip().isdigit()):
        return None
    if int(den) == 0 or int(num) > int(den) or int(num) == 0:
        return None
    return Fraction(int(num), int(den))


def param_ref(value: Any) -> str | None:
    """``"param:notice_days"`` → ``"notice_days"``; anything else → None."""
    if isinstance(value, str) and value.startswith("param:"):
        return value[len("param:") :]
    return None


def check_flow(
    flow: dict[str, Any],
    *,
    variables: dict[str, str],
    params: dict[str, str],
    risk_codes: set[str] | None = None,
    path: str = "flow",
) -> list[Problem]:
    problems: list[Problem] = []
    steps: list[dict[str, Any]] = flow.get("steps") or []
    transitions: list[dict[str, Any]] = flow.get("transitions") or []
    keys: dict[str, int] = {}

    if not steps:
        return [Problem("no_steps", _("The flow has no steps."), f"{path}.steps")]

    for i, step in enumerate(steps):
        spath = f"{path}.steps[{i}]"
        key = step.get("key")
        if key in keys:
            problems.append(
                Problem(
                    "duplicate_step", _("Step key “%(key)s” is used twice.") % {"key": key}, f"{spath}.key"
                )
            )
        keys.setdefault(key, i)
        kind = step.get("kind")
        role = step.get("role") or ""
        if kind != StepKind.END:
            if not role:
                problems.append(
                    Problem(
                        "missing_role",
                        _("Step “%(key)s” needs a responsible role.") % {"key": key},
                        f"{spath}.role",
                    )
                )
            elif not is_known_role(role):
                problems.append(
                    Problem(
                        "unknown_role",
                        _("Step “%(key)s” names an unknown role “%(role)s”.") % {"key": key, "role": role},
                        f"{spath}.role",
                    )
                )
        elif role and not is_known_role(role):
            problems.append(
                Problem(
                    "unknown_role",
                    _("Step “%(key)s” names an unknown role “%(role)s”.") % {"key": key, "role": role},
                    f"{spath}.role",
                )
            )
        for field in ("deadline_days", "notice_days"):
            ref = param_ref(step.get(field))
            if ref is not None and ref not in params:
                problems.append(
                    Problem(
                        "unknown_parameter",
                        _("%(field)s refers to parameter “%(key)s”, which the item does not declare.")
                        % {"field": field, "key": ref},
                        f"{spath}.{field}",
                    )
                )
            elif ref is not None and params[ref] != "days" and params[ref] != "int":
                problems.append(
                    Problem(
                        "parameter_kind",
                        _("%(field)s must refer to a number of days.") % {"field": field},
                        f"{spath}.{field}",
                    )
                )
        if kind == StepKind.PUBLIC_NOTICE and step.get("notice_days") in (None, "", 0):
            problems.append(
                Problem(
                    "notice_days_required",
                    _("Public-notice step “%(key)s” needs a number of notice days.") % {"key": key},
                    f"{spath}.notice_days",
                )
            )
        if kind != StepKind.PUBLIC_NOTICE and step.get("notice_days") not in (None, ""):
            problems.append(
                Problem(
                    "notice_days_misplaced",
                    _("Only public-notice steps have notice days (step “%(key)s”).") % {"key": key},
                    f"{spath}.notice_days",
                )
            )
        vote = step.get("vote")
        if kind == StepKind.VOTE:
            problems.extend(_check_vote(vote, key, f"{spath}.vote"))
        elif vote:
            problems.append(
                Problem(
                    "vote_misplaced",
                    _("Only vote steps have a vote rule (step “%(key)s”).") % {"key": key},
                    f"{spath}.vote",
                )
            )
        if risk_codes is not None:
            for code in step.get("risks") or []:
                if code not in risk_codes:
                    problems.append(
                        Problem(
                            "unknown_risk",
                            _("Step “%(key)s” links risk “%(code)s”, which the item does not list.")
                            % {"key": key, "code": code},
                            f"{spath}.risks",
                        )
                    )

    start = flow.get("start")
    if start not in keys:
        problems.append(
            Problem(
                "bad_start",
                _("The start step “%(key)s” is not one of the steps.") % {"key": start},
                f"{path}.start",
            )
        )
    elif steps[keys[start]].get("kind") == StepKind.END:
        problems.append(Problem("bad_start", _("The flow cannot start at an end step."), f"{path}.start"))
    if not any(s.get("kind") == StepKind.END for s in steps):
        problems.append(Problem("no_end", _("The flow has no end step."), f"{path}.steps"))

    outgoing: dict[str, list[tuple[int, dict[str, Any]]]] = defaultdict(list)
    seen_pairs: dict[tuple[str, str, str], int] = {}
    for j, tr in enumerate(transitions):
        tpath = f"{path}.transitions[{j}]"
        src, dst = tr.get("from"), tr.get("to")
        ok = True
        for end, value in (("from", src), ("to", dst)):
            if value not in keys:
                problems.append(
                    Problem(
                        "unknown_step",
                        _("Transition %(n)d: %(end)s step “%(key)s” does not exist.")
                        % {"n": j + 1, "end": end, "key": value},
                        f"{tpath}.{end}",
                    )
                )
                ok = False
        if not ok:
            continue
        if src == dst:
            problems.append(
                Problem(
                    "self_loop",
                    _("Transition %(n)d loops from “%(key)s” to itself.") % {"n": j + 1, "key": src},
                    tpath,
                )
            )
        pair = (src, dst, (tr.get("guard") or "").strip())
        if pair in seen_pairs:
            problems.append(
                Problem(
                    "duplicate_transition",
                    _("Transition %(n)d repeats transition %(m)d.") % {"n": j + 1, "m": seen_pairs[pair] + 1},
                    tpath,
                )
            )
        seen_pairs.setdefault(pair, j)
        outgoing[src].append((j, tr))
        guard = (tr.get("guard") or "").strip()
        if guard:
            found = check_guard(guard, variables, params)
            if found:
                problems.append(Problem(found.code, found.message, f"{tpath}.guard"))
            if tr.get("default"):
                problems.append(
                    Problem(
                        "default_with_guard",
                        _("Transition %(n)d is the default and so cannot have a condition.") % {"n": j + 1},
                        tpath,
                    )
                )

    for key, index in keys.items():
        step = steps[index]
        out = outgoing.get(key, [])
        spath = f"{path}.steps[{index}]"
        if step.get("kind") == StepKind.END:
            if out:
                problems.append(
                    Problem(
                        "end_has_exit", _("End step “%(key)s” must not lead anywhere.") % {"key": key}, spath
                    )
                )
            continue
        if not out:
            problems.append(
                Problem(
                    "dead_end",
                    _("Step “%(key)s” leads nowhere; every step except an end needs a way out.")
                    % {"key": key},
                    spath,
                )
            )
            continue
        defaults = [tr for _j, tr in out if not (tr.get("guard") or "").strip()]
        if len(out) > 1 or defaults != [tr for _j, tr in out]:
            if len(defaults) != 1:
                problems.append(
                    Problem(
                        "branch_default",
                        _(
                            "Branch at step “%(key)s” needs exactly one default way (without a condition); it has %(n)d."
                        )
                        % {"key": key, "n": len(defaults)},
                        spath,
                    )
                )
            priorities = [tr.get("priority", 0) for _j, tr in out if (tr.get("guard") or "").strip()]
            if len(priorities) != len(set(priorities)):
                problems.append(
                    Problem(
                        "branch_priority",
                        _("Conditions at step “%(key)s” need distinct priorities.") % {"key": key},
                        spath,
                    )
                )

    if start in keys:
        reachable = _walk(start, {k: [tr["to"] for _j, tr in v] for k, v in outgoing.items()})
        for key, index in keys.items():
            if key not in reachable:
                problems.append(
                    Problem(
                        "unreachable",
                        _("Step “%(key)s” cannot be reached from the start.") % {"key": key},
                        f"{path}.steps[{index}]",
                    )
                )
        reverse: dict[str, list[str]] = defaultdict(list)
        for src, out in outgoing.items():
            for _j, tr in out:
                reverse[tr["to"]].append(src)
        ends = [k for k, i in keys.items() if steps[i].get("kind") == StepKind.END]
        can_finish: set[str] = set()
        for end in ends:
            can_finish |= _walk(end, reverse)
        for key, index in keys.items():
            if (
                key in reachable
                and key not in can_finish
                and steps[index].get("kind") != StepKind.END
                and outgoing.get(key)
            ):
                problems.append(
                    Problem(
                        "no_path_to_end",
                        _("From step “%(key)s” no path reaches an end.") % {"key": key},
                        f"{path}.steps[{index}]",
                    )
                )
    return problems


def _walk(start: str, edges: dict[str, list[str]]) -> set[str]:
    seen = {start}
    queue = deque([start])
    while queue:
        for nxt in edges.get(queue.popleft(), []):
            if nxt not in seen:
                seen.add(nxt)
                queue.append(nxt)
    return seen


def _check_vote(vote: Any, key: str, vpath: str) -> list[Problem]:
    if not isinstance(vote, dict):
        return [
            Problem(
                "vote_rule_required",
                _("Vote step “%(key)s” needs a vote rule (body, quorum, threshold).") % {"key": key},
                vpath,
            )
        ]
    problems = []
    if vote.get("body") not in VoteBody.values:
        problems.append(
            Problem(
                "vote_body",
                _("Vote step “%(key)s” names an unknown body “%(body)s”.")
                % {"key": key, "body": vote.get("body")},
                f"{vpath}.body",
            )
        )
    for field in ("quorum", "threshold"):
        if parse_fraction(vote.get(field)) is None:
            problems.append(
                Problem(
                    "vote_fraction",
                    _("%(field)s of step “%(key)s” must be a fraction such as 2/3.")
                    % {"field": field, "key": key},
                    f"{vpath}.{field}",
                )
            )
    for field in ("quorum_rule", "threshold_rule"):
        if vote.get(field) not in CompareRule.values:
            problems.append(
                Problem(
                    "vote_rule",
                    _("%(field)s of step “%(key)s” must be gt or gte.") % {"field": field, "key": key},
                    f"{vpath}.{field}",
                )
            )
    if vote.get("threshold_base") not in VoteBase.values:
        problems.append(
            Problem(
                "vote_base",
                _("threshold_base of step “%(key)s” must be expected or present.") % {"key": key},
                f"{vpath}.threshold_base",
            )
        )
    return problems
