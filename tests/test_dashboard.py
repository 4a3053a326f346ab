"""The dashboard at /ui in a real headless browser (Debian's chromium, driven
by Selenium through chromedriver): log in as a vSphere user, start a stage,
disconnect a host from the page and watch it turn ERROR; the page must raise
no JavaScript error. The screenshot is kept under .ci/artifacts/."""

from __future__ import annotations

import os
import shutil
import ssl
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import WebDriverWait

from vlcmsim.testing import Server

ARTIFACTS = Path(__file__).resolve().parents[1] / ".ci" / "artifacts"


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[WebDriver]:
    chromium, driver = shutil.which("chromium"), shutil.which("chromedriver")
    if not chromium or not driver:
        raise RuntimeError("the dashboard test needs Debian's chromium and chromium-driver (apt-get install ...)")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--ignore-certificate-errors",
        "--window-size=1500,1000",
    ):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    # chromium leaves folders in TMPDIR when it quits: they go with the test's own
    web = webdriver.Chrome(service=Service(driver, env={**os.environ, "TMPDIR": str(tmp_path)}), options=options)
    yield web
    web.quit()


def click(web: WebDriver, element_id: str) -> None:
    """Find and click in one step: the page redraws itself every second, an element
    found a moment ago may be gone (a person's click lands on what is there)."""
    WebDriverWait(web, 30, poll_frequency=0.1).until(
        lambda w: w.execute_script(
            "const e = document.getElementById(arguments[0]); if (e) e.click(); return !!e;", element_id
        )
    )


def row_status(web: WebDriver, host: str) -> str | None:
    """The host's status in the newest task's table, read in one step (see `click`)."""
    status: str | None = web.execute_script(
        "const r = document.querySelector(`#tasks .task:first-child tr.host-progress[data-host='${arguments[0]}']`);"
        "return r ? r.dataset.status : null;",
        host,
    )
    return status


def test_stage_and_a_disconnect_rehearsed_from_the_page(browser: WebDriver, fresh_server: Server) -> None:
    wait = WebDriverWait(browser, 30, poll_frequency=0.1)
    browser.get(f"{fresh_server.url}/ui")
    browser.find_element(By.ID, "password").send_keys("VMware1!")
    click(browser, "login-button")
    wait.until(lambda w: w.find_elements(By.ID, "stage-domain-c1"))
    assert "Cluster-A" in browser.find_element(By.ID, "inventory").text
    wait.until(lambda w: "depot-1" in w.execute_script("return document.getElementById('depots').innerText"))

    click(browser, "open-host-1")  # the host's own panel holds the simulation's knobs
    click(browser, "slow-host-1")  # host-1's link: slow enough to disconnect it mid-stage
    wait.until(lambda w: "64 KiB/s" in w.find_element(By.ID, "knob-link").text)  # the knob's state is shown
    wait.until(lambda w: "slow link 64 KiB/s" in w.find_element(By.ID, "host-host-1").text)
    click(browser, "stage-domain-c1")
    wait.until(lambda w: row_status(w, "host-1") in ("RUNNING", "RETRY_PENDING"))
    click(browser, "disconnect-host-1")
    wait.until(lambda w: row_status(w, "host-1") == "ERROR")
    wait.until(lambda w: row_status(w, "host-4") == "OK")
    text = browser.find_element(By.ID, "tasks").text
    assert "esx-a1.vlcmsim.local" in text and "disconnected" in text

    click(browser, "image-domain-c1")  # its image against its hosts
    wait.until(lambda w: "8.0.3-0.0.24022510" in w.find_element(By.ID, "detail").text)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    assert browser.save_screenshot(str(ARTIFACTS / "dashboard.png"))
    errors = [entry for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]
    assert errors == []  # no JavaScript error, no failed request


def test_the_dashboard_ships_its_own_assets(fresh_server: Server) -> None:
    verify = ssl.create_default_context(cafile=str(fresh_server.cert))
    with httpx.Client(base_url=fresh_server.url, verify=verify, trust_env=False) as c:
        page = c.get("/ui")
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        assert page.headers["content-security-policy"].startswith("default-src 'self'")  # nothing from elsewhere
        for asset, kind in (("/ui/app.js", "text/javascript"), ("/ui/style.css", "text/css")):
            r = c.get(asset)
            assert r.status_code == 200 and r.headers["content-type"].startswith(kind)
            assert "://" not in r.text  # no CDN, no external address
        assert c.get("/ui/../server.key").status_code == 404
        assert c.get("/ui/nothing.js").status_code == 404


