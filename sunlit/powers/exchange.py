"""Catalog files: YAML and XLSX to and from the catalog document (docs/catalog-format.md).

Readers return ``(raw_document, origins)`` where ``origins`` maps document paths such as
``items[2].flow.steps[1]`` to where they came from in the file (sheet and line), so every
problem found later by ``normalize_document`` is reported against a line of the file.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import yaml
from django.utils.translation import gettext as _

from sunlit.core.tabular import (
    ImportRejected,
    RowError,
    Table,
    check_columns,
    detect_format,
    read_tables,
    write_xlsx,
)

from .flowcheck import Problem

Origins = dict[str, tuple[str, int]]

# --- YAML -------------------------------------------------------------------------------------------


# libyaml's C parser when PyYAML was built with it (about ten times faster), else the pure-Python one.
_BaseSafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _SafeLoader(_BaseSafeLoader):  # type: ignore[misc, valid-type]
    """SafeLoader without implicit timestamps (dates stay text) and without aliases bombs."""


_SafeLoader.yaml_implicit_resolvers = {
    k: [(tag, rx) for tag, rx in v if tag != "tag:yaml.org,2002:timestamp"]
    for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def read_yaml(data: bytes) -> tuple[Any, Origins]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImportRejected([RowError(0, _("A catalog YAML file must be UTF-8 text."))]) from None
    try:
        # Compose once, check the node graph, then construct from the same nodes (no second parse).
        loader = _SafeLoader(text)
        try:
            node = loader.get_single_node()
            if node is not None and _has_alias_blowup(node):
                raise ImportRejected([RowError(0, _("YAML aliases are not allowed in catalog files."))])
            loaded = loader.construct_document(node) if node is not None else None
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else 0
        raise ImportRejected(
            [RowError(line, _("YAML syntax error: %(err)s") % {"err": exc.problem})]
        ) from None
    except yaml.YAMLError as exc:
        raise ImportRejected([RowError(0, _("YAML error: %(err)s") % {"err": exc})]) from None
    origins: Origins = {}
    if node is not None:
        _walk_node(node, "", origins)
    return loaded, origins


def _has_alias_blowup(node: yaml.Node) -> bool:
    seen: set[int] = set()
    stack = [node]
    while stack:
        current = stack.pop()
        if id(current) in seen:
            return True  # the same node reached twice: an alias
        seen.add(id(current))
        if isinstance(current, yaml.MappingNode):
            for key, value in current.value:
                stack.extend([key, value])
        elif isinstance(current, yaml.SequenceNode):
            stack.extend(current.value)
    return False


def _walk_node(node: yaml.Node, path: str, origins: Origins) -> None:
    origins[path] = ("", node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            sub = f"{path}.{key.value}" if path else str(key.value)
            origins[sub] = ("", key.start_mark.line + 1)
            _walk_node(value, sub, origins)
            origins[sub] = ("", key.start_mark.line + 1)
    elif isinstance(node, yaml.SequenceNode):
        for i, value in enumerate(node.value):
            _walk_node(value, f"{path}[{i}]", origins)


def dump_yaml(document: dict) -> str:
    return yaml.dump(
        document, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=120, default_flow_style=False
    )


class _Dumper(yaml.SafeDumper):
    def ignore_aliases(self, data: Any) -> bool:
        return True


def _str_presenter(dumper: yaml.SafeDumper, data: str) -> yaml.Node:
    style = "|" if "\n" in data else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


_Dumper.add_representer(str, _str_presenter)

# --- XLSX -------------------------------------------------------------------------------------------

SHEETS: dict[str, tuple[str, ...]] = {
    "Catalog": (
        "format",
        "code",
        "name",
        "version",
        "description",
        "risk_likelihood",
        "risk_impact",
        "risk_levels",
    ),
    "Items": (
        "code",
        "name",
        "group",
        "category",
        "summary",
        "responsible_role",
        "time_limit_days",
        "disclosure",
        "guide_contact",
        "guide_materials",
        "guide_duration",
        "legal_basis",
        "start_step",
    ),
    "Parameters": (
        "item",
        "key",
        "label",
        "kind",
        "default",
        "min",
        "max",
        "unit",
        "override",
        "illustrative",
    ),
    "Variables": ("item", "name", "type", "label"),
    "Steps": (
        "item",
        "key",
        "name",
        "kind",
        "role",
        "deadline_days",
        "notice_days",
        "documents",
        "vote_body",
        "quorum",
        "quorum_rule",
        "threshold",
        "threshold_rule",
        "threshold_base",
        "risks",
        "description",
    ),
    "Transitions": ("item", "from", "to", "guard", "default", "priority", "label"),
    "Risks": ("item", "code", "step", "description", "likelihood", "impact"),
    "Controls": ("item", "risk", "measure", "role", "evidence"),
    "Responsibilities": ("code", "role", "duty", "basis"),
    "NegativeList": ("code", "text", "basis", "consequence"),
}


def _lines(values: list[str]) -> str:
    return "\n".join(values)


def _basis_cell(basis: list[dict]) -> str:
    return "\n".join(f"{b['title']}|{b['article']}" if b["article"] else b["title"] for b in basis)


def document_to_xlsx(document: dict) -> bytes:
    cat = document["catalog"]
    matrix = cat["risk_matrix"]
    sheets: list[tuple[str, tuple[str, ...], Iterable[list[Any]]]] = [
        (
            "Catalog",
            SHEETS["Catalog"],
            [
                [
                    document["format"],
                    cat["code"],
                    cat["name"],
                    cat["version"],
                    cat["description"],
                    _lines(matrix["likelihood"]),
                    _lines(matrix["impact"]),
                    _lines([",".join(row) for row in matrix["levels"]]),
                ]
            ],
        )
    ]
    items, params, variables, steps, transitions, risks, controls = [], [], [], [], [], [], []
    for it in document["items"]:
        code = it["code"]
        items.append(
            [
                code,
                it["name"],
                it["group"],
                it["category"],
                it["summary"],
                it["responsible_role"],
                it["time_limit_days"],
                it["disclosure"],
                it["guide"]["contact"],
                _lines(it["guide"]["materials"]),
                it["guide"]["duration"],
                _basis_cell(it["legal_basis"]),
                it["flow"]["start"],
            ]
        )
        for p in it["parameters"]:
            params.append(
                [
                    code,
                    p["key"],
                    p["label"],
                    p["kind"],
                    p["default"],
                    p["min"],
                    p["max"],
                    p["unit"],
                    p["override"],
                    "true" if p["illustrative"] else "false",
                ]
            )
        for v in it["variables"]:
            variables.append([code, v["name"], v["type"], v["label"]])
        for s in it["flow"]["steps"]:
            vote = s["vote"] or {}
            steps.append(
                [
                    code,
                    s["key"],
                    s["name"],
                    s["kind"],
                    s["role"],
                    s["deadline_days"],
                    s["notice_days"],
                    _lines(s["documents"]),
                    vote.get("body", ""),
                    vote.get("quorum", ""),
                    vote.get("quorum_rule", ""),
                    vote.get("threshold", ""),
                    vote.get("threshold_rule", ""),
                    vote.get("threshold_base", ""),
                    _lines(s["risks"]),
                    s["description"],
                ]
            )
        for t in it["flow"]["transitions"]:
            transitions.append(
                [
                    code,
                    t["from"],
                    t["to"],
                    t["guard"],
                    "true" if t["default"] else "false",
                    t["priority"],
                    t["label"],
                ]
            )
        for r in it["risks"]:
            risks.append([code, r["code"], r["step"], r["description"], r["likelihood"], r["impact"]])
            for c in r["controls"]:
                controls.append([code, r["code"], c["measure"], c["role"], c["evidence"]])
    sheets += [
        ("Items", SHEETS["Items"], items),
        ("Parameters", SHEETS["Parameters"], params),
        ("Variables", SHEETS["Variables"], variables),
        ("Steps", SHEETS["Steps"], steps),
        ("Transitions", SHEETS["Transitions"], transitions),
        ("Risks", SHEETS["Risks"], risks),
        ("Controls", SHEETS["Controls"], controls),
        (
            "Responsibilities",
            SHEETS["Responsibilities"],
            [[r["code"], r["role"], r["duty"], r["basis"]] for r in document["responsibilities"]],
        ),
        (
            "NegativeList",
            SHEETS["NegativeList"],
            [[r["code"], r["text"], r["basis"], r["consequence"]] for r in document["negative_list"]],
        ),
    ]
    return write_xlsx(sheets)


def _split_lines(value: str) -> list[str]:
    return [v.strip() for v in value.split("\n") if v.strip()]


def read_xlsx(data: bytes) -> tuple[dict, Origins]:
    tables = read_tables(data, "catalog.xlsx")
    errors: list[RowError] = []
    for name, columns in SHEETS.items():
        table = tables.get(name)
        if table is None:
            errors.append(RowError(0, _("Missing sheet %(name)s.") % {"name": name}, sheet=name))
            continue
        errors.extend(check_columns(table, columns))
    for name in tables:
        if name not in SHEETS:
            errors.append(RowError(0, _("Unknown sheet %(name)s.") % {"name": name}, sheet=name))
    if errors:
        raise ImportRejected(errors)
    origins: Origins = {}
    cat_rows = tables["Catalog"].rows
    if len(cat_rows) != 1:
        raise ImportRejected(
            [RowError(2, _("The Catalog sheet must have exactly one row."), sheet="Catalog")]
        )
    c = cat_rows[0]
    origins["catalog"] = ("Catalog", c.line)
    origins["format"] = ("Catalog", c.line)
    document: dict[str, Any] = {
        "format": c.get("format"),
        "catalog": {
            "code": c.get("code"),
            "name": c.get("name"),
            "version": c.get("version"),
            "description": c.get("description"),
            "risk_matrix": {
                "likelihood": _split_lines(c.get("risk_likelihood")),
                "impact": _split_lines(c.get("risk_impact")),
                "levels": [[x.strip() for x in row.split(",")] for row in _split_lines(c.get("risk_levels"))],
            }
            if c.get("risk_levels")
            else None,
        },
        "items": [],
        "responsibilities": [],
        "negative_list": [],
    }
    by_code: dict[str, dict] = {}
    index: dict[str, int] = {}
    for row in tables["Items"].rows:
        basis = []
        for line in _split_lines(row.get("legal_basis")):
            title, _sep, article = line.partition("|")
            basis.append({"title": title.strip(), "article": article.strip()})
        item = {
            "code": row.get("code"),
            "name": row.get("name"),
            "group": row.get("group"),
            "category": row.get("category"),
            "summary": row.get("summary"),
            "legal_basis": basis,
            "responsible_role": row.get("responsible_role"),
            "time_limit_days": row.get("time_limit_days") or None,
            "disclosure": row.get("disclosure"),
            "guide": {
                "contact": row.get("guide_contact"),
                "materials": _split_lines(row.get("guide_materials")),
                "duration": row.get("guide_duration"),
            },
            "parameters": [],
            "variables": [],
            "risks": [],
            "flow": {"start": row.get("start_step"), "steps": [], "transitions": []},
        }
        i = len(document["items"])
        if row.get("code") in by_code:
            errors.append(
                RowError(
                    row.line,
                    _("Duplicate item code “%(code)s”.") % {"code": row.get("code")},
                    "code",
                    "Items",
                )
            )
            continue
        by_code[row.get("code")] = item
        index[row.get("code")] = i
        document["items"].append(item)
        origins[f"items[{i}]"] = ("Items", row.line)

    def owner(table: Table, row: Any) -> tuple[dict, int] | None:
        code = row.get("item")
        if code not in by_code:
            errors.append(
                RowError(row.line, _("Unknown item “%(code)s”.") % {"code": code}, "item", table.sheet)
            )
            return None
        return by_code[code], index[code]

    for row in tables["Parameters"].rows:
        found = owner(tables["Parameters"], row)
        if found:
            item, i = found
            origins[f"items[{i}].parameters[{len(item['parameters'])}]"] = ("Parameters", row.line)
            item["parameters"].append(
                {
                    "key": row.get("key"),
                    "label": row.get("label"),
                    "kind": row.get("kind"),
                    "default": row.get("default"),
                    "min": row.get("min") or None,
                    "max": row.get("max") or None,
                    "unit": row.get("unit"),
                    "override": row.get("override"),
                    "illustrative": row.get("illustrative").lower() in {"true", "1", "yes"},
                }
            )
    for row in tables["Variables"].rows:
        found = owner(tables["Variables"], row)
        if found:
            item, i = found
            origins[f"items[{i}].variables[{len(item['variables'])}]"] = ("Variables", row.line)
            item["variables"].append(
                {"name": row.get("name"), "type": row.get("type"), "label": row.get("label")}
            )
    for row in tables["Steps"].rows:
        found = owner(tables["Steps"], row)
        if found:
            item, i = found
            steps = item["flow"]["steps"]
            origins[f"items[{i}].flow.steps[{len(steps)}]"] = ("Steps", row.line)
            vote = None
            if any(row.get(k) for k in ("vote_body", "quorum", "threshold")):
                vote = {
                    "body": row.get("vote_body"),
                    "quorum": row.get("quorum"),
                    "quorum_rule": row.get("quorum_rule"),
                    "threshold": row.get("threshold"),
                    "threshold_rule": row.get("threshold_rule"),
                    "threshold_base": row.get("threshold_base"),
                }
            steps.append(
                {
                    "key": row.get("key"),
                    "name": row.get("name"),
                    "kind": row.get("kind"),
                    "role": row.get("role"),
                    "deadline_days": row.get("deadline_days") or None,
                    "notice_days": row.get("notice_days") or None,
                    "documents": _split_lines(row.get("documents")),
                    "vote": vote,
                    "description": row.get("description"),
                    "risks": _split_lines(row.get("risks")),
                }
            )
    for row in tables["Transitions"].rows:
        found = owner(tables["Transitions"], row)
        if found:
            item, i = found
            trs = item["flow"]["transitions"]
            origins[f"items[{i}].flow.transitions[{len(trs)}]"] = ("Transitions", row.line)
            trs.append(
                {
                    "from": row.get("from"),
                    "to": row.get("to"),
                    "guard": row.get("guard"),
                    "default": row.get("default").lower() in {"true", "1", "yes"},
                    "priority": row.get("priority") or 0,
                    "label": row.get("label"),
                }
            )
    risk_index: dict[tuple[str, str], dict] = {}
    for row in tables["Risks"].rows:
        found = owner(tables["Risks"], row)
        if found:
            item, i = found
            origins[f"items[{i}].risks[{len(item['risks'])}]"] = ("Risks", row.line)
            risk = {
                "code": row.get("code"),
                "step": row.get("step"),
                "description": row.get("description"),
                "likelihood": row.get("likelihood"),
                "impact": row.get("impact"),
                "controls": [],
            }
            item["risks"].append(risk)
            risk_index[(row.get("item"), row.get("code"))] = risk
    for row in tables["Controls"].rows:
        risk = risk_index.get((row.get("item"), row.get("risk")))
        if risk is None:
            errors.append(
                RowError(
                    row.line,
                    _("Unknown risk %(item)s/%(risk)s.") % {"item": row.get("item"), "risk": row.get("risk")},
                    "risk",
                    "Controls",
                )
            )
            continue
        risk["controls"].append(
            {"measure": row.get("measure"), "role": row.get("role"), "evidence": row.get("evidence")}
        )
    for row in tables["Responsibilities"].rows:
        origins[f"responsibilities[{len(document['responsibilities'])}]"] = ("Responsibilities", row.line)
        document["responsibilities"].append({k: row.get(k) for k in SHEETS["Responsibilities"]})
    for row in tables["NegativeList"].rows:
        origins[f"negative_list[{len(document['negative_list'])}]"] = ("NegativeList", row.line)
        document["negative_list"].append({k: row.get(k) for k in SHEETS["NegativeList"]})
    if errors:
        raise ImportRejected(errors)
    return document, origins


def read_catalog_file(data: bytes, filename: str = "") -> tuple[Any, Origins]:
    fmt = detect_format(data, filename)
    if fmt == "xlsx":
        return read_xlsx(data)
    return read_yaml(data)


def problems_to_row_errors(problems: list[Problem], origins: Origins) -> list[RowError]:
    """Attach each problem to the most specific file location known for its path."""
    errors = []
    for problem in problems:
        path = problem.path
        sheet, line = "", 0
        probe = path
        while probe:
            if probe in origins:
                sheet, line = origins[probe]
                break
            cut = max(probe.rfind("."), probe.rfind("["))
            probe = probe[:cut] if cut > 0 else ""
        column = path.rsplit(".", 1)[-1] if "." in path else path
        errors.append(
            RowError(line, f"{problem.message} ({path})" if path else str(problem.message), column, sheet)
        )
    return errors
