#!/usr/bin/env python3
"""The consumer portal in a real browser (headless Chromium through Selenium).

Starts `herald serve` on a fresh SQLite file and a receiver on loopback, makes a tenant, a
property, a failing webhook and a portal link through the API, then, as a partner would in the
browser: opens the link, creates a webhook, sends it a test, redelivers a failed delivery and
signs out, taking screenshots along the way.

Usage: tools/portal-browser-test.py [path/to/herald] [--screenshots DIR]
"""
import http.server
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import Select, WebDriverWait


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Receiver(http.server.BaseHTTPRequestHandler):
    """Answers 200 on /ok and 500 on /down, as a partner's endpoints would."""

    received = []

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        Receiver.received.append((self.path, self.rfile.read(length)))
        ok = self.path.startswith("/ok")
        body = b'{"received":true}' if ok else b"maintenance: try later"
        self.send_response(200 if ok else 500)
        self.send_header("Content-Type", "application/json" if ok else "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def main():
    args = sys.argv[1:]
    shots = None
    if "--screenshots" in args:
        index = args.index("--screenshots")
        shots = args[index + 1]
        del args[index : index + 2]
    herald = args[0] if args else ".build/debug/herald"
    work = tempfile.mkdtemp(prefix="herald-portal-")
    keep = shots is not None
    shots = shots or os.path.join(work, "screenshots")
    os.makedirs(shots, exist_ok=True)

    receiver = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    hooks = f"http://127.0.0.1:{receiver.server_address[1]}"

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    admin = "hrld_portal-browser-test-admin-key-0000000000000"
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("HERALD_", "OTEL_"))}
    environment["HERALD_ADMIN_KEY"] = admin
    server = subprocess.Popen(
        [herald, "serve", "--port", str(port), "--database", os.path.join(work, "herald.sqlite"),
         "--allow-targets", "127.0.0.1/32", "--log-level", "warning"],
        env=environment, stdout=open(os.path.join(work, "serve.log"), "w"), stderr=subprocess.STDOUT)
    driver = None
    try:
        for _ in range(200):
            try:
                urllib.request.urlopen(base + "/health", timeout=1)
                break
            except OSError:
                time.sleep(0.1)

        def api(method, path, body=None, key=admin):
            request = urllib.request.Request(
                base + "/api/v1" + path, method=method, data=json.dumps(body).encode() if body else None,
                headers={"user-api-key": key, "Content-Type": "application/json"})
            with urllib.request.urlopen(request, timeout=10) as answer:
                return json.load(answer)

        tenant = api("POST", "/tenants", {"tenant": {"name": "Seaside Hotels"}})["data"]["id"]
        property_id = api("POST", "/properties", {"property": {"title": "Seaside Lisbon", "tenant_id": tenant}})["data"]["id"]
        tenant_admin = api("POST", "/api_keys", {"api_key": {"role": "admin", "tenant_id": tenant}})["data"]["attributes"]["key"]
        publisher = api("POST", "/api_keys", {"api_key": {"role": "publisher", "tenant_id": tenant}})["data"]["attributes"]["key"]
        failing = api("POST", "/webhooks", {"webhook": {
            "property_id": property_id, "callback_url": hooks + "/down", "event_mask": "booking_new",
            "is_active": True, "send_data": True, "retry_policy": "none"}}, key=tenant_admin)["data"]["id"]
        for n in range(3):
            api("POST", "/events", {"event": {"name": "booking_new", "property_id": property_id,
                                              "payload": {"booking_id": f"BK-{n}"}}}, key=publisher)
        for _ in range(200):
            found = api("GET", f"/webhooks/{failing}/deliveries?filter[status]=failed", key=tenant_admin)["data"]
            if len(found) == 3:
                break
            time.sleep(0.1)
        else:
            raise SystemExit("the failing deliveries never settled")
        link = api("POST", "/portal_links", {"portal_link": {}}, key=tenant_admin)["data"]["attributes"]["url"]
        assert link.startswith(base + "/portal/enter?token=hpl_"), link

        options = webdriver.ChromeOptions()
        for argument in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,1000"]:
            options.add_argument(argument)
        driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
        # A wait polls until its condition holds or 15 s pass. A form posted a moment before may
        # swap the page while an element of the old one is being read: Chrome then answers with
        # a stale element, or with "Node with given id does not belong to the document" (a plain
        # WebDriverException, which a wait does not ignore by default). Either way, look again.
        wait = WebDriverWait(driver, 15, ignored_exceptions=(StaleElementReferenceException, WebDriverException))

        def shot(name):
            driver.save_screenshot(os.path.join(shots, name + ".png"))

        def click(element_id):
            driver.find_element(By.ID, element_id).click()

        # The link's page, then its button: a session starts.
        driver.get(link)
        click("enter")
        wait.until(expected_conditions.text_to_be_present_in_element((By.TAG_NAME, "header"), "Seaside Hotels"))
        assert driver.current_url == base + "/portal/webhooks", driver.current_url
        assert failing in driver.page_source
        session = driver.get_cookie("herald_portal")
        assert session and session["httpOnly"] and session["sameSite"] == "Strict", session
        shot("1-webhooks")

        # A webhook, made in the form; a mistake first, shown beside its field.
        driver.get(base + "/portal/webhooks/new")
        Select(driver.find_element(By.ID, "property_id")).select_by_visible_text("Seaside Lisbon")
        driver.find_element(By.ID, "callback_url").send_keys("ftp://example.com/hook")
        driver.find_element(By.CSS_SELECTOR, "input[value='booking_new']").click()
        click("save")
        message = wait.until(expected_conditions.presence_of_element_located((By.CSS_SELECTOR, "p.error")))
        assert "http" in message.text, message.text
        url_field = driver.find_element(By.ID, "callback_url")
        url_field.clear()
        url_field.send_keys(hooks + "/ok")
        driver.find_element(By.CSS_SELECTOR, "input[value='booking_cancellation']").click()
        driver.find_element(By.ID, "headers").send_keys("X-Partner: seaside")
        click("save")
        wait.until(expected_conditions.text_to_be_present_in_element((By.TAG_NAME, "main"), "Webhook created"))
        assert "booking_new;booking_cancellation" in driver.page_source

        # A test, answered 200 by the endpoint.
        click("send-test")
        wait.until(expected_conditions.presence_of_element_located((By.ID, "test-result")))
        result = driver.find_element(By.ID, "test-result").text
        assert "200" in result and "received" in result, result
        shot("2-test-sent")
        click("reveal-secret")
        secret = wait.until(expected_conditions.presence_of_element_located((By.ID, "secret")))
        assert secret.text.startswith("whsec_"), secret.text

        # A failed delivery: its attempts, then redelivered.
        driver.get(f"{base}/portal/webhooks/{failing}?status=failed")
        assert "maintenance" not in driver.page_source
        rows = driver.find_elements(By.CSS_SELECTOR, "#deliveries tbody tr")
        assert len(rows) == 3, len(rows)
        driver.execute_script("document.getElementById('filters').scrollIntoView()")
        shot("3-delivery-log")
        rows[0].find_element(By.LINK_TEXT, "Attempts").click()
        wait.until(expected_conditions.presence_of_element_located((By.ID, "redeliver")))
        assert "maintenance: try later" in driver.page_source
        click("redeliver")
        wait.until(expected_conditions.text_to_be_present_in_element((By.TAG_NAME, "main"), "Queued to be sent again"))
        shot("4-redelivered")

        # Signing out ends the session; the pages send you to sign in.
        click("sign-out")
        wait.until(expected_conditions.text_to_be_present_in_element((By.TAG_NAME, "main"), "You signed out"))
        driver.get(base + "/portal/webhooks")
        wait.until(expected_conditions.url_contains("/portal/sign-in"))
        shot("5-signed-out")
        # The link opened once.
        driver.get(link)
        click("enter")
        wait.until(expected_conditions.text_to_be_present_in_element((By.CSS_SELECTOR, "p.alert"), "opened already"))

        # A phone's width: the list still reads.
        driver.set_window_size(390, 844)
        driver.get(base + "/portal/sign-in")
        driver.find_element(By.ID, "api_key").send_keys(tenant_admin)
        click("sign-in")
        wait.until(expected_conditions.presence_of_element_located((By.ID, "webhooks")))
        shot("6-phone")
        width = driver.execute_script("return document.documentElement.scrollWidth")
        assert width <= 400, f"the page is {width}px wide on a phone"
        print("portal browser test passed" + (f"; screenshots in {shots}" if keep else ""))
        shutil.rmtree(work, ignore_errors=True)
    except Exception:
        if driver:
            # What the browser showed when it failed.
            driver.save_screenshot(os.path.join(shots, "failure.png"))
            source = driver.page_source
            print(f"failed at {driver.current_url}:\n{source[source.find('<main'):][:3000]}", file=sys.stderr)
        print(open(os.path.join(work, "serve.log")).read()[-4000:], file=sys.stderr)
        raise
    finally:
        if driver:
            driver.quit()
        server.terminate()
        server.wait(timeout=10)
        receiver.shutdown()


if __name__ == "__main__":
    main()
