"""axe-core in Chromium on the HTML reports: no serious or critical WCAG 2.1 A/AA violation.

The demo's study and comparison reports are opened in Debian's Chromium (Playwright), with
their figures drawn, and axe-core (shipped by axe-playwright-python) runs its WCAG 2.0/2.1
level A and AA rules: figures need text alternatives, tables header cells, text enough
contrast. Every violation of impact "serious" or "critical" fails, listed with its nodes.
"""

from __future__ import annotations

from pathlib import Path

import pytest

pytestmark = [pytest.mark.tools, pytest.mark.slow, pytest.mark.browser]

WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
BLOCKING = {"serious", "critical"}


def _violations(html: Path, chromium: Path) -> list[dict]:
    from axe_playwright_python.sync_playwright import Axe
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=str(chromium),
            args=["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"],
        )
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 900})
            page.goto(html.as_uri(), wait_until="load")
            page.wait_for_timeout(500)
            results = Axe().run(
                page,
                options={
                    "runOnly": {"type": "tag", "values": WCAG_21_AA},
                    "resultTypes": ["violations"],
                },
            )
        finally:
            browser.close()
    return list(results.response["violations"])


def _describe(violation: dict) -> str:
    nodes = "; ".join(
        f"{' '.join(n['target'])}: {n.get('failureSummary', '').splitlines()[-1].strip()}"
        for n in violation["nodes"][:4]
    )
    return f"[{violation['impact']}] {violation['id']} ({len(violation['nodes'])} nodes): {nodes}"


@pytest.mark.parametrize("report", ["calciphylaxis-synthetic", "compare-"])
def test_html_report_has_no_serious_wcag_violation(
    report: str, rendered_reports: Path, chromium: Path
) -> None:
    (html,) = [
        p for p in rendered_reports.glob("*/report.html") if p.parent.name.startswith(report)
    ]
    violations = _violations(html, chromium)
    blocking = [_describe(v) for v in violations if v["impact"] in BLOCKING]
    assert not blocking, f"{html.parent.name}:\n" + "\n".join(blocking)
