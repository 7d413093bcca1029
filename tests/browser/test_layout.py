"""The portal's layout in Chromium: the student's pages (dashboard, wallet, transfers, API keys,
my chain, explorer, studio, leaderboard) and the instructor's (gradebook, progress, reserves,
students' chains, markets control, a student's activity), in English and Korean, on a 1280 px
laptop and a 390 px phone.

Every page fits the screen (a wide table scrolls inside its own labelled, focusable region, never
the page), opens with the same header (breadcrumb, h1, buttons, meta line), and names the course
in the reader's language. The world is the accessibility sweep's (built once per module).
Screenshots: var/screenshots/layout-*.png.
"""

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from sandbox.chain.models import Deployment
from tests.browser import test_accessibility as sweep
from tests.browser.conftest import PHONE, horizontal_overflow, screenshot, sticking_out

pytestmark = [pytest.mark.browser, pytest.mark.django_db(serialized_rollback=True)]
OFFERING = sweep.OFFERING
world, tabs = sweep.world, sweep.tabs  # the sweep's fixtures: its world, its logged-in tabs

TITLES = {
    "en": "Digital Asset Exchanges and Smart Contracts",
    "ko": "디지털 자산 거래소와 스마트 계약",
}
SCREENS = ("phone", "desktop")

# (person, page) → (URL name, arguments after the offering's slug; "<name>" is read from the world)
PAGES = {
    ("student", "dashboard"): ("offering-detail", ()),
    ("student", "wallet"): ("sandbox-wallet", ()),
    ("student", "transfers"): ("wallet-transfers", ()),
    ("student", "api-keys"): ("sandbox-api-keys", ()),
    ("student", "my-chain"): ("chain-mine", ()),
    ("student", "explorer"): ("chain-explorer", ()),
    ("student", "explorer-block"): ("chain-block", ("<block>",)),
    ("student", "explorer-tx"): ("chain-tx", ("<tx>",)),
    ("student", "explorer-address"): ("chain-address", ("<address>",)),
    ("student", "studio"): ("chain-studio", ()),
    ("student", "leaderboard"): ("markets-leaderboard", ()),
    ("instructor", "gradebook"): ("teach-gradebook", ()),
    ("instructor", "progress"): ("teach-progress", ()),
    ("instructor", "reserves"): ("wallet-reserves", ()),
    ("instructor", "students-chains"): ("chain-roster", ()),
    ("instructor", "markets-control"): ("markets-control", ()),
    ("instructor", "student-activity"): ("sandbox-student-activity", ("<minji>",)),
}
# the dashboard's header is the course's own (its title is the h1)
HEADED = [key for key in PAGES if key != ("student", "dashboard")]


@pytest.fixture(scope="module")
def places(world):
    """What the explorer's and the activity pages' URLs name: minji's deployment and her id."""
    deployment = Deployment.objects.get()
    return {
        "<block>": deployment.block_number,
        "<tx>": deployment.tx_hash,
        "<address>": deployment.address,
        "<minji>": get_user_model().objects.get(username="minji").pk,
    }


def visit(tabs, site, places, person: str, name: str, language: str, screen: str):
    url_name, args = PAGES[(person, name)]
    page = tabs(person, language, screen)
    url = site.url + reverse(url_name, args=[OFFERING, *(places.get(a, a) for a in args)])
    response = page.goto(url)
    assert response is not None and response.ok, f"{url} answered {response and response.status}"
    page.wait_for_load_state("networkidle")
    assert page.evaluate("document.documentElement.lang") == language
    return page


def every(pages, languages=("en", "ko"), screens=SCREENS):
    return [
        pytest.param(person, name, language, screen, id=f"{person}-{name}-{language}-{screen}")
        for screen in screens
        for language in languages
        for person, name in pages
    ]


# Tables reaching past their box or the screen, and whether a labelled, focusable region
# (role=region, tabindex=0, a name) is the box that scrolls them.
UNREGIONED_WIDE_TABLES = """() => [...document.querySelectorAll('main table')].filter(table => {
    const box = table.getBoundingClientRect();
    if (box.width === 0) return false;
    let scroller = table.parentElement;
    while (scroller && getComputedStyle(scroller).overflowX === 'visible') scroller = scroller.parentElement;
    const wide = box.right > innerWidth + 1 || (scroller && table.scrollWidth > scroller.clientWidth + 1);
    if (!wide) return false;
    const named = scroller && (scroller.getAttribute('aria-label') || (scroller.getAttribute('aria-labelledby') || '')
        .split(' ').map(id => document.getElementById(id)).some(label => label && label.textContent.trim()));
    return !(scroller && scroller.getAttribute('role') === 'region' && scroller.tabIndex === 0 && named);
  }).map(table => table.dataset.testid || table.className)"""

