"""Key projects: step rules and due dates, the admin API over HTTP, and the contact in WeChat."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from bot.bookings.workdays import WorkCalendar
from bot.privacy import FieldCipher
from bot.projects.service import ProjectService
from bot.projects.steps import Conflict, NotFound, ProjectError
from tests.test_bookings import admin  # the admin API helper the bookings tests use
from tests.utils import user

PARK = {
    "name": "昭阳工业园区标准厂房建设项目",
    "enterprise": "昭通昭阳产业投资有限公司",
    "contact_name": "王建国",
    "contact_phone": "13987654321",
    "investment_wan": 52000,
    "mode": "parallel",
}


# ---- the domain ----


@pytest.fixture
def clock():
    class Clock:
        now = datetime(2025, 9, 30, 2, 0, tzinfo=UTC)  # Tuesday 10:00 in 昭通, the eve of National Day

    return Clock


@pytest.fixture
def projects(services, clock):
    return ProjectService(services.store, FieldCipher("test-data-key"), WorkCalendar(), clock=lambda: clock.now)


async def test_contact_is_encrypted_at_rest_and_masked(projects, services):
    project = await projects.create(PARK, "李明")
    raw = await services.store.projects.find_one({"code": project["code"]})
    assert "13987654321" not in json.dumps(raw, default=str) and "王建国" not in json.dumps(raw, default=str)
    assert raw["contact"]["phone_masked"] == "139****4321" and raw["contact"]["name_masked"] == "王*国"
    assert projects.contact(raw) == {"name": "王建国", "phone": "13987654321"}


async def test_due_date_counts_working_days_on_the_official_calendar(projects):
    project = await projects.create(PARK, "李明")
    await projects.add_step(project["code"], {"department": "市发展和改革委员会", "item": "项目备案", "workdays": 3}, "李明")
    _, step = await projects.transition(project["code"], 1, "received", "李明")
    # National Day 2025: 1-8 October are off, Saturday 11 October is an adjusted working day (调休).
    assert step["due_date"] == "2025-10-11"


async def test_stages_run_in_order_and_steps_of_a_stage_in_parallel(projects, clock):
    code = (await projects.create(PARK, "李明"))["code"]
    for department, stage in (("市自然资源和规划局", 1), ("市生态环境局", 1), ("市住房和城乡建设局", 2)):
        await projects.add_step(code, {"department": department, "item": "审批", "workdays": 5, "stage": stage}, "李明")
    await projects.transition(code, 1, "received", "李明")
    await projects.transition(code, 2, "received", "李明")  # same stage: in parallel
    with pytest.raises(Conflict, match="stage 1 is not complete"):
        await projects.transition(code, 3, "received", "李明")
    await projects.transition(code, 1, "approved", "李明")
    await projects.transition(code, 2, "returned", "张华", "环评报告缺少噪声监测数据")
    with pytest.raises(Conflict):
        await projects.transition(code, 3, "received", "李明")
    await projects.transition(code, 2, "received", "张华")  # resubmitted
    await projects.transition(code, 2, "approved", "张华")
    project, step = await projects.transition(code, 3, "received", "李明")
    history = [(h.get("from"), h["to"], h["by"]) for h in project["steps"][1]["history"]]
    assert history == [
        (None, "pending", "李明"),
        ("pending", "received", "李明"),
        ("received", "returned", "张华"),
        ("returned", "received", "张华"),
        ("received", "approved", "张华"),
    ]
    assert project["steps"][1]["history"][2]["note"] == "环评报告缺少噪声监测数据"


async def test_illegal_and_malformed_changes_are_refused(projects):
    code = (await projects.create(PARK, "李明"))["code"]
    await projects.add_step(code, {"department": "市发展和改革委员会", "item": "项目备案", "workdays": 3}, "李明")
    with pytest.raises(Conflict, match="pending: it cannot become approved"):
        await projects.transition(code, 1, "approved", "李明")
    await projects.transition(code, 1, "received", "李明")
    with pytest.raises(ProjectError, match="'note'"):
        await projects.transition(code, 1, "returned", "李明")
    with pytest.raises(ProjectError, match="'to' must be one of"):
        await projects.transition(code, 1, "done", "李明")
    with pytest.raises(NotFound):
        await projects.transition(code, 9, "approved", "李明")
    with pytest.raises(ProjectError, match="'workdays'"):
        await projects.add_step(code, {"department": "市发展和改革委员会", "item": "x", "workdays": 0}, "李明")
    with pytest.raises(ProjectError, match="'contact_phone'"):
        await projects.create({**PARK, "contact_phone": "12345"}, "李明")


async def test_report_section_counts_projects_investment_and_steps_on_time(projects, clock):
    from datetime import date, timedelta

    from bot.projects.report import project_section

    park = (await projects.create(PARK, "李明"))["code"]
    await projects.create({**PARK, "name": "盐津水电站配套铁合金厂", "investment_wan": 118000, "mode": "proxy"}, "李明")
    await projects.create({**PARK, "name": "示例项目"}, "李明", sample=True)
    for department in ("市发展和改革委员会", "市生态环境局"):
        await projects.add_step(park, {"department": department, "item": "审批", "workdays": 3}, "李明")
        await projects.transition(park, 1 if department == "市发展和改革委员会" else 2, "received", "李明")
    await projects.transition(park, 1, "approved", "李明")  # the same day: on time
    clock.now += timedelta(days=20)  # due 11 October; approved 20 October: late
    await projects.transition(park, 2, "approved", "李明")
    section = await project_section(projects.store, date(2025, 9, 1), date(2025, 10, 31))
    assert section["received"] == 2 and section["investment_wan"] == 170000 and section["investment_yi"] == 17
    assert section["by_mode"] == {"并联审批": 1, "联动审批": 0, "代办": 1}
    assert section["steps_finished"] == 2 and section["on_time_rate"] == "50.0%（1/2）"
    assert (await project_section(projects.store, date(2025, 11, 1), date(2025, 11, 30)))["received"] == 0


async def test_alerts_reach_the_agent_before_the_due_date_and_supervisors_when_late(projects, services, clock, wechat_api):
    from datetime import timedelta

    from bot.projects.alerts import ProjectAlerts

    staff = services.store.db["staff"]
    await staff.insert_many(
        [
            {"username": "liming", "name": "李明", "role": "agent", "openid": "o_staff_liming"},
            {"username": "zhouli", "name": "周丽", "role": "supervisor", "openid": "o_staff_zhouli"},
        ]
    )
    alerts = ProjectAlerts(projects, services.notifications, staff)
    code = (await projects.create({**PARK, "staff": "李明"}, "李明"))["code"]
    await projects.add_step(code, {"department": "市生态环境局", "item": "环评审批", "workdays": 3}, "李明")
    await projects.transition(code, 1, "received", "李明")  # due Saturday 11 October (调休)
    assert await alerts.sweep() == {"due_soon": 0, "late": 0}
    clock.now = datetime(2025, 10, 10, 1, 0, tzinfo=UTC)  # the working day before
    assert await alerts.sweep() == {"due_soon": 1, "late": 0}
    assert await alerts.sweep() == {"due_soon": 0, "late": 0}  # once per step and due date
    clock.now += timedelta(days=3)
    assert await alerts.sweep() == {"due_soon": 0, "late": 1}
    await services.notifications.drain(timedelta(hours=1))
    # Staff never wrote to the account: the alerts go as template messages (project, step, due date, state).
    to_agent, to_supervisor = wechat_api.state.texts_to("o_staff_liming"), wechat_api.state.texts_to("o_staff_zhouli")
    assert any(code in t and "市生态环境局" in t and "即将到期" in t for t in to_agent)
    assert any(code in t and "已逾期" in t for t in to_supervisor)
    assert not any("已逾期" in t for t in to_agent) and not any("即将到期" in t for t in to_supervisor)


# ---- the admin API ----


async def test_admin_api_registers_a_project_and_moves_its_steps(server):
    code, project = await admin(server, "projects", {**PARK, "county": "昭阳区", "staff": "李明"})
    assert code == 201 and project["code"].startswith("XM") and project["bind_code"].startswith("BD")
    assert project["contact_phone"] == "139****4321"
    path = f"projects/{project['code']}"
    code, step = await admin(
        server, f"{path}/steps", {"department": "市自然资源和规划局", "item": "建设用地规划许可", "workdays": 10}
    )
    assert code == 201 and step["id"] == 1 and step["status"] == "pending" and step["stage"] == 1
    code, _ = await admin(server, f"{path}/steps", {"department": "市生态环境局", "item": "环境影响评价审批", "workdays": 15})
    assert code == 201
    code, moved = await admin(server, f"{path}/steps/1/transition", {"to": "received", "staff": "李明"})
    assert code == 200 and moved["status"] == "received" and moved["due_date"] and moved["days_left"] >= 10
    code, detail = await admin(server, path)
    assert code == 200
    assert [(s["department"], s["status"], s["due_date"] is not None) for s in detail["steps"]] == [
        ("市自然资源和规划局", "received", True),
        ("市生态环境局", "pending", False),
    ]
    assert "bind_code" not in detail


async def test_admin_api_rejects_bad_input_precisely(server):
    code, body = await admin(server, "projects", {**PARK, "mode": "fast"})
    assert code == 400 and "'mode' must be one of ['linked', 'parallel', 'proxy']" in json.dumps(body, ensure_ascii=False)
    code, body = await admin(server, "projects", {**PARK, "investment_wan": "很多"})
    assert code == 400 and "'investment_wan' must be a number" in json.dumps(body, ensure_ascii=False)
    code, body = await admin(server, "projects", {k: v for k, v in PARK.items() if k != "name"})
    assert code == 400 and "'name' is required" in json.dumps(body, ensure_ascii=False)
    code, body = await admin(server, "projects/XM20269999")
    assert code == 404 and "XM20269999" in json.dumps(body)
    code, body = await admin(server, "projects/XM20269999/steps", {"department": "a", "item": "b", "workdays": 3})
    assert code == 404
    _, project = await admin(server, "projects", PARK)
    path = f"projects/{project['code']}"
    code, body = await admin(server, f"{path}/steps", {"department": "市生态环境局", "item": "环评", "workdays": "五"})
    assert code == 400 and "'workdays' must be a whole number" in json.dumps(body, ensure_ascii=False)
    await admin(server, f"{path}/steps", {"department": "市生态环境局", "item": "环评", "workdays": 5})
    code, body = await admin(server, f"{path}/steps/1/transition", {"to": "approved", "staff": "李明"})
    assert code == 409 and "cannot become approved" in json.dumps(body)
    code, body = await admin(server, f"{path}/steps/1/transition", {"to": "received"})
    assert code == 400 and "'staff'" in json.dumps(body)
    code, body = await admin(server, f"{path}/steps/7/transition", {"to": "received", "staff": "李明"})
    assert code == 404
    code, body = await admin(server, "projects", PARK, token={"Authorization": "Bearer wrong"})
    assert code == 401


# ---- the contact in WeChat ----


async def test_contact_binds_asks_progress_and_hears_of_each_change(server, services, wechat_api):
    _, project = await admin(server, "projects", PARK)
    path = f"projects/{project['code']}"
    await admin(server, f"{path}/steps", {"department": "市自然资源和规划局", "item": "建设用地规划许可", "workdays": 10})
    await admin(server, f"{path}/steps", {"department": "市生态环境局", "item": "环境影响评价审批", "workdays": 15})
    contact = user(server, "o_enterprise_wang")
    assert "还没有绑定项目" in await contact.say("项目进度")
    assert "绑定码不对" in await contact.say("BDZZZZZZ")
    reply = await contact.say(project["bind_code"].lower())
    assert "绑定成功" in reply and PARK["name"] in reply
    assert "绑定码不对" in await user(server, "o_someone_else").say(project["bind_code"])  # one-time
    progress = await contact.say("我们项目审批到哪了")
    assert "市自然资源和规划局" in progress and "市生态环境局" in progress and progress.count("待受理") == 2
    await admin(server, f"{path}/steps/1/transition", {"to": "received", "staff": "李明"})
    await admin(server, f"{path}/steps/2/transition", {"to": "received", "staff": "李明"})
    await services.notifications.drain()
    await admin(server, f"{path}/steps/1/transition", {"to": "approved", "staff": "李明"})
    await services.notifications.drain()
    told = "\n".join(wechat_api.state.texts_to("o_enterprise_wang"))
    assert "市自然资源和规划局 建设用地规划许可：已办结" in told and "预计" in told
    progress = await contact.say("项目进度")
    assert "市自然资源和规划局 建设用地规划许可：已办结" in progress
    assert "市生态环境局 环境影响评价审批：办理中，预计" in progress
    # An item question from the same contact is still answered as a service question.
    assert "还没有绑定项目" not in await contact.say("建设项目环评审批需要什么材料")
