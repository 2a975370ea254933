#!/usr/bin/env python3
"""End-to-end test of the Herald Console in headless Chromium (Playwright driving the system
Chromium; nothing is downloaded). Run by ConsoleBrowserTests against a real server:

    console_e2e.py --url http://127.0.0.1:PORT --api-key KEY --screenshots DIR

Signs in, sees the example journeys on the overview, watches a count on the journey map change
live (no reload) after an event is posted through the API, pauses the journey from the console and
sees it take no new entries, reads a customer's decision reasons, and checks that the console's
data and stream refuse a request without a session. Saves screenshots of the overview, the map
and the customer page. Exits non-zero with a message on the first failure.
"""
import argparse
import json
import os
import re
import sys
import time
import urllib.request

from playwright.sync_api import expect, sync_playwright


def api(url, key, method, path, body=None):
    request = urllib.request.Request(
        url + path,
        method=method,
        data=None if body is None else json.dumps(body).encode(),
        headers={"Authorization": "Bearer " + key, "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        text = response.read().decode()
        return response.status, (json.loads(text) if text else None)


def check(condition, message):
    if not condition:
        raise SystemExit("console browser test failed: " + message)
    print("ok:", message)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--api-key", required=True)
    parser.add_argument("--screenshots", required=True)
    parser.add_argument("--report", help="an HTML dry-run report whose customer search to check")
    parser.add_argument("--report-customer", default="c002")
    parser.add_argument("--chromium", default=os.environ.get("HERALD_CHROMIUM", "/usr/bin/chromium"))
    args = parser.parse_args()
    url, key = args.url.rstrip("/"), args.api_key
    os.makedirs(args.screenshots, exist_ok=True)
    started = time.monotonic()

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=args.chromium, args=["--no-sandbox"])
        context = browser.new_context(viewport={"width": 1400, "height": 900})
        page = context.new_page()

        # Without a session: pages go to sign-in, data and the stream are refused.
        page.goto(url + "/console")
        check(page.url.endswith("/console/login"), "the overview without a session redirects to sign-in")
        for path in ["/console/journeys/cart_abandonment/counts", "/console/stream?journey=cart_abandonment"]:
            status = context.request.get(url + path).status
            check(status == 401, f"{path} without a session answers 401 (got {status})")

        # Sign in; the overview lists the example journeys.
        page.fill("input[name=api_key]", key)
        page.click("button[type=submit]")
        page.wait_for_url(url + "/console")
        for name in ["cart_abandonment", "welcome_series", "post_purchase", "win_back"]:
            check(page.locator(f'tr[data-journey="{name}"]').count() == 1, f"the overview lists {name}")

        # The journey map: counts change live after an event is posted, without a reload.
        page.goto(url + "/console/journeys/cart_abandonment")
        expect(page.locator("[data-live-status]")).to_have_text(re.compile("^live"), timeout=15000)
        entered = page.locator('svg tspan[data-step=""][data-metric="entered"]')
        before = int(entered.text_content())
        page.evaluate("window.__notReloaded = true")
        api(url, key, "PUT", "/v1/customers/browser-1", {"email": "browser-1@example.com", "time_zone": "Europe/Berlin"})
        api(url, key, "POST", "/v1/events", {"id": "browser-e1", "customer_id": "browser-1", "name": "cart.updated", "properties": {"items": 3}})
        posted = time.monotonic()
        # The bound: the count changes within 2 s of the API's answer.
        expect(entered).to_have_text(str(before + 1), timeout=2000)
        check(True, f"the map's entered count went {before} -> {before + 1} in {time.monotonic() - posted:.2f} s")
        check(page.evaluate("window.__notReloaded === true"), "the page was not reloaded")
        waiting = page.locator('svg tspan.count[data-metric="waiting"]').all_text_contents()
        check(sum(int(n) for n in waiting) >= 1, "a step shows the customer waiting")
        page.screenshot(path=os.path.join(args.screenshots, "console-journey-map.png"), full_page=True)

        # Pause from the console (confirming the dialog): new carts no longer enter.
        page.once("dialog", lambda dialog: dialog.accept())
        page.click("form[data-confirm] button")
        page.wait_for_selector("span.paused")
        check(True, "the journey shows paused after confirming")
        api(url, key, "PUT", "/v1/customers/browser-2", {"email": "browser-2@example.com"})
        api(url, key, "POST", "/v1/events", {"id": "browser-e2", "customer_id": "browser-2", "name": "cart.updated", "properties": {"items": 1}})
        deadline = time.monotonic() + 30
        refused = False
        while time.monotonic() < deadline and not refused:
            _, customer = api(url, key, "GET", "/v1/customers/browser-2")
            refused = any(entry.get("kind") == "not_entered" for entry in customer.get("recent_decisions", []))
            time.sleep(0.1)
        check(refused, "a cart posted while paused did not enter")
        page.goto(url + "/console/journeys/cart_abandonment")
        check(int(page.locator('svg tspan[data-step=""][data-metric="entered"]').text_content()) == before + 1, "the entered count did not move while paused")

        # The customer pages show the decisions with their reasons.
        page.fill("input[name=id]", "browser-2")
        page.click("form.find button")
        page.wait_for_selector("table.timeline")
        check("the journey is paused" in page.inner_text("table.timeline"), "the customer page says why browser-2 did not enter")
        page.goto(url + "/console/customers?id=browser-1")
        check("entered cart_abandonment on event cart.updated" in page.inner_text("table.timeline"), "the customer page shows browser-1's entry")
        page.screenshot(path=os.path.join(args.screenshots, "console-customer.png"), full_page=True)
        page.goto(url + "/console")
        check(page.locator('tr[data-journey="cart_abandonment"] .paused').count() == 1, "the overview shows the journey paused")
        page.screenshot(path=os.path.join(args.screenshots, "console-overview.png"), full_page=True)

        if args.report:
            # The dry-run's HTML report opens from a file (no server) and its search finds a customer.
            report = browser.new_page(viewport={"width": 1400, "height": 900})
            report.goto("file://" + os.path.abspath(args.report))
            report.fill("#customer-search", args.report_customer)
            visible = report.locator("#customers .customer:visible")
            expect(visible.first).to_have_attribute("data-id", args.report_customer)
            check(all(args.report_customer in i for i in visible.evaluate_all("rows => rows.map(r => r.getAttribute('data-id'))")),
                  f"the report's search shows only customers matching {args.report_customer} ({visible.count()})")
            report.fill("#customer-search", "")
            report.locator("#journey-cart_abandonment").scroll_into_view_if_needed()
            report.screenshot(path=os.path.join(args.screenshots, "dry-run-report.png"))
        browser.close()
    print(f"console browser test passed in {time.monotonic() - started:.1f} s")


if __name__ == "__main__":
    main()
