"""The catalog document: the one exchange shape for YAML files, XLSX workbooks, the API and
the database (see docs/catalog-format.md).

``normalize_document`` takes untrusted data (parsed YAML, rows from a workbook, JSON) and returns
the canonical document (every key present, in a fixed order) plus every problem found, with a
path to it. Nothing here touches the database, so the same checks serve import, the flow
editor's live preview and publishing.
"""

from __future__ import annotations

import hashlib
import re
from decimal import Decimal, InvalidOperation
from typing import Any

import rfc8785
from django.utils.translation import gettext as _

from sunlit.accounts.roles import is_known_role
from sunlit.core.numbers import format_decimal

from .flowcheck import Problem, check_flow, param_ref
from .vocab import (
    DEFAULT_RISK_MATRIX,
    CompareRule,
    ItemCategory,
    ItemGroup,
    OverrideLevel,
    ParamKind,
    RiskLevel,
    StepKind,
    VarType,
    VoteBase,
)

FORMAT = "sunlit-catalog/1"
CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$")
KEY_RE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
MAX_ITEMS = 500
MAX_STEPS = 60


class _Ctx:
    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(self, code: str, message: str, path: str) -> None:
        self.problems.append(Problem(code, message, path))


def _text(ctx: _Ctx, data: dict, key: str, path: str, *, required: bool = False, max_len: int = 2000) -> str:
    value = data.get(key)
    if value is None:
        value = ""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        ctx.add("type", _("Expected text."), f"{path}.{key}")
        return ""
    value = value.strip()
    if required and not value:
        ctx.add("required", _("This field is required."), f"{path}.{key}")
    if len(value) > max_len:
        ctx.add("too_long", _("At most %(n)d characters.") % {"n": max_len}, f"{path}.{key}")
    return value


def _choice(
    ctx: _Ctx, data: dict, key: str, path: str, choices: list[str], *, default: str | None = None
) -> str:
    value = data.get(key)
    if value in (None, "") and default is not None:
        return default
    if value not in choices:
        ctx.add(
            "choice",
            _("“%(value)s” is not one of: %(choices)s.") % {"value": value, "choices": ", ".join(choices)},
            f"{path}.{key}",
        )
        return str(value or "")
    return value


def _int(
    ctx: _Ctx, value: Any, path: str, *, minimum: int = 0, maximum: int = 10_000, allow_none: bool = True
) -> int | None:
    if value in (None, "") and allow_none:
        return None
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        value = int(value.strip())
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool) or not minimum <= value <= maximum:
        ctx.add(
            "integer", _("Expected a whole number from %(a)d to %(b)d.") % {"a": minimum, "b": maximum}, path
        )
        return None
    return value


def _days(ctx: _Ctx, value: Any, path: str) -> int | str | None:
    """A number of working days, or a reference ``param:key`` to an item parameter."""
    if isinstance(value, str) and value.startswith("param:"):
        if not KEY_RE.match(value[6:]):
            ctx.add("param_ref", _("Malformed parameter reference “%(v)s”.") % {"v": value}, path)
        return value
    return _int(ctx, value, path, minimum=0, maximum=3650)


def _decimal(ctx: _Ctx, value: Any, path: str, *, allow_none: bool = True) -> str | None:
    if value in (None, "") and allow_none:
        return None
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        ctx.add("number", _("Expected a number."), path)
        return None
    if not number.is_finite() or abs(number) >= Decimal("1e12"):
        ctx.add("number", _("Expected a finite number below one trillion."), path)
        return None
    return format_decimal(number)


def _list_of_text(ctx: _Ctx, value: Any, path: str) -> list[str]:
    if value in (None, ""):
        return []
    if isinstance(value, str):
        return [v.strip() for v in value.split("\n") if v.strip()]
    if not isinstance(value, list) or not all(isinstance(v, (str, int)) for v in value):
        ctx.add("type", _("Expected a list of text."), path)
        return []
    return [str(v).strip() for v in value if str(v).strip()]


