"""Sample key projects in the 昭通 setting, marked as samples (kept out of the report), for training and demos."""

from __future__ import annotations

SAMPLES = [
    {
        "project": {
            "name": "昭阳工业园区新能源电池材料标准厂房项目",
            "enterprise": "昭通昭阳产业园区开发投资有限公司",
            "contact_name": "王建国",
            "contact_phone": "13908700001",
            "investment_wan": 86000,
            "mode": "parallel",
            "county": "昭阳区",
            "staff": "李明",
        },
        "steps": [
            ("市发展和改革委员会", "企业投资项目备案", 3, 1, "approved"),
            ("市自然资源和规划局", "建设项目用地预审与选址意见书", 20, 2, "received"),
            ("市生态环境局", "建设项目环境影响评价审批", 30, 2, "received"),
            ("市住房和城乡建设局", "建筑工程施工许可", 7, 3, "pending"),
        ],
    },
    {
        "project": {
            "name": "绥江水电站配套铁合金冶炼技改项目",
            "enterprise": "绥江县金江冶金有限责任公司",
            "contact_name": "刘海燕",
            "contact_phone": "13908700002",
            "investment_wan": 42000,
            "mode": "proxy",
            "county": "绥江县",
            "staff": "张华",
        },
        "steps": [
            ("县发展和改革局", "节能审查", 15, 1, "returned"),
            ("市生态环境局", "排污许可", 20, 1, "received"),
            ("市应急管理局", "安全设施设计审查", 20, 2, "pending"),
        ],
    },
    {
        "project": {
            "name": "鲁甸县第二中学教学综合楼建设项目",
            "enterprise": "鲁甸县教育体育局",
            "contact_name": "陈晓梅",
            "contact_phone": "13908700003",
            "investment_wan": 6800,
            "mode": "linked",
            "county": "鲁甸县",
            "staff": "李明",
        },
        "steps": [
            ("县发展和改革局", "政府投资项目可行性研究报告审批", 10, 1, "approved"),
            ("县自然资源局", "建设工程规划许可", 10, 2, "approved"),
            ("县住房和城乡建设局", "施工图审查备案", 5, 3, "received"),
            ("县消防救援大队", "消防设计审查", 15, 3, "received"),
        ],
    },
]


async def seed_samples(service, by: str) -> list[str]:
    """Register the sample projects unless samples exist; returns the codes registered (empty when they did)."""
    if await service.projects.find_one({"sample": True}):
        return []
    codes = []
    for sample in SAMPLES:
        code = (await service.create(sample["project"], by, sample=True))["code"]
        for department, item, workdays, stage, _ in sample["steps"]:
            await service.add_step(code, {"department": department, "item": item, "workdays": workdays, "stage": stage}, by)
        # Move stage by stage so each step is where the sample says (a later stage needs the earlier approved).
        for step_id, (*_, status) in sorted(enumerate(sample["steps"], 1), key=lambda s: s[1][3]):
            if status == "pending":
                continue
            await service.transition(code, step_id, "received", by)
            if status in ("approved", "returned"):
                note = "申请材料缺少能源消费总量测算，请补充后重新提交" if status == "returned" else ""
                await service.transition(code, step_id, status, by, note)
        codes.append(code)
    return codes
