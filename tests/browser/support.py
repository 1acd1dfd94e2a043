"""Helpers for pages under gridpatrol's Content-Security-Policy.

Waiting: Playwright's ``page.wait_for_function`` evaluates its expression with ``eval`` inside the
page, which gridpatrol's CSP refuses ('unsafe-eval' is never allowed). ``page.evaluate``
runs through the DevTools protocol instead, which a page's CSP does not govern:
:func:`wait_for` polls it. Watching: :func:`watch_csp` collects the violations chromium
logs.
"""

from __future__ import annotations

import time
from typing import Any

from playwright.sync_api import Page

DEFAULT_TIMEOUT_S = 30.0


def wait_for(page: Page, expression: str, *, timeout_s: float = DEFAULT_TIMEOUT_S,
             interval_ms: int = 100) -> Any:
    """Poll ``expression`` in ``page`` until it is truthy; return its value. Fails with the
    expression (and its last value) after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = page.evaluate(expression)
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"still false after {timeout_s:g} s ({value!r}): {expression}")
        page.wait_for_timeout(interval_ms)


def watch_csp(page: Page) -> list[str]:
    """The browser's console messages about Content-Security-Policy violations, as they
    come (chromium logs each blocked script, style, handler or request)."""
    violations: list[str] = []
    page.on("console", lambda message: violations.append(message.text)
            if "Content Security Policy" in message.text else None)
    return violations
