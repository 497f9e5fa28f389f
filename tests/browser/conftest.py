"""Browser tests: Debian's Chromium (/usr/bin/chromium) driven by Playwright against live_server.

No browser is ever downloaded: Playwright gets `executable_path`. Without Chromium on the machine
the tests skip (`.ci/run` installs it). Screenshots go to artifacts/screenshots/.
"""

import importlib
import os
import shutil
from pathlib import Path

import pytest
from django.contrib.auth.models import Group, Permission

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"
# Chromium's own network chatter is refused on machines without internet: switch it off.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-sync",
                 "--disable-background-networking", "--disable-component-update"]


@pytest.fixture(scope="session")
def chromium():
    if not Path(CHROMIUM).exists():
        pytest.skip("Chromium is not installed (apt-get install chromium; .ci/run does it)")
    playwright_api = pytest.importorskip("playwright.sync_api")
    # Playwright's sync API runs an event loop in this thread; the ORM calls of the test are safe.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(chromium, plain_http, live_server):
    context = chromium.new_context(base_url=live_server.url, viewport={"width": 1600, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(15000)
    yield page
    context.close()


@pytest.fixture
def page_at(chromium, plain_http, live_server):
    """Pages of a given width (a laptop's 1280 px, a phone's 390 px), each in a context of its own."""
    contexts = []

    def open_page(width: int, height: int = 900):
        context = chromium.new_context(base_url=live_server.url, viewport={"width": width, "height": height})
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15000)
        return page

    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture
def role_groups():
    """The Staff and Managers groups come from a data migration, which the flush between
    transactional tests empties: put them back as the migration makes them."""
    groups = importlib.import_module("accounts.migrations.0002_staff_and_managers_groups").GROUPS
    for name, codes in groups.items():
        group, _ = Group.objects.get_or_create(name=name)
        for code in codes:
            app_label, codename = code.split(".")
            group.permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))


def overflowing(page, selector: str) -> list[str]:
    """The elements matching `selector` that end beyond the right edge of the viewport (their text)."""
    return page.evaluate("""(selector) => [...document.querySelectorAll(selector)]
        .filter(element => element.getBoundingClientRect().right > window.innerWidth + 0.5)
        .map(element => element.innerText.trim() || element.outerHTML.slice(0, 80))""", selector)


@pytest.fixture
def screenshot(request):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(page, name: str) -> Path:
        path = SCREENSHOTS / f"{request.node.name}__{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


def log_in(page, username: str, password: str) -> None:
    page.goto("/admin/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("input[type=submit]")
    page.wait_for_selector("#user-tools")
