"""The built site in a real browser (Playwright + Debian's Chromium), served from 127.0.0.1.

Every page of the course is opened with every request outside the local server blocked (and
recorded: one is a failure, the site must work offline), and must show no console error, no
failed request, every image loaded, every widget rendered, all math typeset, and no serious or
critical accessibility violation by axe-core (every violation is written to a report). A worked
solution is folded and opens on a click. Screenshots of the home page and two notebooks go to
``$COURSE_REPORTS/screenshots/site/`` (else a folder in /tmp).
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

import assemble
import executed
import pytest
import vendor

pytestmark = pytest.mark.site

SCREENSHOTS = (
    Path(os.environ["COURSE_REPORTS"]) / "screenshots" / "site"
    if os.environ.get("COURSE_REPORTS")
    else Path(tempfile.gettempdir()) / "nn-course-screenshots" / "site"
)
AUDITS = SCREENSHOTS.parent.parent / "axe" / "site"  # axe-core's findings per page, as JSON
NOTEBOOK_PAGES = [f"notebooks/{nb.stem}.html" for nb in sorted(executed.NOTEBOOKS.glob("*.ipynb"))]
PAGES = (
    ["index.html"]
    + NOTEBOOK_PAGES
    + [f"assignments/{name}.html" for name in assemble.assignment_names()]
    + [Path(page).with_suffix(".html").as_posix() for page in assemble.GUIDES.values()]
)


def notebook_page(number: str) -> str:
    return next(p for p in NOTEBOOK_PAGES if Path(p).name.startswith(f"{number}_"))


SCREENSHOT_OF = {
    "index.html": "site-home",
    notebook_page("01"): "site-notebook-01",
    notebook_page("06"): "site-notebook-06",
}
WIDGET_VIEW = 'script[type="application/vnd.jupyter.widget-view+json"]'


class Visit:
    """One page opened in a fresh browser context that lets through only the local server."""

    def __init__(self, browser, base: str):
        self.base = base
        self.outside: list[str] = []
        self.errors: list[str] = []
        self.context = browser.new_context(viewport={"width": 1280, "height": 900}, service_workers="block")
        self.context.set_default_timeout(30_000)
        self.context.route("**/*", self._route)
        self.page = self.context.new_page()
        self.page.on("console", lambda msg: self.errors.append(f"console: {msg.text}") if msg.type == "error" else None)
        self.page.on("pageerror", lambda err: self.errors.append(f"page error: {err}"))
        self.page.on("requestfailed", lambda req: self.errors.append(f"request failed: {req.url} ({req.failure})"))
        self.page.on(
            "response", lambda res: self.errors.append(f"HTTP {res.status}: {res.url}") if res.status >= 400 else None
        )

    def _route(self, route):
        url = route.request.url
        if url.startswith(self.base) or urlsplit(url).scheme in ("data", "blob"):
            route.continue_()
        else:
            self.outside.append(url)
            route.abort("blockedbyclient")

    def open(self, path: str):
        self.page.goto(self.base + path, wait_until="load")
        # MathJax 3 typesets after loading; the widget manager renders each widget view
        self.page.evaluate("() => window.MathJax && window.MathJax.startup ? window.MathJax.startup.promise : null")
        views = self.page.locator(WIDGET_VIEW).count()
        if views:
            self.page.wait_for_function(
                "n => document.querySelectorAll('.widget-subarea').length >= n", arg=views, timeout=30_000
            )
        # images below the fold load too
        self.page.evaluate(
            """() => Promise.all(Array.from(document.images).map(img => {
                img.loading = "eager";
                return img.decode().catch(() => null);
            }))"""
        )
        self.page.wait_for_load_state("networkidle")
        return self.page

    def close(self):
        self.context.close()


@pytest.fixture
def visit(browser, site_server):
    visit = Visit(browser, site_server)
    yield visit
    visit.close()


def audit(page, path: str) -> list[dict]:
    """axe-core's violations on the open page (id, impact, how many elements, the first one), also
    written to the report folder's ``axe/`` as JSON, one file per page."""
    page.add_script_tag(path=str(vendor.audit_script()))
    violations = page.evaluate(
        """async () => (await axe.run(document, {resultTypes: ["violations"]})).violations.map(v => ({
            id: v.id, impact: v.impact, nodes: v.nodes.length, first: v.nodes[0].target.join(" "),
        }))"""
    )
    AUDITS.mkdir(parents=True, exist_ok=True)
    (AUDITS / (path.replace("/", "__") + ".json")).write_text(json.dumps(violations, indent=1))
    return violations


