"""Mermaid flowchart source for a flow (document form), with shapes by step kind.

The same function serves the public item page and the editor's live preview. Labels are
escaped so no text from a catalog can inject Mermaid syntax or HTML.
"""

from __future__ import annotations

from typing import Any

from .vocab import StepKind

_SHAPES = {
    StepKind.TASK: ('["', '"]'),
    StepKind.APPROVAL: ('{{"', '"}}'),
    StepKind.VOTE: ('[["', '"]]'),
    StepKind.PUBLIC_NOTICE: ('[/"', '"/]'),
    StepKind.DOCUMENT: ('[("', '")]'),
    StepKind.END: ('(["', '"])'),
}


def _escape(text: str) -> str:
    out = []
    for ch in text:
        if ch in '"#<>&{}[]()|`\\;':
            out.append(f"#{ord(ch)};")
        elif ch in "\r\n":
            out.append(" ")
        else:
            out.append(ch)
    return "".join(out)


# Case progress colours (WCAG AA contrast for the black label text on each fill); the state is also
# spelled out in the accessible step table next to every flowchart, never by colour alone.
STATE_STYLES = {
    "done": "fill:#d1e7dd,stroke:#1b5e20,stroke-width:2px",
    "current": "fill:#fff3cd,stroke:#7a4d00,stroke-width:3px",
    "overdue": "fill:#f8d7da,stroke:#a4161a,stroke-width:3px",
}


def flow_to_mermaid(
    flow: dict[str, Any],
    role_labels: dict[str, str] | None = None,
    states: dict[str, str] | None = None,
) -> str:
    """Mermaid source for ``flow``. ``states`` (step key -> "done"/"current"/"overdue") highlights a
    case's progress; other keys and values are ignored."""
    role_labels = role_labels or {}
    steps = flow.get("steps") or []
    ids = {step.get("key"): f"s{i}" for i, step in enumerate(steps)}
    lines = ["flowchart TD"]
    for step in steps:
        open_, close = _SHAPES.get(step.get("kind"), _SHAPES[StepKind.TASK])
        label = _escape(str(step.get("name") or step.get("key") or ""))
        role = step.get("role")
        if role:
            label += "<br/><small>" + _escape(str(role_labels.get(role, role))) + "</small>"
        lines.append(f"  {ids[step.get('key')]}{open_}{label}{close}")
    for tr in flow.get("transitions") or []:
        src, dst = ids.get(tr.get("from")), ids.get(tr.get("to"))
        if src is None or dst is None:
            continue
        text = tr.get("label") or tr.get("guard") or ""
        arrow = "-.->" if (tr.get("guard") or "").strip() else "-->"
        lines.append(f'  {src} {arrow}|"{_escape(str(text))}"| {dst}' if text else f"  {src} {arrow} {dst}")
    start = ids.get(flow.get("start"))
    if start:
        lines.append(f"  class {start} start")
    ends = [ids[s.get("key")] for s in steps if s.get("kind") == StepKind.END]
    if ends:
        lines.append(f"  class {','.join(ends)} finish")
    lines.append("  classDef start stroke-width:3px")
    lines.append("  classDef finish stroke-dasharray:4 2")
    if states:
        for state, style in STATE_STYLES.items():
            nodes = [ids[key] for key, value in states.items() if value == state and key in ids]
            if nodes:
                lines.append(f"  class {','.join(nodes)} {state}")
                lines.append(f"  classDef {state} {style}")
    return "\n".join(lines)
