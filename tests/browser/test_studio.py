"""A student writes a contract in the studio in Chromium: a compile error marks its line, the fix
compiles, the token deploys to their own chain (a real chain host and Anvil), a read call answers
and a transfer's event shows, then the explorer decodes the same transaction."""

import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from tests.browser.conftest import screenshot, serious_accessibility_violations
from tests.factories import TEST_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PHONE = {"width": 375, "height": 812}
TYPO = "_mint(msg.sender, suply);"


def log_in(page, base_url: str, username: str) -> None:
    page.goto(f"{base_url}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state("networkidle")


def wider_than_the_screen(page) -> list[str]:
    """Elements whose box or unwrapped text sticks out to the right of the viewport."""
    return page.evaluate(
        """() => [...document.querySelectorAll('body *')].filter(e => {
             const box = e.getBoundingClientRect();
             const spill = getComputedStyle(e).overflowX === 'visible' ? e.scrollWidth - e.clientWidth : 0;
             return box.width > 1 && box.left + Math.max(box.width, e.clientWidth + spill) > innerWidth + 1;
           }).slice(-8).map(e => e.tagName + '.' + e.className)"""
    )


def function_form(page, name: str):
    return page.locator("form[data-fn-form]").filter(has=page.locator(f"code:text-is('{name}')"))


def test_a_student_fixes_a_compile_error_deploys_and_uses_a_token(
    live_server,
    page,
    chain_host,
    student_chain,
):
    chain, _ = student_chain(offering__course__title="Smart Contracts")
    log_in(page, live_server.url, chain.owner.username)
    page.goto(live_server.url + reverse("chain-studio", args=[chain.offering.slug]))
    editor = page.get_by_label("Solidity source")
    starter = editor.input_value()
    assert 'import "@openzeppelin/contracts/token/ERC20/ERC20.sol";' in starter

    # When the student compiles a typo, then the error names its place and its line is marked.
    editor.fill(starter.replace("_mint(msg.sender, supply);", TYPO))
    page.get_by_role("button", name="Compile").click()
    messages = page.get_by_test_id("compile-messages")
    expect(messages).to_contain_text("MyToken.sol:11:27")
    expect(messages).to_contain_text("Undeclared identifier")
    assert page.locator(".gutter span.marked").all_inner_texts() == ["11"]
    expect(page.locator(".marks span")).to_have_count(1)
    expect(editor).to_have_attribute("aria-invalid", "true")
    screenshot(page, "studio-compile-error-desktop")
    messages.get_by_role("link", name="MyToken.sol:11:27").click()
    assert page.evaluate("document.activeElement.id") == "source"

    # When they fix it and compile, then the deploy form is built from the constructor's ABI.
    editor.fill(starter)
    page.get_by_role("button", name="Compile").click()
    expect(messages).to_contain_text("Compiled: MyToken")
    expect(page.locator(".gutter span.marked")).to_have_count(0)
    deploy = page.get_by_test_id("deploy-form").first
    deploy.get_by_label("name_").fill("Campus Coin")
    deploy.get_by_label("symbol_").fill("CC")
    deploy.get_by_label("supply").fill("1000")
    deploy.get_by_role("button", name="Deploy MyToken").click()
    page.wait_for_load_state("networkidle")
    expect(page.get_by_role("status").first).to_contain_text("MyToken deployed at 0x")

    # When they call a read function and send a transfer, then the answers show beside the forms.
    total = function_form(page, "totalSupply")
    total.get_by_role("button", name="Call totalSupply").click()
    expect(total.get_by_test_id("fn-result")).to_contain_text("1000")
    transfer = function_form(page, "transfer")
    transfer.get_by_label("to").fill("0x" + "11" * 20)
    transfer.get_by_label("value").fill("25")
    transfer.get_by_role("button", name="Send transfer").click()
    result = transfer.get_by_test_id("fn-result")
    expect(result).to_contain_text("Mined: success")
    expect(result).to_contain_text("Transfer")
    expect(result).to_contain_text("value=25")
    screenshot(page, "studio-deployed-desktop")
    assert serious_accessibility_violations(page) == []
    page.set_viewport_size(PHONE)
    screenshot(page, "studio-deployed-phone")
    assert serious_accessibility_violations(page) == []
    assert wider_than_the_screen(page) == []

    # Then the explorer shows the same transaction, decoded.
    page.set_viewport_size({"width": 1280, "height": 800})
    result.get_by_role("link", name=re.compile("^0x")).click()
    page.wait_for_load_state("networkidle")
    expect(page.get_by_test_id("decoded-input")).to_contain_text("transfer")
    expect(page.get_by_test_id("log")).to_contain_text("Transfer")
    screenshot(page, "explorer-tx-desktop")
    assert serious_accessibility_violations(page) == []
    page.set_viewport_size(PHONE)
    screenshot(page, "explorer-tx-phone")
    assert wider_than_the_screen(page) == []
    page.get_by_role("link", name="Explorer", exact=True).first.click()
    page.wait_for_load_state("networkidle")
    screenshot(page, "explorer-latest-phone")
    assert serious_accessibility_violations(page) == []


def test_without_javascript_a_compile_error_is_shown_and_marked_after_the_post(
    browser,
    live_server,
    student_chain,
):
    chain, _ = student_chain()
    context = browser.new_context(java_script_enabled=False, viewport=PHONE)
    page = context.new_page()
    try:
        log_in(page, live_server.url, chain.owner.username)
        page.goto(live_server.url + reverse("chain-studio", args=[chain.offering.slug]))
        editor = page.get_by_label("Solidity source")
        editor.fill(editor.input_value().replace("_mint(msg.sender, supply);", TYPO))
        page.get_by_role("button", name="Compile").click()
        page.wait_for_load_state("networkidle")

        expect(page.get_by_test_id("compile-messages")).to_contain_text("MyToken.sol:11:27")
        assert page.locator(".gutter span.marked").all_inner_texts() == ["11"]
        screenshot(page, "studio-compile-error-nojs-phone")
    finally:
        context.close()
