"""The 重点项目 console pages in a real Chromium: register, add parallel steps, move them, see the timeline."""

from __future__ import annotations

from datetime import timedelta

from bot.projects.views import project_view
from tests.console_utils import ARTIFACTS, LAPTOP, PHONE, login, make_staff, new_page, shoot


async def test_supervisor_registers_a_project_and_runs_its_steps(server, services, browser):
    await make_staff(services, "zhouli", "supervisor")
    page = await new_page(browser, PHONE)
    await login(page, server, "zhouli")
    await page.click("nav >> text=重点项目")
    await page.click("text=登记新项目")
    await page.fill("input[name=name]", "昭通市第三中学教学楼建设项目")
    await page.fill("input[name=enterprise]", "昭通市教育体育局")
    await page.fill("input[name=contact_name]", "陈晓梅")
    await page.fill("input[name=contact_phone]", "1388709")  # too short: refused, the form keeps what was typed
    await page.fill("input[name=investment_wan]", "8600")
    await page.select_option("#new-project select[name=mode]", "linked")
    await page.fill("input[name=county]", "昭阳区")
    await page.click("#new-project button[type=submit]")
    assert "contact_phone" in await page.inner_text("#error")
    assert await page.input_value("input[name=name]") == "昭通市第三中学教学楼建设项目"
    await page.fill("input[name=contact_phone]", "13887091234")
    await page.click("#new-project button[type=submit]")
    await page.wait_for_url("**/console/projects/XM*")
    code = page.url.rsplit("/", 1)[1]
    facts = await page.inner_text("#facts")
    assert "138****1234" in facts and "13887091234" not in facts and "0.86 亿元" in facts
    assert (await page.inner_text("#bind-code")).startswith("BD")
    for department, item in (("市自然资源和规划局", "建设工程规划许可"), ("市住房和城乡建设局", "施工图审查备案")):
        if not await page.is_visible("#add-step input[name=department]"):
            await page.click("#add-step summary")
        await page.fill("#add-step input[name=department]", department)
        await page.fill("#add-step input[name=item]", item)
        await page.fill("#add-step input[name=workdays]", "5")
        await page.click("#add-step button[type=submit]")
        await page.wait_for_load_state()
    await page.click("[data-step='1'] button[value=received]")
    await page.wait_for_load_state()
    await page.click("[data-step='2'] button[value=received]")
    await page.wait_for_load_state()
    await page.click("[data-step='2'] button[value=returned]")  # no reason: refused with a message
    assert "'note'" in await page.inner_text("#error")
    await page.fill("[data-step='2'] input[name=note]", "缺少消防设计说明")
    await page.click("[data-step='2'] button[value=returned]")
    await page.wait_for_load_state()
    await page.click("[data-step='1'] button[value=approved]")
    await page.wait_for_load_state()
    timeline = await page.inner_text("#timeline")
    assert "第1阶段" in timeline and "已办结" in timeline and "已退回" in timeline and "缺少消防设计说明" in timeline
    audit = await page.inner_text("#audit")
    assert "退回 环节2：缺少消防设计说明" in audit and "缺少消防设计说明" in audit
    await shoot(page, "project-timeline")

    # A late step: its receipt moved back so its due date has passed; the list highlights the project.
    await services.projects.service.transition(code, 2, "received", "zhouli")
    project = await services.projects.service.get(code)
    steps = project["steps"]
    steps[1]["due_date"] = (services.projects.service.today() - timedelta(days=2)).isoformat()
    await services.store.projects.update_one({"code": code}, {"$set": {"steps": steps}})
    assert project_view(await services.projects.service.get(code), services.projects.service.today())["overdue"]
    await page.set_viewport_size(LAPTOP)
    await page.goto(server.url + "/console/projects?overdue=1")
    assert await page.locator("tr.project.overdue").count() == 1
    await page.goto(server.url + f"/console/projects/{code}")
    assert "已逾期 2 天" in await page.inner_text("[data-step='2']")
    await shoot(page, "project-overdue")
    await page.goto(server.url + f"/console/projects/{code}/print")  # the investor's 项目审批进度表
    sheet = await page.inner_text("#progress-table")
    assert "市住房和城乡建设局" in sheet and "已逾期 2 天" in sheet and "已办结" in sheet
    assert "1234" not in await page.inner_text("body")  # no contact phone on the sheet
    await shoot(page, "project-print")
    await page.goto(server.url + "/console/projects?mode=parallel")
    assert await page.locator("tr.project").count() == 0
    await page.goto(server.url + "/console/projects?county=昭阳区&mode=linked")
    assert await page.locator("tr.project").count() == 1
    await shoot(page, "project-list")

    # The report's 重点项目 section counts it for this month, with its investment and the on-time rate.
    await page.goto(server.url + "/console/report")
    section = await page.inner_text("#projects-report")
    assert "1 个" in section and "8,600.00 万元（0.86 亿元）" in section and "联动审批 1 个" in section
    assert "100.0%（1/1）" in section
    await page.locator("#projects-report").scroll_into_view_if_needed()
    await page.screenshot(path=str(ARTIFACTS / "project-report-laptop.png"))
    # The printed annual page and the exports carry the same figures.
    await page.goto(server.url + "/console/report/print")
    printed = await page.inner_text("#projects-report")
    assert "8,600.00 万元（0.86 亿元）" in printed and "100.0%（1/1）" in printed
    await page.screenshot(path=str(ARTIFACTS / "project-report-print.png"), full_page=True)
    exported = (await (await page.request.get(server.url + "/console/report.csv")).body()).decode("utf-8-sig")
    assert "重点项目代办" in exported and "总投资（万元）,8600" in exported and "按时办结率,100.0%（1/1）" in exported

    # Sample projects load once, are marked 示例 and stay out of the report.
    await page.goto(server.url + "/console/projects")
    await page.click("#load-samples button")
    await page.wait_for_load_state()
    assert await page.locator("tr.project").count() == 4
    assert await page.locator("tr.project:has-text('示例')").count() == 3
    assert await page.locator("#load-samples").count() == 0
    await shoot(page, "project-samples")
    await page.click("tr.project:has-text('鲁甸县第二中学') a")  # the school: stages 1-2 done, two parallel steps in stage 3
    timeline = await page.inner_text("#timeline")
    assert "第3阶段" in timeline and timeline.count("已办结") == 2 and timeline.count("办理中") == 2
    await page.goto(server.url + "/console/report")
    assert "8,600.00 万元" in await page.inner_text("#projects-report")
