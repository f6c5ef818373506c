"""report.html in a real browser: Debian's headless Chromium driven by Selenium through Debian's chromedriver.

The report of a small monitor built here is opened from disk. The browser's own logs say whether a script failed
and which requests were made; the table is sorted and filtered and a feature opened the way a user does it (clicks,
typing, the keyboard), and the expected row order comes from the values the table shows. A screenshot of every
section is kept under build/test-artifacts/report/.
"""
import json
import shutil
from pathlib import Path

import pytest

from conftest import ROOT, run_driftgov
from test_report import write_wide_monitor

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select

ARTIFACTS = ROOT / "build" / "test-artifacts" / "report"


def browser_paths():
    chromium = shutil.which("chromium")
    driver = shutil.which("chromedriver")
    if not chromium or not driver:
        pytest.fail("chromium and chromium-driver (Debian packages, scripts/packages-debian.txt) are not installed")
    return chromium, driver


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    folder = tmp_path_factory.mktemp("browser_report")
    config = write_wide_monitor(folder, rows_per_day=150, features=6, days=12, regions=3, seed=5)
    run_driftgov("monitor", "run", "wide", "--config", config)
    run_driftgov("report", "wide", "--config", config, "--out", folder / "out")
    return folder / "out" / "report.html"


@pytest.fixture(scope="module")
def browser():
    chromium, driver = browser_paths()
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1680,1200",
                     "--disable-dev-shm-usage", "--no-first-run", "--disable-background-networking",
                     "--disable-component-update", "--disable-default-apps", "--disable-sync"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    instance = webdriver.Chrome(options=options, service=Service(driver))
    yield instance
    instance.quit()


def rows(browser):
    return browser.find_elements(By.CSS_SELECTOR, "#feature-table tbody tr")


def visible_features(browser):
    return [r.get_attribute("data-feature") for r in rows(browser) if r.is_displayed()]


def cell_number(row, index):
    text = row.find_elements(By.CSS_SELECTOR, "th, td")[index].text
    return float("-inf") if text == "-" else float(text)


def test_report_in_chromium(report, browser):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    browser.get(report.as_uri())
    assert browser.title == "Drift report: monitor wide"

    # Sorting: the PSI header sorts descending on the first click, ascending on the second.
    psi_header = browser.find_element(By.XPATH, "//table[@id='feature-table']//th[button='PSI']")
    psi_header.find_element(By.TAG_NAME, "button").click()
    values = [cell_number(r, 5) for r in rows(browser)]
    assert values == sorted(values, reverse=True) and len(values) == 7
    assert psi_header.get_attribute("aria-sort") == "descending"
    psi_header.find_element(By.TAG_NAME, "button").click()
    assert [cell_number(r, 5) for r in rows(browser)] == sorted(values)
    name_header = browser.find_element(By.XPATH, "//table[@id='feature-table']//th[button='feature']")
    name_header.find_element(By.TAG_NAME, "button").click()
    names = [r.get_attribute("data-feature") for r in rows(browser)]
    assert names == sorted(names, reverse=True)

    # Filtering by name and by level.
    box = browser.find_element(By.ID, "feature-filter")
    box.send_keys("feature_")
    assert sorted(visible_features(browser)) == [f"feature_{f:02d}" for f in range(6)]
    box.send_keys("05")
    assert visible_features(browser) == ["feature_05"]
    assert browser.find_element(By.ID, "feature-count").text == "1 of 7 features shown"
    box.clear()
    box.send_keys(Keys.SPACE, Keys.BACKSPACE)  # an input event with the box empty
    Select(browser.find_element(By.ID, "level-filter")).select_by_value("none")
    shown = visible_features(browser)
    levels = {r.get_attribute("data-feature"): r.get_attribute("data-level") for r in rows(browser)}
    assert shown and shown == [name for name in [r.get_attribute("data-feature") for r in rows(browser)]
                               if levels[name] == "none"]
    Select(browser.find_element(By.ID, "level-filter")).select_by_value("")
    assert len(visible_features(browser)) == 7

    # Drill-down with the keyboard: focus a feature's button, press Enter; its article shows and takes the focus.
    detail = browser.find_element(By.ID, "details")
    assert not any(a.is_displayed() for a in detail.find_elements(By.CSS_SELECTOR, "article.detail"))
    button = browser.find_element(By.CSS_SELECTOR, "#feature-table tr[data-feature='feature_05'] button.drill")
    button.send_keys(Keys.ENTER)
    target = browser.find_element(By.ID, button.get_attribute("aria-controls"))
    assert target.is_displayed()
    assert button.get_attribute("aria-expanded") == "true"
    assert browser.switch_to.active_element == target
    assert target.find_element(By.TAG_NAME, "h3").text == "feature_05"
    charts = [svg.get_attribute("data-chart") for svg in target.find_elements(By.TAG_NAME, "svg")]
    assert charts == ["distribution", "psi_timeseries"]
    shown_articles = [a for a in detail.find_elements(By.CSS_SELECTOR, "article.detail") if a.is_displayed()]
    assert shown_articles == [target]

    # Slices open with the keyboard too.
    summary = browser.find_element(By.CSS_SELECTOR, "#slices details summary")
    summary.send_keys(Keys.ENTER)
    assert browser.find_element(By.CSS_SELECTOR, "#slices details").get_attribute("open") is not None

    # Every image has a text alternative: each svg has role img and an aria-label.
    for svg in browser.find_elements(By.CSS_SELECTOR, "svg"):
        if svg.find_elements(By.XPATH, "ancestor::*[local-name()='svg']"):
            continue
        assert svg.get_attribute("role") == "img" and svg.get_attribute("aria-label")

    for section in ("summary", "features", "trends", "details", "quality", "slices"):
        browser.find_element(By.ID, section).screenshot(str(ARTIFACTS / f"{section}.png"))
        assert (ARTIFACTS / f"{section}.png").stat().st_size > 1000

    # No console message of level warning or above, and no request but the file itself.
    problems = [entry for entry in browser.get_log("browser") if entry["level"] in ("SEVERE", "WARNING")]
    assert problems == []
    requested = set()
    for entry in browser.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            requested.add(message["params"]["request"]["url"])
    assert requested == {report.as_uri()}, requested  # the log works: it saw the page itself
