"""The dispatch board in a real browser (Debian's Chromium through Playwright) against a real
server process: sign in, the demo day on the board, live updates both ways, the jobs list with
its filters in the URL, the dashboard, and a server restart survived without a missed update.

The module runs on a database of its own holding the demo company (see web_helpers.fresh_database
for why not the run's shared one). Screenshots of the board, the list and the dashboard land in
tests/artifacts/.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest

pytest.importorskip("playwright.async_api")
from playwright.async_api import Browser, Page, async_playwright, expect

from db.demo import DEMO_PASSWORD
from tests.web_helpers import (
    CHROMIUM,
    Api,
    WebServer,
    fresh_database,
    in_process_api,
    launch_chromium,
    load_demo_company,
    screenshot,
)

pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists(), reason=f"browser tests need Chromium at {CHROMIUM}"
)

DISPATCHER = "marcus.bell@northwind.example"
LIVE_WITHIN_MS = 2000


@pytest.fixture(scope="module")
async def database() -> AsyncIterator[str]:
    async with fresh_database() as url:
        yield url


@pytest.fixture(scope="module")
async def server(database: str) -> AsyncIterator[WebServer]:
    """The server process, started while the demo company is written (it needs no data)."""
    web = WebServer(database)
    await asyncio.gather(web.start(), load_demo_company(database))
    yield web
    await web.stop()


@pytest.fixture(scope="module")
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        chromium = await launch_chromium(playwright)
        yield chromium
        await chromium.close()


@pytest.fixture
async def api(server: WebServer) -> AsyncIterator[Api]:
    client = Api(server.url)
    await client.sign_in(DISPATCHER, DEMO_PASSWORD)
    yield client
    await client.aclose()


@pytest.fixture
async def page(browser: Browser) -> AsyncIterator[Page]:
    context = await browser.new_context(viewport={"width": 1280, "height": 900})
    yield await context.new_page()
    await context.close()


async def sign_in(page: Page, server: WebServer, password: str = DEMO_PASSWORD) -> None:
    await page.goto(server.url + "/")
    await page.get_by_label("Email").fill(DISPATCHER)
    await page.get_by_label("Password").fill(password)
    await page.get_by_role("button", name="Sign in").click()


async def open_board(page: Page, server: WebServer) -> None:
    """Signed in, the board loaded and the live subscription caught up."""
    await sign_in(page, server)
    await expect(page.locator("#live-status")).to_have_text("Live")
    await expect(page.locator("#board-view")).to_have_attribute("data-synced", "true")


def block(page: Page, visit_id: str) -> Any:
    return page.locator(f'.visit[data-visit-id="{visit_id}"]').first


async def pick(api: Api, status: str, count: int = 1) -> list[str]:
    """Ids of today's staffed visits in `status`."""
    visits = await api.visits(await api.today())
    found = [v["id"] for v in visits.values() if v["status"] == status and v["technicians"]]
    assert len(found) >= count, f"the demo day has fewer than {count} {status} visits"
    return found[:count]


async def test_sign_in_shows_the_demo_day_and_sign_out_ends_the_session(
    page: Page, server: WebServer, api: Api
) -> None:
    # given a wrong password, the page says so in plain words
    await sign_in(page, server, password="not-the-password")
    await expect(page.locator("#signin-message")).to_have_text("Wrong email or password.")

    # when the dispatcher signs in
    await sign_in(page, server)

    # then the board shows every visit of the demo day, in its technician's lane
    await expect(page.locator("#user-name")).to_have_text("Marcus Bell")
    await expect(page.locator("#live-status")).to_have_text("Live")
    board = await api.board(await api.today())
    blocks = sum(len(lane["visits"]) for lane in board["lanes"]) + len(board["unassigned"])
    assert blocks > 10
    await expect(page.locator(".visit")).to_have_count(blocks)
    await expect(page.locator(".lane[data-lane]")).to_have_count(len(board["lanes"]) + 1)
    for lane in board["lanes"]:
        track = page.locator(f'.lane[data-lane="{lane["technician"]["id"]}"]')
        await expect(track.locator(".lane-name")).to_have_text(lane["technician"]["name"])
        await expect(track.locator(".visit")).to_have_count(len(lane["visits"]))
    late = sum(v["isLate"] for lane in board["lanes"] for v in lane["visits"])
    await expect(
        page.locator('.lane:not(.lane-unassigned) .visit[data-late="true"]')
    ).to_have_count(late)
    await screenshot(page, "board")

    # and at tablet width the page keeps to the screen: the day scrolls inside the board
    await page.set_viewport_size({"width": 820, "height": 1100})
    assert await page.evaluate("document.documentElement.scrollWidth") <= 820
    await expect(page.locator(".visit").first).to_be_visible()
    await screenshot(page, "board-tablet")

    # and signing out forgets the token and revokes it on the server
    token = await page.evaluate("localStorage.getItem('opus.token')")
    await page.get_by_role("button", name="Sign out").click()
    await expect(page.get_by_role("heading", name="Sign in to dispatch")).to_be_visible()
    assert await page.evaluate("localStorage.getItem('opus.token')") is None
    revoked = await Api(server.url, token).raw("{ viewer { user { name } } }")
    assert revoked["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_a_transition_made_through_the_api_appears_on_the_board_within_two_seconds(
    page: Page, server: WebServer, api: Api
) -> None:
    # given the board open and live
    (visit_id,) = await pick(api, "SCHEDULED")
    await open_board(page, server)
    await expect(block(page, visit_id)).to_have_attribute("data-status", "SCHEDULED")

    # when a technician's app presses "en route"
    await api.transition(visit_id, "EN_ROUTE")

    # then the block changes without a reload, and screen readers hear of it
    await expect(block(page, visit_id)).to_have_attribute(
        "data-status", "EN_ROUTE", timeout=LIVE_WITHIN_MS
    )
    await expect(block(page, visit_id)).to_contain_text("En route")
    await expect(page.locator("#announcer")).to_contain_text("is now En route")


