"""Small catalog documents for tests, built fresh each call so tests can mutate them."""

import copy

from sunlit.powers.document import FORMAT

_WORKS_ITEM = {
    "code": "PA-03",
    "name": "村级工程项目建设",
    "group": "public_affairs",
    "category": "works_procurement",
    "summary": "村级小型工程的立项、决策、发包与验收。",
    "legal_basis": [{"title": "中华人民共和国村民委员会组织法", "article": "第二十四条"}],
    "responsible_role": "village_chair",
    "time_limit_days": 30,
    "disclosure": "项目决议、发包结果、验收结果公开。",
    "guide": {"contact": "村委会主任", "materials": ["项目申请"], "duration": "30个工作日"},
    "parameters": [
        {
            "key": "tier_amount",
            "label": "需村民代表会议决定的金额",
            "kind": "decimal",
            "default": "50000",
            "min": "10000",
            "max": "200000",
            "unit": "元",
            "override": "township",
            "illustrative": True,
        },
        {
            "key": "notice_days",
            "label": "公示天数",
            "kind": "days",
            "default": "5",
            "min": "5",
            "max": "15",
            "unit": "工作日",
            "override": "village",
            "illustrative": True,
        },
    ],
    "variables": [{"name": "amount", "type": "double", "label": "项目金额（元）"}],
    "flow": {
        "start": "propose",
        "steps": [
            {
                "key": "propose",
                "name": "村党组织提议",
                "kind": "task",
                "role": "village_secretary",
                "deadline_days": 5,
                "documents": ["项目建议书"],
                "risks": ["R1"],
            },
            {
                "key": "consult",
                "name": "两委商议",
                "kind": "approval",
                "role": "village_secretary",
                "deadline_days": 5,
            },
            {
                "key": "vote",
                "name": "村民代表会议决议",
                "kind": "vote",
                "role": "village_chair",
                "deadline_days": 10,
                "vote": {
                    "body": "villager_representatives",
                    "quorum": "2/3",
                    "quorum_rule": "gte",
                    "threshold": "1/2",
                    "threshold_rule": "gt",
                    "threshold_base": "present",
                },
                "risks": ["R2"],
            },
            {
                "key": "notice",
                "name": "决议公示",
                "kind": "public_notice",
                "role": "village_chair",
                "notice_days": "param:notice_days",
            },
            {"key": "done", "name": "办结", "kind": "end"},
        ],
        "transitions": [
            {"from": "propose", "to": "consult"},
            {
                "from": "consult",
                "to": "vote",
                "guard": "amount >= params.tier_amount",
                "priority": 1,
                "label": "大额",
            },
            {"from": "consult", "to": "notice", "default": True, "label": "小额"},
            {"from": "vote", "to": "notice"},
            {"from": "notice", "to": "done"},
        ],
    },
    "risks": [
        {
            "code": "R1",
            "step": "propose",
            "description": "化整为零规避决策程序",
            "likelihood": 3,
            "impact": 3,
            "controls": [
                {"measure": "同一项目累计金额比对", "role": "township_discipline", "evidence": "比对记录"}
            ],
        },
        {
            "code": "R2",
            "step": "vote",
            "description": "会议不足法定人数",
            "likelihood": 1,
            "impact": 2,
            "controls": [{"measure": "签到表上传", "role": "village_supervisor", "evidence": "签到表"}],
        },
    ],
}

_CERT_ITEM = {
    "code": "VS-01",
    "name": "出具证明",
    "group": "villager_services",
    "category": "public_service",
    "summary": "",
    "legal_basis": [],
    "responsible_role": "village_chair",
    "time_limit_days": 3,
    "disclosure": "",
    "guide": {"contact": "村委会", "materials": ["身份证"], "duration": "3个工作日"},
    "parameters": [],
    "variables": [],
    "flow": {
        "start": "apply",
        "steps": [
            {"key": "apply", "name": "村民申请", "kind": "task", "role": "applicant"},
            {"key": "check", "name": "核实", "kind": "approval", "role": "village_chair", "deadline_days": 2},
            {
                "key": "issue",
                "name": "出具并用印",
                "kind": "document",
                "role": "village_chair",
                "deadline_days": 1,
            },
            {"key": "end", "name": "办结", "kind": "end"},
            {"key": "refused", "name": "不予出具", "kind": "end"},
        ],
        "transitions": [
            {"from": "apply", "to": "check"},
            {"from": "check", "to": "issue", "default": True},
            {"from": "check", "to": "refused", "guard": "false", "priority": 1},
            {"from": "issue", "to": "end"},
        ],
    },
    "risks": [
        {
            "code": "R1",
            "step": "issue",
            "description": "审核不严出具虚假证明",
            "likelihood": 2,
            "impact": 2,
            "controls": [{"measure": "用印登记", "role": "village_supervisor", "evidence": "用印登记簿"}],
        },
    ],
}


def small_document():
    return {
        "format": FORMAT,
        "catalog": {"code": "test", "name": "测试清单", "version": 1, "description": ""},
        "items": [copy.deepcopy(_WORKS_ITEM), copy.deepcopy(_CERT_ITEM)],
        "responsibilities": [
            {"code": "D1", "role": "village_secretary", "duty": "主持村级重大事项决策", "basis": ""}
        ],
        "negative_list": [{"code": "N1", "text": "不得化整为零规避决策", "basis": "", "consequence": "追责"}],
    }


def works_flow():
    return copy.deepcopy(_WORKS_ITEM["flow"])