def login_as(browser: WebDriver, server: Server, user: str) -> WebDriverWait:  # type: ignore[type-arg]
    wait = WebDriverWait(browser, 30, poll_frequency=0.1)
    browser.get(f"{server.url}/ui")
    user_box = browser.find_element(By.ID, "user")
    user_box.clear()
    user_box.send_keys(user)
    browser.find_element(By.ID, "password").send_keys("VMware1!")
    click(browser, "login-button")
    wait.until(lambda w: w.find_elements(By.ID, "stage-domain-c1"))
    return wait


def test_a_refused_action_shows_its_error_and_keeps_it(browser: WebDriver, fresh_server: Server) -> None:
    wait = login_as(browser, fresh_server, "readonly@vsphere.local")
    click(browser, "open-host-1")
    click(browser, "disconnect-host-1")  # a read-only user may not
    wait.until(lambda w: w.find_element(By.ID, "action-error").is_displayed())
    text = browser.find_element(By.ID, "action-error-text").text
    assert "refused" in text and "readonly@vsphere.local" in text, text
    time.sleep(2.5)  # two refreshes later, it is still there
    assert browser.find_element(By.ID, "action-error").is_displayed()
    click(browser, "action-error-dismiss")
    wait.until(lambda w: not w.find_element(By.ID, "action-error").is_displayed())


def test_depot_content_lists_its_components_and_a_selection_survives_refreshes(
    browser: WebDriver, fresh_server: Server
) -> None:
    wait = login_as(browser, fresh_server, "administrator@vsphere.local")
    click(browser, "content-depot-1")
    wait.until(lambda w: w.find_elements(By.ID, "depot-content-table"))
    content = browser.find_element(By.ID, "depot-content-table").text
    assert "Intel-i40en" in content and "1.12.3.0" in content and "8.0 U3 (8.0.3-0.0.24022510)" in content
    click(browser, "open-host-2")
    wait.until(lambda w: "selected" in w.find_element(By.ID, "host-host-2").get_attribute("class"))
    browser.execute_script("window.keptRow = document.getElementById('host-host-2');")
    time.sleep(2.5)  # refreshed twice meanwhile: the same element, still selected
    assert browser.execute_script("return window.keptRow === document.getElementById('host-host-2');")
    assert "selected" in browser.find_element(By.ID, "host-host-2").get_attribute("class")
    # the standalone host managed with an image shows its compliance in the tree
    assert "NON_COMPLIANT" in browser.find_element(By.ID, "host-host-10").text
    # remediation asks first
    click(browser, "apply-domain-c1")
    wait.until(lambda w: w.find_elements(By.ID, "apply-confirm-domain-c1"))
    click(browser, "apply-cancel-domain-c1")
    wait.until(lambda w: w.find_elements(By.ID, "apply-domain-c1"))
    errors = [entry for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]
    assert errors == []


def test_a_clusters_configuration_drift_shows_per_host(browser: WebDriver, fresh_server: Server) -> None:
    with fresh_server.client() as rest:
        base = "/api/esx/settings/clusters/domain-c1/enablement/configuration/transition"
        for action, body in (("importFromHost", "host-1"), ("enable", None)):
            task = rest.post(base, params={"action": action, "vmw-task": "true"}, json=body).json()
            while rest.get(f"/api/cis/tasks/{task}").json()["status"] not in ("SUCCEEDED", "FAILED"):
                time.sleep(0.05)
        rest.patch("/sim/hosts/host-4/configuration", json={"path": "esx/services/ssh/enabled", "value": True})
    wait = login_as(browser, fresh_server, "administrator@vsphere.local")
    click(browser, "image-domain-c1")
    click(browser, "config-check-domain-c1")
    wait.until(lambda w: w.find_elements(By.ID, "config-compliance-domain-c1"))
    table = browser.find_element(By.ID, "config-compliance-domain-c1").text
    assert "esx/services/ssh/enabled: true → false" in table and "NON_COMPLIANT" in table