def _list(ctx: _Ctx, value: Any, path: str) -> list:
    if value in (None, ""):
        return []
    if not isinstance(value, list):
        ctx.add("type", _("Expected a list."), path)
        return []
    return value


def _dict(ctx: _Ctx, value: Any, path: str) -> dict:
    if value in (None, ""):
        return {}
    if not isinstance(value, dict):
        ctx.add("type", _("Expected a mapping."), path)
        return {}
    return value


def _unique(ctx: _Ctx, values: list[tuple[str, str]], what: str) -> None:
    seen: dict[str, str] = {}
    for value, path in values:
        if value in seen:
            ctx.add(
                "duplicate_code",
                _("Duplicate %(what)s “%(value)s” (first at %(first)s).")
                % {"what": what, "value": value, "first": seen[value]},
                path,
            )
        else:
            seen[value] = path


def _code(ctx: _Ctx, data: dict, key: str, path: str, regex: re.Pattern = CODE_RE) -> str:
    value = _text(ctx, data, key, path, required=True, max_len=40)
    if value and not regex.match(value):
        ctx.add(
            "code_format",
            _("“%(value)s” is not a valid code (letters, digits, - _ .).") % {"value": value},
            f"{path}.{key}",
        )
    return value


def _role(ctx: _Ctx, data: dict, key: str, path: str, *, required: bool = True) -> str:
    value = _text(ctx, data, key, path, required=required, max_len=32)
    if value and not is_known_role(value):
        ctx.add("unknown_role", _("Unknown role “%(role)s”.") % {"role": value}, f"{path}.{key}")
    return value


def normalize_risk_matrix(ctx: _Ctx, value: Any, path: str) -> dict:
    if value in (None, ""):
        return {k: [list(r) if isinstance(r, list) else r for r in v] for k, v in DEFAULT_RISK_MATRIX.items()}
    matrix = _dict(ctx, value, path)
    likelihood = _list_of_text(ctx, matrix.get("likelihood"), f"{path}.likelihood")
    impact = _list_of_text(ctx, matrix.get("impact"), f"{path}.impact")
    levels = _list(ctx, matrix.get("levels"), f"{path}.levels")
    if not (2 <= len(likelihood) <= 5 and 2 <= len(impact) <= 5):
        ctx.add("risk_matrix", _("The risk matrix needs 2 to 5 likelihood and impact labels."), path)
    ok = len(levels) == len(likelihood) and all(
        isinstance(row, list) and len(row) == len(impact) and all(c in RiskLevel.values for c in row)
        for row in levels
    )
    if not ok:
        ctx.add(
            "risk_matrix",
            _("levels must be a likelihood × impact grid of high/medium/low."),
            f"{path}.levels",
        )
    return {"likelihood": likelihood, "impact": impact, "levels": levels}


def risk_level(matrix: dict, likelihood: int, impact: int) -> str:
    return matrix["levels"][likelihood - 1][impact - 1]


