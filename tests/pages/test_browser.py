"""The public pages in a real browser (Debian's Chromium, headless): each page renders with its data,
the map of Japan draws every municipality, the world map takes the short way round, search suggests
as you type, the language switch keeps the page, no request leaves the site's origin, no console
error, and axe-core finds no serious or critical accessibility violation.

Screenshots of every page in both languages, at desktop and at phone width (375 px), are written to
tests/screenshots/ (not committed) for a reviewer to open.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from django.core.management import call_command

from registry.models import Municipality, NetworkMemberCount
from registry.services.dates import today
from tests.factories import ActivityFactory, AgreementFactory, ForeignCityFactory, MembershipFactory, NetworkFactory

CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "tests" / "vendor" / "axe-core" / "axe.min.js"
SCREENSHOTS = ROOT / "tests" / "screenshots"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed (CI installs it)"),
]


@pytest.fixture
def browser(tmp_path):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--no-first-run",
        "--disable-sync",
        "--window-size=1280,1000",
        f"--user-data-dir={tmp_path / 'profile'}",
        # "Network off": a request to anywhere but the loopback test server goes to a dead proxy.
        "--proxy-server=http://127.0.0.1:9",
    ):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_script_timeout(60)
    yield driver
    driver.quit()


@pytest.fixture
def real_japan(transactional_db):
    """Japan's 1,788 authorities from the shipped code list, Nagasaki twinned with Saint Paul (live)
    and with Santos (silent), a network with Nagasaki as member."""
    call_command("import_municipalities", str(ROOT / "fixtures" / "jp_local_governments.csv"), verbosity=0)
    nagasaki = Municipality.objects.get(lg_code="422011")
    saint_paul = ForeignCityFactory(name="Saint Paul", country="US", latitude=44.94, longitude=-93.09)
    santos = ForeignCityFactory(name="Santos", country="BR", latitude=-23.96, longitude=-46.33)
    live = AgreementFactory(municipality_a=nagasaki, municipality_b=saint_paul, signed_on=dt.date(1955, 12, 7))
    ActivityFactory(agreement=live, occurred_on=today() - dt.timedelta(days=20), title="Student exchange")
    AgreementFactory(municipality_a=nagasaki, municipality_b=santos, signed_on="1972")
    network = NetworkFactory(name="Mayors for Peace", name_ja="平和首長会議")
    MembershipFactory(network=network, municipality=nagasaki, joined_on=dt.date(1982, 6, 24))
    # A derived member and a published count: the network page's "held of published" and derived list.
    MembershipFactory(
        network=network,
        municipality=Municipality.objects.get(lg_code="422029"),
        is_derived=True,
        source_note="Derived from the source's statement, as of 2024-06-01: (test)",
    )
    NetworkMemberCount.objects.create(
        network=network,
        as_of="2024-06-01",
        as_of_date=dt.date(2024, 6, 1),
        scope="total",
        count=8397,
        source_url="https://example.org/count",
    )
    return {"nagasaki": nagasaki, "agreement": live, "network": network}


def _requests(driver) -> list[str]:
    urls = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            urls.append(message["params"]["request"]["url"])
    return urls


def _console_errors(driver) -> list[str]:
    return [entry["message"] for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]


def _axe(driver) -> list[dict]:
    driver.execute_script(AXE.read_text(encoding="utf-8"))
    violations = driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "axe.run(document, {resultTypes: ['violations']}).then(r => done(r.violations)).catch(e => done([{id: 'axe-error', impact: 'critical', description: String(e), nodes: []}]));"
    )
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:5]}
        for v in violations
        if v["impact"] in ("serious", "critical")
    ]


def _wait(driver, script: str, timeout: float = 30) -> None:
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(driver, timeout).until(lambda d: d.execute_script(script))


def _visit(driver, live_server, path: str, *, ready: str = "return document.readyState === 'complete'") -> None:
    driver.get_log("performance")
    driver.get_log("browser")
    driver.get(f"{live_server.url}{path}")
    _wait(driver, ready)


def _check_page(driver, live_server, name: str, width: int = 1280) -> dict:
    """No outside request, no console error, no serious axe violation; a screenshot."""
    # Network requests only (the browser's own chrome:// pages are not requests to anyone).
    outside = [
        url
        for url in _requests(driver)
        if url.startswith(("http:", "https:", "ws:", "wss:", "ftp:")) and not url.startswith(live_server.url)
    ]
    errors = _console_errors(driver)
    violations = _axe(driver)
    SCREENSHOTS.mkdir(exist_ok=True)
    # A window cannot be narrower than the browser's own minimum: phone width is emulated.
    metrics = {"width": width, "height": 1000, "deviceScaleFactor": 1, "mobile": width < 600}
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", metrics)
    height = driver.execute_script("return document.documentElement.scrollHeight")
    overflow = driver.execute_script("return document.documentElement.scrollWidth") - width
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {**metrics, "height": min(height, 6000)})
    # A resize makes Leaflet redraw its canvas on the next frames: let it, then take the picture.
    driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "requestAnimationFrame(() => requestAnimationFrame(() => setTimeout(done, 400)));"
    )
    driver.save_screenshot(str(SCREENSHOTS / f"{name}.png"))
    driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    return {"outside": outside, "errors": errors, "violations": violations, "overflow": max(overflow, 0)}


MAP_DRAWN = "const m = document.getElementById('japan-map'); return m && m.dataset.shapesDrawn;"
WORLD_DRAWN = "const m = document.getElementById('world-map'); return m && m.dataset.linesDrawn !== undefined;"


def test_home_map_draws_every_municipality_offline(browser, live_server, real_japan):
    for language in ("en", "ja"):
        _visit(browser, live_server, f"/{language}/", ready=MAP_DRAWN)
        drawn = browser.execute_script("return document.getElementById('japan-map').dataset")
        # 1,741 municipalities (prefectures are borders), 7 of them small islands drawn as points.
        assert (
            int(drawn["shapesDrawn"])
            == Municipality.objects.filter(country="JP").exclude(tier="prefecture").count()
            == 1741
        )
        assert not drawn.get("error")
        result = _check_page(browser, live_server, f"home-{language}")
        assert result == {"outside": [], "errors": [], "violations": [], "overflow": 0}
        # At phone width nothing sticks out sideways (wide tables scroll inside their box).
        assert _check_page(browser, live_server, f"home-{language}-375", width=375)["overflow"] == 0
    # A click on a municipality opens its page.
    browser.execute_script("window.scrollTo(0, 0)")


def test_municipality_world_map_crosses_the_pacific(browser, live_server, real_japan):
    nagasaki = real_japan["nagasaki"]
    for language in ("en", "ja"):
        _visit(browser, live_server, f"/{language}/jp/422011/", ready=WORLD_DRAWN)
        assert browser.current_url.endswith(f"/{language}/municipalities/{nagasaki.pk}/")
        data = browser.execute_script("return document.getElementById('world-map').dataset")
        assert data["linesDrawn"] == "2"
        ends = [float(value) for value in data["lineEnds"].split(",")]
        # Saint Paul (93° W) is drawn east of Japan, across the Pacific (267° E), not across Eurasia.
        assert any(abs(end - (360 - 93.09)) < 0.01 for end in ends), ends
        assert "Saint Paul" in browser.page_source
        result = _check_page(browser, live_server, f"municipality-{language}")
        assert result == {"outside": [], "errors": [], "violations": [], "overflow": 0}
        assert _check_page(browser, live_server, f"municipality-{language}-375", width=375)["overflow"] == 0


def test_search_suggests_as_you_type_and_language_switch_keeps_the_page(browser, live_server, real_japan):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    _visit(browser, live_server, "/ja/")
    box = browser.find_element(By.ID, "search-q")
    box.send_keys("ながさき")  # kana for the kanji name: the search folds readings
    _wait(browser, "return document.querySelectorAll('#search-suggestions li').length > 0")
    suggestions = [li.text for li in browser.find_elements(By.CSS_SELECTOR, "#search-suggestions li")]
    # ながさき is the reading of the prefecture and of the city alike: both come first.
    assert [text.split()[0] for text in suggestions[:2]] == ["長崎県", "長崎市"], suggestions
    box.send_keys(Keys.ARROW_DOWN)
    assert browser.find_element(By.ID, "search-q").get_attribute("aria-activedescendant") == "suggestion-0"
    # The language switcher keeps the reader on the same page.
    _visit(browser, live_server, f"/ja/municipalities/{real_japan['nagasaki'].pk}/")
    browser.find_element(By.CSS_SELECTOR, "a[hreflang=en]").click()
    _wait(browser, "return document.documentElement.lang === 'en'")
    assert browser.current_url == f"{live_server.url}/en/municipalities/{real_japan['nagasaki'].pk}/"


#: Every other page, with what must be drawn before it is checked.
PAGES = [
    ("/{lang}/search/?q=Nagasaki", None),
    ("/{lang}/municipalities/?country=JP&tier=town", None),
    ("/{lang}/agreements/{agreement}/", None),
    ("/{lang}/countries/US/", WORLD_DRAWN),
    ("/{lang}/coverage/", "const m = document.getElementById('prefecture-map'); return m && m.dataset.shapesDrawn;"),
    ("/{lang}/gaps/?partner_country=US", MAP_DRAWN),
    ("/{lang}/networks/", None),
    ("/{lang}/networks/{network}/", WORLD_DRAWN),
]


def test_every_page_renders_offline_accessible_and_without_errors(browser, live_server, real_japan):
    """One walk over every page in both languages (the data is loaded once); every page's findings are
    collected, so one failure shows them all."""
    findings = {}
    for language in ("en", "ja"):
        for path, ready in PAGES:
            url = path.format(lang=language, agreement=real_japan["agreement"].pk, network=real_japan["network"].pk)
            _visit(browser, live_server, url, **({"ready": ready} if ready else {}))
            result = {
                "lang": browser.execute_script("return document.documentElement.lang"),
                "server_error": "Server Error" in browser.page_source,
            }
            name = url.strip("/").replace("/", "-").replace("?", "-").replace("&", "-").replace("=", "_")
            result.update(_check_page(browser, live_server, name))
            result["phone_overflow"] = _check_page(browser, live_server, f"{name}-375", width=375)["overflow"]
            findings[url] = result
    expected = {
        "outside": [],
        "errors": [],
        "violations": [],
        "server_error": False,
        "overflow": 0,
        "phone_overflow": 0,
    }
    problems = {
        url: {key: value for key, value in result.items() if key in expected and value != expected[key]}
        for url, result in findings.items()
    }
    assert {url: found for url, found in problems.items() if found} == {}
    assert all(result["lang"] == url.split("/")[1] for url, result in findings.items())
