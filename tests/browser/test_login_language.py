"""The demo admin signs in, switches to Chinese and back, in a real chromium."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from playwright.sync_api import Page, expect


def sign_in(page: Page, live_server: dict[str, Any], username: str) -> None:
    page.goto(live_server["url"] + "/")
    expect(page.locator("h1")).to_have_text("Sign in")
    page.fill("#username", username)
    page.fill("#password", live_server["logins"][username])
    with page.expect_navigation():  # to the page loaded, its deferred scripts run
        page.click("#sign-in")


def test_demo_admin_signs_in_and_switches_language(page: Page, live_server: dict[str, Any],
                                                   artifacts: Path) -> None:
    sign_in(page, live_server, "demo-admin")
    expect(page.locator("h1")).to_have_text("Map console")
    expect(page.locator(".who")).to_contain_text("demo-admin")

    with page.expect_navigation():
        page.select_option("#locale", "zh_CN")
    expect(page.locator("h1")).to_have_text("地图指挥台")
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(page.locator("nav")).to_contain_text("审计日志")
    page.screenshot(path=str(artifacts / "console-zh_CN.png"), full_page=True)

    page.reload()  # the choice is saved on the user, not only in this page
    expect(page.locator("h1")).to_have_text("地图指挥台")

    with page.expect_navigation():
        page.select_option("#locale", "en")
    expect(page.locator("h1")).to_have_text("Map console")
    page.screenshot(path=str(artifacts / "console-en.png"), full_page=True)


def test_wrong_password_shows_an_error_and_the_audit_page_lists_it(
        page: Page, live_server: dict[str, Any]) -> None:
    page.goto(live_server["url"] + "/login")
    page.fill("#username", "demo-viewer")
    page.fill("#password", "not-the-password")
    page.click("#sign-in")
    expect(page.locator(".flash")).to_contain_text("wrong password")
    sign_in(page, live_server, "demo-admin")
    page.goto(live_server["url"] + "/admin/audit?action=auth.login_failed")
    expect(page.locator("#audit-table")).to_contain_text("demo-viewer")


def test_viewers_cannot_open_admin_pages(page: Page, live_server: dict[str, Any]) -> None:
    sign_in(page, live_server, "demo-viewer")
    expect(page.locator("nav")).not_to_contain_text("Audit log")
    response = page.goto(live_server["url"] + "/admin/audit")
    assert response is not None and response.status == 403
    expect(page.locator("h1")).to_have_text("403")
