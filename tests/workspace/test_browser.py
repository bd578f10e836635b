"""The staff workspace in a real browser (Debian's Chromium, headless), as the issue's "Done when" walks it:
a staff member signs in through the form, sees the dormant relationship first, logs an activity and sees
its vitality change, records a relationship with a new foreign partner, changes a status, meets an edit
conflict from a second tab and resolves it without losing input, exports XLSX and signs out; a
coordinator confirms and corrects review-queue items. Every workspace page in both languages and at
375 px: no outside request, no console error, no serious or critical axe-core violation, nothing
sticking out sideways; screenshots to tests/screenshots/workspace-*.png."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from registry.models import ActivityLog, Municipality, StaffAssignment, TwinningAgreement
from registry.services.dates import today, years_before
from tests.factories import (
    ActivityFactory,
    AgreementFactory,
    ForeignCityFactory,
    MunicipalityFactory,
    PrefectureFactory,
    UserFactory,
    coordinators_group,
)
from tests.pages.test_browser import CHROMIUM, _check_page, _visit, _wait, browser  # noqa: F401 (fixture)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not __import__("pathlib").Path(CHROMIUM).exists(), reason="Debian's chromium is not installed"),
]

PASSWORD = "correct horse battery staple"
CLEAN = {"outside": [], "errors": [], "violations": [], "overflow": 0}


@pytest.fixture
def workspace_world(transactional_db):
    prefecture = PrefectureFactory(name="長崎県", name_en="Nagasaki", lg_code="420000")
    nagasaki = MunicipalityFactory(
        name="長崎市", name_en="Nagasaki", name_kana="ナガサキシ", lg_code="422011", parent=prefecture
    )
    live = AgreementFactory(
        municipality_a=nagasaki, municipality_b=ForeignCityFactory(name="Saint Paul"), signed_on=dt.date(1955, 12, 7)
    )
    ActivityFactory(agreement=live, occurred_on=today() - dt.timedelta(days=20), title="Student exchange")
    dormant = AgreementFactory(
        municipality_a=nagasaki, municipality_b=ForeignCityFactory(name="Santos", country="BR"), signed_on="1972"
    )
    ActivityFactory(agreement=dormant, occurred_on=years_before(today(), 5), title="Delegation")
    staff = UserFactory(username="tanaka", email="tanaka@example.org")
    StaffAssignment.objects.create(user=staff, municipality=nagasaki)
    coordinator = UserFactory(username="sato")
    coordinator.groups.add(coordinators_group())
    osaka = PrefectureFactory(name="大阪府", name_en="Osaka")
    hokkaido = PrefectureFactory(name="北海道", name_en="Hokkaido")
    ikeda_osaka = MunicipalityFactory(name="池田市", name_en="Ikeda", parent=osaka, latitude=34.82, longitude=135.43)
    ikeda_hokkaido = MunicipalityFactory(
        name="池田町", name_en="Ikeda", tier="town", parent=hokkaido, latitude=42.92, longitude=143.45
    )
    tokyo = PrefectureFactory(name="東京都", name_en="Tokyo")
    ota = MunicipalityFactory(
        name="大田区", name_en="Ota", tier="special_ward", parent=tokyo, latitude=35.56, longitude=139.72
    )
    gunma = PrefectureFactory(name="群馬県", name_en="Gunma")
    ota_gunma = MunicipalityFactory(name="太田市", name_en="Ota", parent=gunma, latitude=36.29, longitude=139.38)
    fukushima = PrefectureFactory(name="福島県", name_en="Fukushima")
    date_hokkaido = MunicipalityFactory(
        name="伊達市", name_en="Date", parent=hokkaido, latitude=42.47, longitude=140.87
    )
    MunicipalityFactory(name="伊達市", name_en="Date", parent=fukushima, latitude=37.82, longitude=140.56)
    dubbo = AgreementFactory(
        municipality_a=date_hokkaido,
        municipality_b=ForeignCityFactory(name="Dubbo", country="AU"),
        signed_on=None,
        needs_review=True,
        review_note="Line 3: “Date” may be any of 2 authorities; Date (伊達市, Hokkaido) was chosen only by coordinates.",
    )
    penticton = AgreementFactory(
        municipality_a=ikeda_osaka,
        municipality_b=ForeignCityFactory(name="Penticton", country="CA"),
        signed_on=None,
        needs_review=True,
        review_note="Line 1: “Ikeda” may be any of 2 authorities; Ikeda (池田市) was chosen only by coordinates.",
    )
    burbank = AgreementFactory(
        municipality_a=ota,
        municipality_b=ForeignCityFactory(name="Burbank", country="US"),
        signed_on=None,
        needs_review=True,
        review_note="Line 2: Ota was chosen only by coordinates.",
    )
    return {
        "nagasaki": nagasaki,
        "live": live,
        "dormant": dormant,
        "penticton": penticton,
        "burbank": burbank,
        "ikeda_hokkaido": ikeda_hokkaido,
        "ota_gunma": ota_gunma,
        "dubbo": dubbo,
    }


def _sign_in(driver, live_server, username: str, language: str = "ja") -> None:
    from selenium.webdriver.common.by import By

    _visit(driver, live_server, f"/{language}/accounts/login/")
    driver.find_element(By.ID, "id_username").send_keys(username)
    driver.find_element(By.ID, "id_password").send_keys(PASSWORD)
    driver.find_element(By.CSS_SELECTOR, "main form button[type=submit]").click()
    _wait(driver, f"return location.pathname === '/{language}/my/'")


def _submit(driver, selector: str = "main form.stacked button[type=submit]") -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    button = driver.find_element(By.CSS_SELECTOR, selector)
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", button)
    button.click()
    # The next page, not the one the click left.
    WebDriverWait(driver, 30).until(expected_conditions.staleness_of(button))
    _wait(driver, "return document.readyState === 'complete'")


def _fill(driver, field_id: str, value: str) -> None:
    from selenium.webdriver.common.by import By

    element = driver.find_element(By.ID, field_id)
    if element.get_attribute("type") == "date":
        driver.execute_script("arguments[0].value = arguments[1]", element, value)
    else:
        element.clear()
        element.send_keys(value)


def _checked(driver, live_server, name: str, findings: dict, *, status: int | None = None) -> None:
    """_check_page's findings; `status`: the page's own answer was this (a 409 conflict page), which
    Chromium reports on the console as a failed load: not an error of the page."""
    result = _check_page(driver, live_server, f"workspace-{name}")
    if status is not None:
        own = f"{driver.current_url} - Failed to load resource: the server responded with a status of {status}"
        result["errors"] = [error for error in result["errors"] if not error.startswith(own)]
    findings[name] = result
    phone = _check_page(driver, live_server, f"workspace-{name}-375", width=375)
    findings[f"{name}-375"] = {"overflow": phone["overflow"]}


def test_staff_member_keeps_the_record_in_the_browser(browser, live_server, workspace_world):  # noqa: F811
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    w = workspace_world
    findings: dict[str, dict] = {}
    _visit(browser, live_server, "/ja/accounts/login/")
    _checked(browser, live_server, "login-ja", findings)
    _sign_in(browser, live_server, "tanaka")

    # The dormant relationship comes first, with when it went quiet.
    rows = browser.find_elements(By.CSS_SELECTOR, "table.relationships tbody tr")
    assert rows[0].get_attribute("data-agreement") == str(w["dormant"].pk)
    assert rows[0].get_attribute("data-vitality") == "dormant"
    assert "以降活動なし" in rows[0].text
    _checked(browser, live_server, "my-ja", findings)

    # Log an activity in two clicks (the row's button, then save); its vitality is then the new one.
    rows[0].find_element(By.CSS_SELECTOR, "td.row-actions a").click()
    _wait(browser, "return document.readyState === 'complete' && !!document.getElementById('id_title')")
    _checked(browser, live_server, "activity-new-ja", findings)
    Select(browser.find_element(By.ID, "id_category")).select_by_value("culture")
    _fill(browser, "id_title", "ランタンフェスティバル訪問団")
    _submit(browser)
    vitality = browser.find_element(By.ID, "vitality")
    assert vitality.get_attribute("data-vitality") == "active"
    assert browser.current_url.endswith(f"/ja/my/agreements/{w['dormant'].pk}/")
    _checked(browser, live_server, "agreement-ja", findings)

    # Change a status (the form on the relationship's page).
    Select(browser.find_element(By.ID, "id_status")).select_by_value("suspended")
    _fill(browser, "id_reason", "予算の凍結")
    _submit(browser, "form[action$='/status/'] button[type=submit]")
    w["dormant"].refresh_from_db()
    assert w["dormant"].status == "suspended"
    assert "状態を変更しました" in browser.page_source

    # Record a relationship with a new foreign partner.
    _visit(browser, live_server, f"/ja/my/agreements/new/?m={w['nagasaki'].pk}")
    browser.find_element(By.CSS_SELECTOR, "details.new-partner summary").click()
    _fill(browser, "id_new_name", "Middelburg")
    Select(browser.find_element(By.ID, "id_new_country")).select_by_value("NL")
    _fill(browser, "id_new_region", "Zeeland")
    _fill(browser, "id_signed_on", "2019-04")
    _checked(browser, live_server, "agreement-new-ja", findings)
    _submit(browser)
    middelburg = Municipality.objects.get(name="Middelburg", country="NL")
    recorded = TwinningAgreement.objects.between(w["nagasaki"], middelburg).get()
    assert recorded.signed_on_precision == "month"
    assert browser.current_url.endswith(f"/ja/my/agreements/{recorded.pk}/")

    # Search as you type picks an existing partner (the public search's suggestions).
    _visit(browser, live_server, f"/en/my/agreements/new/?m={w['nagasaki'].pk}")
    browser.find_element(By.ID, "id_partner_q").send_keys("midde")
    _wait(browser, "return document.querySelectorAll('#partner-suggestions li').length > 0")
    browser.find_element(By.CSS_SELECTOR, "#partner-suggestions li a").click()
    assert browser.find_element(By.NAME, "partner").get_attribute("value") == str(middelburg.pk)
    _checked(browser, live_server, "agreement-new-en", findings)

    # An edit conflict from a second tab: the first tab's input survives, and what changed is shown.
    live = w["live"]
    _visit(browser, live_server, f"/ja/my/agreements/{live.pk}/edit/")
    first = browser.current_window_handle
    browser.switch_to.new_window("tab")
    _visit(browser, live_server, f"/ja/my/agreements/{live.pk}/edit/")
    _fill(browser, "id_public_notes", "第二のタブで保存")
    _submit(browser)
    browser.close()
    browser.switch_to.window(first)
    _fill(browser, "id_internal_notes", "最初のタブで入力した大事なメモ")
    _submit(browser)
    assert browser.find_element(By.ID, "conflict-heading")
    assert "第二のタブで保存" in browser.find_element(By.CSS_SELECTOR, ".conflict").text
    assert browser.find_element(By.ID, "id_internal_notes").get_attribute("value") == "最初のタブで入力した大事なメモ"
    _checked(browser, live_server, "conflict-ja", findings, status=409)
    live.refresh_from_db()
    assert live.internal_notes == ""
    # Resolved: keep the other tab's public note, save the internal note over the new version.
    _fill(browser, "id_public_notes", "第二のタブで保存")
    _submit(browser)
    live.refresh_from_db()
    assert (live.internal_notes, live.public_notes) == ("最初のタブで入力した大事なメモ", "第二のタブで保存")

    # Export XLSX from the page's link (fetched by the page itself: headless downloads go nowhere).
    _visit(browser, live_server, "/en/my/")
    _checked(browser, live_server, "my-en", findings)
    href = browser.find_element(By.PARTIAL_LINK_TEXT, "relationships (Excel)").get_attribute("href")
    exported = browser.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "fetch(arguments[0]).then(r => r.arrayBuffer().then(b => done([r.status, r.headers.get('content-type'), b.byteLength])));",
        href,
    )
    assert exported[0] == 200 and exported[1].startswith("application/vnd.openxmlformats") and exported[2] > 1000

    _visit(browser, live_server, "/ja/my/profile/")
    _checked(browser, live_server, "profile-ja", findings)
    _visit(browser, live_server, f"/en/my/agreements/{live.pk}/")
    _checked(browser, live_server, "agreement-en", findings)

    # The other forms of the workspace, checked as they are.
    activity = ActivityLog.objects.filter(agreement=live).first()
    for name, path in (
        ("activity-edit-en", f"/en/my/activities/{activity.pk}/edit/"),
        ("activity-delete-ja", f"/ja/my/activities/{activity.pk}/delete/"),
        ("status-en", f"/en/my/agreements/{live.pk}/status/"),
        ("renew-ja", f"/ja/my/agreements/{live.pk}/renew/"),
        ("password-change-ja", "/ja/accounts/password_change/"),
    ):
        _visit(browser, live_server, path)
        _checked(browser, live_server, name, findings)

    # Sign out.
    browser.find_element(By.CSS_SELECTOR, "header form[action$='/logout/'] button").click()
    _wait(browser, "return document.readyState === 'complete' && location.pathname === '/ja/'")  # the page's language
    _visit(browser, live_server, "/en/my/")
    assert "/en/accounts/login/" in browser.current_url
    _checked(browser, live_server, "login-en", findings)
    _visit(browser, live_server, "/ja/accounts/password_reset/")
    _checked(browser, live_server, "password-reset-ja", findings)

    assert ActivityLog.objects.filter(title="ランタンフェスティバル訪問団").exists()
    problems = {name: {k: v for k, v in result.items() if v != CLEAN[k]} for name, result in findings.items()}
    problems = {name: found for name, found in problems.items() if found}
    assert problems == {}, json.dumps(problems, indent=1, ensure_ascii=False)


def test_coordinator_confirms_and_corrects_the_review_queue(browser, live_server, workspace_world):  # noqa: F811
    from selenium.webdriver.common.by import By

    w = workspace_world
    findings: dict[str, dict] = {}
    _sign_in(browser, live_server, "sato", language="en")
    # A coordinator picks any municipality.
    _visit(browser, live_server, "/en/my/?q=nagasaki")
    links = browser.find_elements(By.CSS_SELECTOR, ".picker-results a")
    assert [link.text for link in links[:2]] == ["Nagasaki", "Nagasaki"]  # the prefecture, then the city
    browser.find_element(By.CSS_SELECTOR, f".picker-results a[href='?m={w['nagasaki'].pk}']").click()
    _wait(browser, "return !!document.querySelector('table.relationships')")
    _checked(browser, live_server, "my-coordinator-en", findings)

    for language in ("en", "ja"):
        _visit(browser, live_server, f"/{language}/my/review/")
        _checked(browser, live_server, f"review-{language}", findings)
    # Dubbo's side (Date, Hokkaido) is right: confirm. The source's coordinates put Penticton's partner
    # at Ikeda, Osaka (it is Ikeda, Hokkaido) and Burbank's at Ōta ward, Tokyo (it is Ōta, Gunma): move.
    for selector in (
        f"article[data-agreement='{w['dubbo'].pk}'] button[value=confirm]",
        f"article[data-agreement='{w['penticton'].pk}'] button[value='move-{w['ikeda_hokkaido'].pk}']",
        f"article[data-agreement='{w['burbank'].pk}'] button[value='move-{w['ota_gunma'].pk}']",
    ):
        _submit(browser, selector)
    for key in ("dubbo", "penticton", "burbank"):
        w[key].refresh_from_db()
        assert not w[key].needs_review, key
    assert w["penticton"].municipality_a_id == w["ikeda_hokkaido"].pk
    assert w["burbank"].municipality_a_id == w["ota_gunma"].pk
    assert w["dubbo"].municipality_a.name_en == "Date" and w["dubbo"].review_note.endswith("確認済み。")
    assert "確認待ちの協定はありません" in browser.page_source
    problems = {name: {k: v for k, v in result.items() if v != CLEAN[k]} for name, result in findings.items()}
    problems = {name: found for name, found in problems.items() if found}
    assert problems == {}, json.dumps(problems, indent=1, ensure_ascii=False)