@pytest.mark.parametrize("path", PAGES)
def test_page_works_offline(visit, path):
    page = visit.open(path)
    broken_images = page.evaluate(
        """() => Array.from(document.images)
            .filter(img => !(img.complete && img.naturalWidth > 0))
            .map(img => img.src.slice(0, 120))"""
    )
    state = page.evaluate(
        f"""() => ({{
            views: document.querySelectorAll('{WIDGET_VIEW}').length,
            rendered: document.querySelectorAll('.widget-subarea').length,
            widgetErrors: (document.body.innerText.match(/Error displaying widget|Loading widget\\.\\.\\./g)
                           || []).length,
            math: document.querySelectorAll('span.math, div.math').length,
            typeset: document.querySelectorAll('mjx-container').length,
            mathErrors: document.querySelectorAll('mjx-merror').length,
        }})"""
    )
    if path in SCREENSHOT_OF:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=SCREENSHOTS / f"{SCREENSHOT_OF[path]}.png", full_page=path == "index.html")

    violations = audit(page, path)

    assert visit.outside == [], f"{path} tried to load from outside the site: {visit.outside}"
    assert visit.errors == [], f"{path}: " + "\n".join(visit.errors)
    grave = [v for v in violations if v["impact"] in ("serious", "critical")]
    assert not grave, f"{path}: axe-core reports serious or critical accessibility violations: {grave}"
    assert broken_images == [], f"{path}: images that did not load: {broken_images}"
    assert state["rendered"] >= state["views"] and state["widgetErrors"] == 0, f"{path}: widgets not rendered: {state}"
    assert state["mathErrors"] == 0 and (state["math"] == 0 or state["typeset"] > 0), f"{path}: math: {state}"


def test_notebooks_show_outputs_widgets_and_math(visit):
    """A notebook with figures, progress bars and an explorer shows them all (05: training runs)."""
    page = visit.open(notebook_page("05"))
    counts = page.evaluate(
        """() => ({
            figures: document.querySelectorAll('.cell_output img').length,
            progressBars: document.querySelectorAll('.widget-hprogress .progress-bar').length,
            sliders: document.querySelectorAll('.widget-slider').length,
            math: document.querySelectorAll('mjx-container').length,
        })"""
    )
    assert counts["figures"] > 0 and counts["progressBars"] > 0 and counts["sliders"] > 0, counts
    assert counts["math"] > 0, counts
    bar = page.locator(".widget-hprogress").first.bounding_box()
    assert bar and bar["width"] > 50, f"the progress bar is squeezed: {bar}"


def test_solution_is_folded_and_opens_on_click(visit):
    page = visit.open(notebook_page("06"))
    solution = page.locator("details.course-solution").first
    summary = solution.locator("summary")
    assert "Show solution" in summary.inner_text()
    body = solution.locator("pre").first  # the worked solution's code
    assert not body.is_visible(), "the solution is shown before it is asked for"
    summary.click()
    page.wait_for_function("() => document.querySelector('details.course-solution').open")
    assert body.is_visible() and body.inner_text().strip()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    solution.scroll_into_view_if_needed()
    page.screenshot(path=SCREENSHOTS / "site-solution-open.png")
