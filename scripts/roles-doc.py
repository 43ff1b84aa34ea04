"""Print the permission and role tables of docs/roles.md from sunlit/accounts/roles.py.

Usage: uv run python scripts/roles-doc.py  (paste between the generated-table markers)
"""

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")

import django

django.setup()

from django.utils import translation  # noqa: E402

from sunlit.accounts.roles import ROLE_LEVELS, ROLE_PERMS, Perm, Role  # noqa: E402

CHINESE = {
    "village_secretary": "村党组织书记",
    "village_chair": "村委会主任",
    "village_committee": "村两委委员",
    "village_accountant": "会计",
    "village_clerk": "报账员",
    "village_supervisor": "村务监督委员会",
    "integrity_monitor": "廉情监督员",
    "township_leader": "乡镇党委/政府领导",
    "township_discipline": "乡镇纪委",
    "township_reviewer": "乡镇审核人员",
    "township_liaison": "包村干部",
    "county_discipline": "县纪委监委",
    "county_department": "县直部门 (民政、农业农村…)",
    "system_admin": "系统管理员",
    "security_admin": "安全保密管理员",
    "audit_admin": "安全审计员",
    "applicant": "申请人（村民; not in the code)",
}
LEVEL_ORDER = ["province", "city", "county", "township", "village"]


def main() -> None:
    with translation.override("en"):
        print("| Key | Meaning |")
        print("|---|---|")
        for perm in Perm:
            print(f"| `{perm.value}` | {perm.label} |")
        print()
        print("| Key | 中文 | English label | Held at (region level) | Permissions |")
        print("|---|---|---|---|---|")
        order = [p.value for p in Perm]
        for role in Role:
            levels = ROLE_LEVELS.get(role.value)
            held = ", ".join(lv for lv in LEVEL_ORDER if levels and lv in levels) or "not assignable"
            perms = sorted(ROLE_PERMS.get(role.value, ()), key=order.index)
            cell = ", ".join(f"`{p}`" for p in perms) or "—"
            print(f"| `{role.value}` | {CHINESE[role.value]} | {role.label} | {held} | {cell} |")


if __name__ == "__main__":
    main()