async def test_pressing_status_buttons_on_the_board_changes_the_database(
    page: Page, server: WebServer, api: Api
) -> None:
    # given a visit being worked on, opened from its block
    (visit_id,) = await pick(api, "SCHEDULED")
    for step in ("EN_ROUTE", "ARRIVED", "WORKING"):
        await api.transition(visit_id, step)
    await open_board(page, server)
    await expect(block(page, visit_id)).to_have_attribute("data-status", "WORKING")
    await block(page, visit_id).click()
    panel = page.get_by_role("dialog")
    await expect(panel.locator("#panel-status")).to_contain_text("Working")

    # then a move the state machine refuses is shown disabled, with the reason
    complete = panel.locator('button.transition[data-to="COMPLETED"]')
    await expect(complete).to_have_attribute("aria-disabled", "true")
    await complete.focus()
    await expect(panel.locator(".hint")).to_contain_text("cannot move to COMPLETED")

    # when the dispatcher pauses the work, saying why
    await panel.locator('button.transition[data-to="PAUSED"]').click()
    await panel.get_by_label("Why pause? (required)").fill("Waiting for the customer")
    await panel.locator('button[data-confirm="PAUSED"]').click()

    # then the database has it, and the board and panel show it
    await expect(panel.locator("#panel-status")).to_contain_text("Paused")
    stored = await api.visit(visit_id)
    assert (stored["status"], stored["statusReason"]) == ("PAUSED", "Waiting for the customer")
    await expect(block(page, visit_id)).to_have_attribute("data-status", "PAUSED")

    # and the technician can resume from the same panel
    await panel.get_by_role("button", name="Resume work").click()
    await expect(panel.locator("#panel-status")).to_contain_text("Working")
    assert (await api.visit(visit_id))["status"] == "WORKING"