UNLABELLED_REGIONS = """() => [...document.querySelectorAll('.table-scroll')].filter(region => {
    const labels = (region.getAttribute('aria-labelledby') || '').split(' ').filter(Boolean);
    const named = region.getAttribute('aria-label')
      || labels.some(id => document.getElementById(id) && document.getElementById(id).textContent.trim());
    return region.getAttribute('role') !== 'region' || region.tabIndex !== 0 || !named;
  }).map(region => region.outerHTML.slice(0, 120))"""

HEADER = """() => {
    const header = document.querySelector('main .page-header');
    const links = header ? [...header.querySelectorAll('.header-links a')] : [];
    const meta = header && header.nextElementSibling;
    return {
      crumbsBeforeHeader: !!(header && header.previousElementSibling
                             && header.previousElementSibling.matches('nav.breadcrumb')),
      h1s: document.querySelectorAll('main h1').length,
      h1InHeader: !!(header && header.querySelector('h1')),
      linksNotButtons: links.filter(a => !a.classList.contains('button')).map(a => a.textContent.trim()),
      meta: meta && meta.matches('p.meta') ? meta.textContent.trim() : null,
    };
  }"""


@pytest.mark.parametrize(("person", "name", "language", "screen"), every(PAGES))
def test_page_does_not_scroll_sideways(
    world, shared_site, tabs, places, person, name, language, screen
):
    page = visit(tabs, shared_site, places, person, name, language, screen)

    overflow = horizontal_overflow(page)

    screenshot(page, f"layout-{person}-{name}-{language}-{screen}")
    assert overflow == 0, f"{page.url} scrolls {overflow}px sideways: {sticking_out(page)}"


@pytest.mark.parametrize(("person", "name", "language", "screen"), every(PAGES))
def test_wide_tables_scroll_in_a_labelled_focusable_region(
    world, shared_site, tabs, places, person, name, language, screen
):
    page = visit(tabs, shared_site, places, person, name, language, screen)

    unregioned, unlabelled = (
        page.evaluate(UNREGIONED_WIDE_TABLES),
        page.evaluate(UNLABELLED_REGIONS),
    )

    assert (unregioned, unlabelled) == ([], []), page.url


@pytest.mark.parametrize(
    ("person", "name", "language", "screen"), every(PAGES, ("ko",), ("desktop",))
)
def test_korean_breadcrumb_and_title_name_the_course_in_korean(
    world, shared_site, tabs, places, person, name, language, screen
):
    page = visit(tabs, shared_site, places, person, name, language, screen)

    crumbs = page.locator("main nav.breadcrumb > *").all_inner_texts()

    assert crumbs[:2] == ["홈", TITLES["ko"]]
    assert TITLES["ko"] in page.title()
    assert TITLES["en"] not in page.locator("main").inner_text()


@pytest.mark.parametrize(
    ("person", "name", "language", "screen"), every(HEADED, screens=("desktop",))
)
def test_page_opens_with_breadcrumb_h1_buttons_and_the_offering_line(
    world, shared_site, tabs, places, person, name, language, screen
):
    page = visit(tabs, shared_site, places, person, name, language, screen)

    header = page.evaluate(HEADER)

    assert header["crumbsBeforeHeader"] and header["h1InHeader"] and header["h1s"] == 1, header
    assert header["linksNotButtons"] == []
    assert header["meta"] is not None and f"{TITLES[language]} · Pukyong · " in header["meta"]


# -- the checks themselves, on pages made to fail them ---------------------------------------------

WIDE_ROW = "<tr>" + "<td>column&nbsp;of&nbsp;figures</td>" * 12 + "</tr>"


def test_the_region_check_names_a_wide_table_that_scrolls_the_page_or_an_unlabelled_box(browser):
    page = browser.new_context(viewport=PHONE).new_page()
    page.set_content(
        f'<html lang="en"><title>Wide</title><main>'
        f'<table data-testid="bare">{WIDE_ROW}</table>'
        f'<div style="overflow-x:auto"><table data-testid="boxed">{WIDE_ROW}</table></div>'
        f'<h2 id="named">Balances</h2><div class="table-scroll" role="region" tabindex="0" '
        f'aria-labelledby="named" style="overflow-x:auto"><table data-testid="fine">{WIDE_ROW}'
        "</table></div></main></html>"
    )

    unregioned = page.evaluate(UNREGIONED_WIDE_TABLES)

    page.context.close()
    assert unregioned == ["bare", "boxed"]


def test_the_region_check_names_a_scroll_region_without_a_label_or_a_tab_stop(browser):
    page = browser.new_context(viewport=PHONE).new_page()
    page.set_content(
        '<html lang="en"><title>Regions</title><main><h2 id="empty"></h2>'
        '<div class="table-scroll" role="region" tabindex="0" aria-labelledby="empty"></div>'
        '<div class="table-scroll" role="region" aria-label="Trades"></div>'
        '<div class="table-scroll" role="region" tabindex="0" aria-label="Orders"></div></main></html>'
    )

    unlabelled = page.evaluate(UNLABELLED_REGIONS)

    page.context.close()
    assert len(unlabelled) == 2 and all("Orders" not in region for region in unlabelled)
