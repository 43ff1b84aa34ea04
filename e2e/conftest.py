"""Fixtures for the browser tests: a live server, the system Chromium, a small published region tree,
and an axe accessibility check.

Run with ``uv run pytest -m e2e e2e/``. They need Debian's ``chromium`` (``/usr/bin/chromium``);
Playwright's own browser download is never used.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from types import SimpleNamespace

import pytest

# Playwright's sync API drives its event loop from the test's thread, so Django's "no ORM calls from an
# async context" guard would trip on the data fixture and on the flush after each test. The ORM is
# still used synchronously here; the guard does not apply.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = Path(os.environ.get("SUNLIT_E2E_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    # No network beyond the live server: without these Chromium keeps trying to reach Google's hosts.
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
AXE_JS = Path(__file__).resolve().parent / "vendor" / "axe-core" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]

TOWNSHIP_CODE = "411522100"
VILLAGE_CODE = "411522100201"
SIBLING_VILLAGE_CODE = "411522100202"


@pytest.hookimpl(tryfirst=True)  # before `-m e2e` deselects, so a forgotten mark fails loudly
def pytest_collection_modifyitems(items):
    here = Path(__file__).resolve().parent
    for item in items:
        if here in item.path.parents and item.get_closest_marker("e2e") is None:
            raise pytest.UsageError(f"{item.nodeid}: every browser test must be marked @pytest.mark.e2e")


# --- browser -----------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium package (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, timeout=60_000)
        yield browser
        browser.close()


@pytest.fixture
def new_context(browser):
    """Open a browser context; closed after the test. Keyword arguments go to ``new_context``.

    ``bypass_csp`` lets the axe helper inject its script: the site's CSP (script-src 'self') would
    otherwise refuse it. Pages are not otherwise affected, and CSP is tested in the unit suite.
    """
    contexts = []

    def make(**kwargs):
        kwargs.setdefault("bypass_csp", True)
        kwargs.setdefault("locale", "zh-CN")
        context = browser.new_context(**kwargs)
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_context):
    """A page that fails the test on any uncaught script error or console error."""
    page = new_context(viewport={"width": 1280, "height": 900}).new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(f"uncaught: {exc}"))
    page.on("console", lambda msg: errors.append(f"console: {msg.text}") if msg.type == "error" else None)
    page.js_errors = errors
    yield page
    assert not errors, "script errors on the page:\n" + "\n".join(errors)


# --- data --------------------------------------------------------------------------------------------


def _publish_catalog(county):
    """The shipped standard catalog when it is there; otherwise the unit tests' small document."""
    from sunlit.powers import services as powers

    if powers.STANDARD_CATALOG.exists():
        return powers.catalog_load_standard(owner=county)
    from sunlit.powers.tests.docs import small_document

    catalog = powers.catalog_import(actor=None, owner=county, document=small_document())
    powers.catalog_publish(actor=None, catalog=catalog)
    catalog.refresh_from_db()
    return catalog


@pytest.fixture
def portal_data(live_server):
    """Xinyang's province/city/county rows, 十里镇 with two villages, and a published catalog
    owned by 光山县 and adopted by the township."""
    from sunlit.powers.services import adoption_set
    from sunlit.regions.selectors import region_get
    from sunlit.regions.services import region_create, regions_load_xinyang

    regions_load_xinyang()
    county = region_get("411522")  # 光山县
    township = region_create(code=TOWNSHIP_CODE, name="十里镇", level="township", parent=county)
    village = region_create(code=VILLAGE_CODE, name="十里村", level="village", parent=township)
    sibling = region_create(code=SIBLING_VILLAGE_CODE, name="王湾村", level="village", parent=township)
    catalog = _publish_catalog(county)
    adoption_set(actor=None, region=township, catalog=catalog)
    return SimpleNamespace(
        url=live_server.url,
        city=county.parent,
        county=county,
        township=township,
        village=village,
        sibling=sibling,
        catalog=catalog,
    )


# --- accessibility ------------------------------------------------------------------------------------


def _describe(violations: list[dict]) -> str:
    lines = []
    for v in violations:
        first = v["nodes"][0] if v["nodes"] else {}
        lines.append(
            f"- {v['id']} [{v.get('impact')}] {v['help']} ({len(v['nodes'])} node(s); "
            f"first: {' '.join(map(str, first.get('target', [])))}: {first.get('html', '')[:160]})"
        )
    return "\n".join(lines)


def axe_violations(page, *, exclude: list[str] | None = None) -> list[dict]:
    """Run axe-core on the page (WCAG 2.0/2.1 A and AA rules) and return its violations.

    ``exclude`` lists CSS selectors of nodes axe must skip; each caller says why.
    """
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE_JS))
    context = {"include": [["html"]], "exclude": [[s] for s in exclude or []]}
    options = {"runOnly": {"type": "tag", "values": AXE_TAGS}, "resultTypes": ["violations"]}
    result = page.evaluate(
        "([context, options]) => axe.run(context, options).then(r => JSON.stringify(r.violations))",
        [context, options],
    )
    return json.loads(result)


@pytest.fixture
def axe():
    """``axe(page, exclude=[...])`` fails the test with a readable list of WCAG violations."""

    def check(page, *, exclude: list[str] | None = None) -> None:
        violations = axe_violations(page, exclude=exclude)
        assert not violations, f"axe found WCAG 2.1 A/AA violations on {page.url}:\n" + _describe(violations)

    return check