def normalize_document(data: Any) -> tuple[dict, list[Problem]]:
    """Return (canonical document, problems). The document is only usable when problems is empty."""
    ctx = _Ctx()
    if not isinstance(data, dict):
        return {}, [Problem("type", _("The catalog file must be a mapping with catalog and items."), "")]
    if data.get("format") != FORMAT:
        ctx.add("format", _("format must be “%(fmt)s”.") % {"fmt": FORMAT}, "format")
    unknown = sorted(set(data) - {"format", "catalog", "items", "responsibilities", "negative_list"})
    for key in unknown:
        ctx.add("unknown_key", _("Unknown section “%(key)s”.") % {"key": key}, key)
    cat = _dict(ctx, data.get("catalog"), "catalog")
    catalog = {
        "code": _code(ctx, cat, "code", "catalog"),
        "name": _text(ctx, cat, "name", "catalog", required=True, max_len=200),
        "version": _int(
            ctx, cat.get("version", 1), "catalog.version", minimum=1, maximum=100_000, allow_none=False
        )
        or 1,
        "description": _text(ctx, cat, "description", "catalog", max_len=4000),
        "risk_matrix": normalize_risk_matrix(ctx, cat.get("risk_matrix"), "catalog.risk_matrix"),
    }
    raw_items = _list(ctx, data.get("items"), "items")
    if not raw_items:
        ctx.add("no_items", _("The catalog has no items."), "items")
    if len(raw_items) > MAX_ITEMS:
        ctx.add("too_many", _("At most %(n)d items.") % {"n": MAX_ITEMS}, "items")
        raw_items = raw_items[:MAX_ITEMS]
    items = [_item(ctx, raw, f"items[{i}]", catalog["risk_matrix"]) for i, raw in enumerate(raw_items)]
    _unique(ctx, [(it["code"], f"items[{i}].code") for i, it in enumerate(items)], _("item code"))

    responsibilities = []
    for i, raw in enumerate(_list(ctx, data.get("responsibilities"), "responsibilities")):
        path = f"responsibilities[{i}]"
        raw = _dict(ctx, raw, path)
        responsibilities.append(
            {
                "code": _code(ctx, raw, "code", path),
                "role": _role(ctx, raw, "role", path),
                "duty": _text(ctx, raw, "duty", path, required=True),
                "basis": _text(ctx, raw, "basis", path, max_len=500),
            }
        )
    _unique(
        ctx,
        [(r["code"], f"responsibilities[{i}].code") for i, r in enumerate(responsibilities)],
        _("responsibility code"),
    )
    negative = []
    for i, raw in enumerate(_list(ctx, data.get("negative_list"), "negative_list")):
        path = f"negative_list[{i}]"
        raw = _dict(ctx, raw, path)
        negative.append(
            {
                "code": _code(ctx, raw, "code", path),
                "text": _text(ctx, raw, "text", path, required=True),
                "basis": _text(ctx, raw, "basis", path, max_len=500),
                "consequence": _text(ctx, raw, "consequence", path, max_len=500),
            }
        )
    _unique(
        ctx,
        [(r["code"], f"negative_list[{i}].code") for i, r in enumerate(negative)],
        _("negative-list code"),
    )
    document = {
        "format": FORMAT,
        "catalog": catalog,
        "items": items,
        "responsibilities": responsibilities,
        "negative_list": negative,
    }
    return document, ctx.problems