async def test_list_filters_and_search_narrow_results_and_live_in_the_url(
    page: Page, server: WebServer, api: Api
) -> None:
    # given the jobs list
    await open_board(page, server)
    await page.get_by_role("link", name="Jobs").click()
    everything = await api.job_count()
    count = page.locator("#list-count")
    await expect(count).to_have_text(f"{everything} jobs match")
    await expect(page.locator(".jobs-table tbody tr")).to_have_count(25)
    await screenshot(page, "list")

    # when the dispatcher narrows by status
    await page.locator('[data-filter="status"] summary').click()
    await page.get_by_role("checkbox", name="Scheduled", exact=True).check()
    scheduled = await api.job_count(status=["SCHEDULED"])
    await expect(count).to_have_text(f"{scheduled} jobs match")
    assert 0 < scheduled < everything
    await page.locator('[data-filter="status"] summary').click()

    # and searches
    await page.get_by_label("Search").fill("boiler")
    both = await api.job_count(status=["SCHEDULED"], search="boiler")
    await expect(count).to_have_text(re.compile(rf"^{both} jobs? match$"))
    assert 0 < both < scheduled
    rows = page.locator(".jobs-table tbody tr")
    await expect(rows).to_have_count(both)
    for status in await rows.locator("td:nth-child(4)").all_inner_texts():
        assert status == "Scheduled"

    # then the filters are in the URL, and the URL alone gives the same view
    query = parse_qs(urlparse(page.url).query)
    assert query["view"] == ["list"]
    assert query["status"] == ["SCHEDULED"]
    assert query["q"] == ["boiler"]
    shared = await page.context.new_page()
    await shared.goto(page.url)
    await expect(shared.locator("#list-count")).to_have_text(re.compile(rf"^{both} jobs? match$"))
    await expect(shared.get_by_label("Search")).to_have_value("boiler")
    await expect(shared.locator('[data-filter="status"] summary')).to_have_text("Status (1)")
    await expect(shared.locator('input[name="status"][value="SCHEDULED"]')).to_be_checked()
    await shared.close()

    # and a technician filter narrows further, a priority filter too
    technicians = await api("{ technicians(first: 1) { nodes { id name } } }")
    technician = technicians["technicians"]["nodes"][0]
    await page.get_by_label("Search").fill("")
    await page.get_by_label("Technician", exact=True).select_option(technician["id"])
    theirs = await api.job_count(status=["SCHEDULED"], technicianId=technician["id"])
    await expect(count).to_have_text(re.compile(rf"^{theirs} jobs? match$"))
    assert parse_qs(urlparse(page.url).query)["tech"] == [technician["id"]]

    # and, when the server knows material readiness, parts readiness is a filter too
    if await api.job_filter_has("readiness"):
        await page.locator('[data-filter="ready"] summary').click()
        await page.locator('input[name="ready"][value="READY"]').check()
        ready = await api.job_count(
            status=["SCHEDULED"], technicianId=technician["id"], readiness=["READY"]
        )
        await expect(count).to_have_text(re.compile(rf"^{ready} jobs? match$"))
        assert parse_qs(urlparse(page.url).query)["ready"] == ["READY"]

    # and cursor pages move through the whole list
    await page.get_by_role("button", name="Clear filters").click()
    await expect(count).to_have_text(f"{everything} jobs match")
    first_page = await rows.locator("th").all_inner_texts()
    await page.locator('.pager [data-page="next"]').click()
    await expect(page.locator(".page-number")).to_contain_text("Page 2")
    assert "after" in parse_qs(urlparse(page.url).query)
    await expect(rows.first.locator("th")).not_to_have_text(first_page[0])
    second_page = await rows.locator("th").all_inner_texts()
    assert not set(first_page) & set(second_page)
    await page.locator('.pager [data-page="previous"]').click()
    await expect(rows.first.locator("th")).to_have_text(first_page[0])


async def test_the_dashboard_counts_jobs_by_status_and_the_day(
    page: Page, server: WebServer, api: Api
) -> None:
    await open_board(page, server)
    await page.get_by_role("link", name="Dashboard").click()
    statuses = ["UNSCHEDULED", "SCHEDULED", "IN_PROGRESS", "ON_HOLD", "COMPLETED", "INVOICED"]
    for status in statuses:
        expected = await api.job_count(status=[status])
        card = page.locator(f'.stat[data-stat="{status}"] .card-value')
        await expect(card).to_have_text(str(expected))
    board = await api.board(await api.today())
    await expect(page.locator('.stat[data-stat="unassigned"] .card-value')).to_have_text(
        str(len(board["unassigned"]))
    )
    await expect(page.locator('.stat[data-stat="on-hold"] .card-value')).to_have_text(
        str(await api.job_count(status=["ON_HOLD"]))
    )
    await screenshot(page, "dashboard")


async def test_a_server_restart_is_survived_without_a_missed_update(
    page: Page, server: WebServer, api: Api, database: str
) -> None:
    # given the board live, holding a cursor from an update it received
    first, during, after = await pick(api, "SCHEDULED", 3)
    await open_board(page, server)
    await api.transition(first, "EN_ROUTE")
    await expect(block(page, first)).to_have_attribute(
        "data-status", "EN_ROUTE", timeout=LIVE_WITHIN_MS
    )

    # when the server goes away
    await server.stop()
    banner = page.locator("#reconnect-banner")
    await expect(banner).to_be_visible()
    await expect(page.locator("#live-status")).to_have_text("Reconnecting…")

    # and a change is made meanwhile (through another API process on the same database)
    async with in_process_api(database, api.token) as other:
        await other.transition(during, "EN_ROUTE")

    # then the page reconnects by itself, says so, and catches up from its cursor
    await server.start()
    await expect(page.locator("#live-status")).to_have_text("Live", timeout=15000)
    await expect(banner).to_be_hidden()
    await expect(block(page, during)).to_have_attribute("data-status", "EN_ROUTE", timeout=5000)

    # and changes after the restart arrive live again
    await api.transition(after, "EN_ROUTE")
    await expect(block(page, after)).to_have_attribute(
        "data-status", "EN_ROUTE", timeout=LIVE_WITHIN_MS
    )
