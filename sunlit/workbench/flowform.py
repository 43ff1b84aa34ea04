"""The flow editor's form: rows of steps and transitions posted as plain fields.

It works as a normal form post (add a row, save) and with htmx (live preview). Parsing never
fails: whatever was typed comes back as a flow document for the domain validation to judge.
"""

from __future__ import annotations

from typing import Any

from django.http import QueryDict

STEP_FIELDS = (
    "key",
    "name",
    "kind",
    "role",
    "deadline_days",
    "notice_days",
    "documents",
    "description",
    "vote_body",
    "quorum",
    "quorum_rule",
    "threshold",
    "threshold_rule",
    "threshold_base",
    "risks",
)
TRANSITION_FIELDS = ("from", "to", "guard", "priority", "label")
MAX_ROWS = 80


def _count(data: QueryDict, name: str) -> int:
    try:
        return max(0, min(int(data.get(name, "0")), MAX_ROWS))
    except ValueError:
        return 0


def _days(value: str) -> Any:
    value = value.strip()
    if not value:
        return None
    return int(value) if value.isdigit() else value


def flow_from_post(data: QueryDict) -> dict[str, Any]:
    steps = []
    for i in range(_count(data, "step-count")):
        if data.get(f"step-{i}-delete"):
            continue
        row = {f: data.get(f"step-{i}-{f}", "").strip() for f in STEP_FIELDS}
        if not any(row[f] for f in ("key", "name")):
            continue
        vote = None
        if row["kind"] == "vote" or row["vote_body"] or row["quorum"] or row["threshold"]:
            vote = {
                k: row[k] if k != "body" else row["vote_body"]
                for k in ("quorum", "quorum_rule", "threshold", "threshold_rule", "threshold_base")
            }
            vote["body"] = row["vote_body"]
        steps.append(
            {
                "key": row["key"],
                "name": row["name"],
                "kind": row["kind"],
                "role": row["role"],
                "deadline_days": _days(row["deadline_days"]),
                "notice_days": _days(row["notice_days"]),
                "documents": [d.strip() for d in row["documents"].split("\n") if d.strip()],
                "vote": vote,
                "description": row["description"],
                "risks": [r.strip() for r in row["risks"].split(",") if r.strip()],
            }
        )
    transitions = []
    for i in range(_count(data, "tr-count")):
        if data.get(f"tr-{i}-delete"):
            continue
        row = {f: data.get(f"tr-{i}-{f}", "").strip() for f in TRANSITION_FIELDS}
        if not (row["from"] or row["to"]):
            continue
        priority = row["priority"]
        transitions.append(
            {
                "from": row["from"],
                "to": row["to"],
                "guard": row["guard"],
                "default": bool(data.get(f"tr-{i}-default")),
                "priority": int(priority) if priority.isdigit() else 0,
                "label": row["label"],
            }
        )
    return {"start": data.get("start", "").strip(), "steps": steps, "transitions": transitions}


def rows_for(flow: dict[str, Any], extra_steps: int = 0, extra_transitions: int = 0) -> tuple[list, list]:
    steps = []
    for s in flow.get("steps", []):
        vote = s.get("vote") or {}
        steps.append(
            {
                **{
                    k: ("" if s.get(k) is None else s.get(k))
                    for k in ("key", "name", "kind", "role", "deadline_days", "notice_days", "description")
                },
                "documents": "\n".join(s.get("documents") or []),
                "risks": ",".join(s.get("risks") or []),
                "vote_body": vote.get("body", ""),
                "quorum": vote.get("quorum", ""),
                "quorum_rule": vote.get("quorum_rule", ""),
                "threshold": vote.get("threshold", ""),
                "threshold_rule": vote.get("threshold_rule", ""),
                "threshold_base": vote.get("threshold_base", ""),
            }
        )
    steps += [{"kind": "task"} for _ in range(extra_steps)]
    transitions = [dict(t) for t in flow.get("transitions", [])] + [{} for _ in range(extra_transitions)]
    return steps, transitions