def _item(ctx: _Ctx, raw: Any, path: str, matrix: dict) -> dict:
    raw = _dict(ctx, raw, path)
    guide = _dict(ctx, raw.get("guide"), f"{path}.guide")
    item: dict[str, Any] = {
        "code": _code(ctx, raw, "code", path),
        "name": _text(ctx, raw, "name", path, required=True, max_len=200),
        "group": _choice(ctx, raw, "group", path, ItemGroup.values),
        "category": _choice(ctx, raw, "category", path, ItemCategory.values),
        "summary": _text(ctx, raw, "summary", path),
        "legal_basis": [],
        "responsible_role": _role(ctx, raw, "responsible_role", path),
        "time_limit_days": _days(ctx, raw.get("time_limit_days"), f"{path}.time_limit_days"),
        "disclosure": _text(ctx, raw, "disclosure", path),
        "guide": {
            "contact": _text(ctx, guide, "contact", f"{path}.guide", max_len=500),
            "materials": _list_of_text(ctx, guide.get("materials"), f"{path}.guide.materials"),
            "duration": _text(ctx, guide, "duration", f"{path}.guide", max_len=500),
        },
        "parameters": [],
        "variables": [],
        "flow": {},
        "risks": [],
    }
    for j, basis in enumerate(_list(ctx, raw.get("legal_basis"), f"{path}.legal_basis")):
        bpath = f"{path}.legal_basis[{j}]"
        basis = _dict(ctx, basis, bpath)
        item["legal_basis"].append(
            {
                "title": _text(ctx, basis, "title", bpath, required=True, max_len=200),
                "article": _text(ctx, basis, "article", bpath, max_len=200),
            }
        )
    params: dict[str, str] = {}
    for j, p in enumerate(_list(ctx, raw.get("parameters"), f"{path}.parameters")):
        ppath = f"{path}.parameters[{j}]"
        p = _dict(ctx, p, ppath)
        param = {
            "key": _code(ctx, p, "key", ppath, KEY_RE),
            "label": _text(ctx, p, "label", ppath, required=True, max_len=100),
            "kind": _choice(ctx, p, "kind", ppath, ParamKind.values),
            "default": _decimal(ctx, p.get("default"), f"{ppath}.default", allow_none=False),
            "min": _decimal(ctx, p.get("min"), f"{ppath}.min"),
            "max": _decimal(ctx, p.get("max"), f"{ppath}.max"),
            "unit": _text(ctx, p, "unit", ppath, max_len=20),
            "override": _choice(ctx, p, "override", ppath, OverrideLevel.values, default=OverrideLevel.NONE),
            "illustrative": bool(p.get("illustrative", True))
            if not isinstance(p.get("illustrative"), str)
            else p.get("illustrative", "").lower() in {"true", "1", "yes"},
        }
        _check_param_bounds(ctx, param, ppath)
        if param["key"] in params:
            ctx.add(
                "duplicate_code", _("Duplicate parameter “%(key)s”.") % {"key": param["key"]}, f"{ppath}.key"
            )
        params[param["key"]] = param["kind"]
        item["parameters"].append(param)
    variables: dict[str, str] = {}
    for j, v in enumerate(_list(ctx, raw.get("variables"), f"{path}.variables")):
        vpath = f"{path}.variables[{j}]"
        v = _dict(ctx, v, vpath)
        var = {
            "name": _code(ctx, v, "name", vpath, KEY_RE),
            "type": _choice(ctx, v, "type", vpath, VarType.values),
            "label": _text(ctx, v, "label", vpath, required=True, max_len=100),
        }
        if var["name"] == "params":
            ctx.add("reserved", _("'params' is reserved for item parameters."), f"{vpath}.name")
        if var["name"] in variables:
            ctx.add(
                "duplicate_code", _("Duplicate variable “%(name)s”.") % {"name": var["name"]}, f"{vpath}.name"
            )
        variables[var["name"]] = var["type"]
        item["variables"].append(var)
    ref = param_ref(item["time_limit_days"])
    if ref is not None and ref not in params:
        ctx.add(
            "unknown_parameter",
            _("time_limit_days refers to undeclared parameter “%(key)s”.") % {"key": ref},
            f"{path}.time_limit_days",
        )

    risk_codes: set[str] = set()
    raw_risks = _list(ctx, raw.get("risks"), f"{path}.risks")
    for j, r in enumerate(raw_risks):
        rpath = f"{path}.risks[{j}]"
        r = _dict(ctx, r, rpath)
        risk = {
            "code": _code(ctx, r, "code", rpath),
            "step": _text(ctx, r, "step", rpath, max_len=40),
            "description": _text(ctx, r, "description", rpath, required=True),
            "likelihood": _int(
                ctx,
                r.get("likelihood"),
                f"{rpath}.likelihood",
                minimum=1,
                maximum=len(matrix["likelihood"]) or 1,
                allow_none=False,
            )
            or 1,
            "impact": _int(
                ctx,
                r.get("impact"),
                f"{rpath}.impact",
                minimum=1,
                maximum=len(matrix["impact"]) or 1,
                allow_none=False,
            )
            or 1,
            "controls": [],
        }
        for k, c in enumerate(_list(ctx, r.get("controls"), f"{rpath}.controls")):
            cpath = f"{rpath}.controls[{k}]"
            c = _dict(ctx, c, cpath)
            risk["controls"].append(
                {
                    "measure": _text(ctx, c, "measure", cpath, required=True),
                    "role": _role(ctx, c, "role", cpath),
                    "evidence": _text(ctx, c, "evidence", cpath, max_len=500),
                }
            )
        if not risk["controls"]:
            ctx.add(
                "no_controls",
                _("Risk “%(code)s” has no control; every risk needs at least one.") % {"code": risk["code"]},
                f"{rpath}.controls",
            )
        if risk["code"] in risk_codes:
            ctx.add(
                "duplicate_code",
                _("Duplicate risk code “%(code)s”.") % {"code": risk["code"]},
                f"{rpath}.code",
            )
        risk_codes.add(risk["code"])
        item["risks"].append(risk)

    flow = _dict(ctx, raw.get("flow"), f"{path}.flow")
    steps = []
    raw_steps = _list(ctx, flow.get("steps"), f"{path}.flow.steps")
    if len(raw_steps) > MAX_STEPS:
        ctx.add("too_many", _("At most %(n)d steps.") % {"n": MAX_STEPS}, f"{path}.flow.steps")
        raw_steps = raw_steps[:MAX_STEPS]
    for j, s in enumerate(raw_steps):
        spath = f"{path}.flow.steps[{j}]"
        s = _dict(ctx, s, spath)
        kind = _choice(ctx, s, "kind", spath, StepKind.values)
        step = {
            "key": _code(ctx, s, "key", spath, KEY_RE),
            "name": _text(ctx, s, "name", spath, required=True, max_len=200),
            "kind": kind,
            "role": _text(ctx, s, "role", spath, max_len=32),
            "deadline_days": _days(ctx, s.get("deadline_days"), f"{spath}.deadline_days"),
            "notice_days": _days(ctx, s.get("notice_days"), f"{spath}.notice_days"),
            "documents": _list_of_text(ctx, s.get("documents"), f"{spath}.documents"),
            "vote": None,
            "description": _text(ctx, s, "description", spath),
            "risks": _list_of_text(ctx, s.get("risks"), f"{spath}.risks"),
        }
        vote = s.get("vote")
        if vote not in (None, "", {}):
            vote = _dict(ctx, vote, f"{spath}.vote")
            step["vote"] = {
                "body": str(vote.get("body") or ""),
                "quorum": str(vote.get("quorum") or ""),
                "quorum_rule": str(vote.get("quorum_rule") or CompareRule.GTE),
                "threshold": str(vote.get("threshold") or ""),
                "threshold_rule": str(vote.get("threshold_rule") or CompareRule.GT),
                "threshold_base": str(vote.get("threshold_base") or VoteBase.PRESENT),
            }
        steps.append(step)
    transitions = []
    for j, t in enumerate(_list(ctx, flow.get("transitions"), f"{path}.flow.transitions")):
        tpath = f"{path}.flow.transitions[{j}]"
        t = _dict(ctx, t, tpath)
        default = t.get("default", False)
        if isinstance(default, str):
            default = default.strip().lower() in {"true", "1", "yes"}
        transitions.append(
            {
                "from": _text(ctx, t, "from", tpath, required=True, max_len=40),
                "to": _text(ctx, t, "to", tpath, required=True, max_len=40),
                "guard": _text(ctx, t, "guard", tpath, max_len=500),
                "default": bool(default),
                "priority": _int(
                    ctx, t.get("priority", 0), f"{tpath}.priority", minimum=0, maximum=1000, allow_none=False
                )
                or 0,
                "label": _text(ctx, t, "label", tpath, max_len=100),
            }
        )
    item["flow"] = {
        "start": _text(ctx, flow, "start", f"{path}.flow", required=True, max_len=40),
        "steps": steps,
        "transitions": transitions,
    }
    if not ctx.problems or all(not p.path.startswith(path + ".") for p in ctx.problems):
        # Graph rules only make sense once the item itself is well-formed.
        ctx.problems.extend(
            check_flow(
                item["flow"], variables=variables, params=params, risk_codes=risk_codes, path=f"{path}.flow"
            )
        )
    step_keys = {s["key"] for s in steps}
    _link_risks(ctx, item, path)
    for j, risk in enumerate(item["risks"]):
        if risk["step"] and risk["step"] not in step_keys:
            ctx.add(
                "unknown_step",
                _("Risk “%(code)s” is attached to unknown step “%(step)s”.")
                % {"code": risk["code"], "step": risk["step"]},
                f"{path}.risks[{j}].step",
            )
    return item


def _link_risks(ctx: _Ctx, item: dict, path: str) -> None:
    """A risk's step may be given on the risk (``step``) or on the step (``risks``); the canonical
    form carries both, consistently, with each step's list in the order of the item's risks."""
    listed: dict[str, str] = {}
    for j, step in enumerate(item["flow"]["steps"]):
        for code in step["risks"]:
            if code in listed and listed[code] != step["key"]:
                ctx.add(
                    "risk_step_conflict",
                    _("Risk “%(code)s” is linked to two steps.") % {"code": code},
                    f"{path}.flow.steps[{j}].risks",
                )
            listed.setdefault(code, step["key"])
    for j, risk in enumerate(item["risks"]):
        if risk["code"] in listed:
            if risk["step"] and risk["step"] != listed[risk["code"]]:
                ctx.add(
                    "risk_step_conflict",
                    _("Risk “%(code)s” names step “%(a)s” but step “%(b)s” lists it.")
                    % {"code": risk["code"], "a": risk["step"], "b": listed[risk["code"]]},
                    f"{path}.risks[{j}].step",
                )
            risk["step"] = risk["step"] or listed[risk["code"]]
    by_step: dict[str, list[str]] = {}
    for risk in item["risks"]:
        if risk["step"]:
            by_step.setdefault(risk["step"], []).append(risk["code"])
    for step in item["flow"]["steps"]:
        unknown = [c for c in step["risks"] if c not in {r["code"] for r in item["risks"]}]
        step["risks"] = by_step.get(step["key"], []) + unknown


def normalize_item(raw: Any, matrix: dict | None = None) -> tuple[dict, list[Problem]]:
    """Normalize one item on its own (the flow editor's live preview)."""
    ctx = _Ctx()
    matrix = matrix or normalize_risk_matrix(ctx, None, "")
    item = _item(ctx, raw, "item", matrix)
    return item, ctx.problems


def _check_param_bounds(ctx: _Ctx, param: dict, path: str) -> None:
    values = {k: Decimal(param[k]) for k in ("default", "min", "max") if param[k] is not None}
    if param["kind"] in (ParamKind.INT, ParamKind.DAYS):
        for k, v in values.items():
            if v != v.to_integral_value():
                ctx.add(
                    "integer",
                    _("%(field)s must be a whole number for this kind.") % {"field": k},
                    f"{path}.{k}",
                )
    if "min" in values and "max" in values and values["min"] > values["max"]:
        ctx.add("bounds", _("min is above max."), path)
    if "default" in values:
        if "min" in values and values["default"] < values["min"]:
            ctx.add("bounds", _("The default is below min."), f"{path}.default")
        if "max" in values and values["default"] > values["max"]:
            ctx.add("bounds", _("The default is above max."), f"{path}.default")
    if param["override"] != OverrideLevel.NONE and ("min" not in values or "max" not in values):
        ctx.add("bounds_required", _("A parameter others may adjust needs both min and max."), path)


def content_hash(document: dict) -> str:
    """SHA-256 over the RFC 8785 canonical JSON of the document."""
    return hashlib.sha256(rfc8785.dumps(document)).hexdigest()


def item_hash(item: dict) -> str:
    return hashlib.sha256(rfc8785.dumps(item)).hexdigest()
