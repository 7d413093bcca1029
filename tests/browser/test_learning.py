"""A student learns in Chromium against the whole ASGI site (uvicorn in a thread: the WSGI
live_server has no WebSockets): they open the course outline, read a lesson, answer its quiz
wrongly and then rightly, and each result arrives on the open exercise page over the WebSocket,
without a reload. On a desktop and on a 390 px phone, in English, and a lesson in Korean.

The grading task is the real Celery task run eagerly (`apply`), but by a stand-in worker the test
drives: submitting only queues the attempt id, and the test grades it once the page is open, so
what the page shows can only have come by the push."""

import re
from datetime import timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from courses.models import Deadline, Enrollment
from tests.browser.conftest import (
    check_the_page,
    log_in,
    screenshot,
    wait_until_live,
)
from tests.factories import (
    EnrollmentFactory,
    ExerciseFactory,
    LessonFactory,
    ModuleFactory,
    OfferingFactory,
    UserFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
SOON_MS = 10_000

LESSON_EN = """# Keys and wallets

Whoever can produce a valid signature for an address can move what the address holds.

## Private keys and public keys

A private key is a random number *k* below the order of **secp256k1**. The public key is the
point `K = k · G`; computing *k* back from *K* is the elliptic-curve discrete logarithm problem.

## From private key to address

| Item | Size | Example (shortened) |
|---|--:|---|
| Private key | 32 bytes | `4c0883a6…3f362318` |
| Public key (x ‖ y) | 64 bytes | `4e3b81af9c2234ca…` |
| Address | 20 bytes | `0x2c7536E3605D9C16a7a3D7b1898e529396a65c23` |

```python
from eth_keys import keys
from eth_utils import keccak, to_checksum_address

private_key = bytes.fromhex("4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318")
public_key = keys.PrivateKey(private_key).public_key   # the point k·G on secp256k1
print(to_checksum_address(keccak(public_key.to_bytes())[-20:]))
```

### Checksums

> A mistyped address is still a valid-looking address. EIP-55 hides a checksum in the case
> of its letters.

## Summary

Keys sign, addresses receive, and a wallet is whatever holds the keys.
"""

LESSON_KO = """# 키와 지갑

주소에 대한 유효한 서명을 만들 수 있는 사람이 그 주소의 자산을 옮길 수 있습니다.

## 개인 키와 공개 키

개인 키는 **secp256k1** 곡선의 위수보다 작은 임의의 수 *k*입니다. 공개 키는 점 `K = k · G`이며,
*K*로부터 *k*를 계산하는 것은 타원 곡선 이산 로그 문제입니다.

## 개인 키에서 주소로

| 항목 | 크기 |
|---|--:|
| 개인 키 | 32바이트 |
| 주소 | 20바이트 |
"""


@pytest.fixture
def course(transactional_db):
    """Given a course of two lessons, the first with the quiz, and minji enrolled in it."""
    offering = OfferingFactory(slug="dax101-2026f", course__title="Digital Asset Exchanges")
    module = ModuleFactory(course=offering.course, title="Foundations", position=1)
    lesson = LessonFactory(
        module=module,
        slug="keys-and-wallets",
        title="Keys and wallets",
        position=1,
        minutes=25,
        body=LESSON_EN,
        translations={"ko": {"title": "키와 지갑", "body": LESSON_KO}},
    )
    LessonFactory(module=module, slug="gas", title="Transactions and gas", position=2)
    quiz = ExerciseFactory(
        lesson=lesson,
        slug="keys-quiz",
        title="Quiz: keys and addresses",
        prompt="Three questions on keys. Keep the lesson open while you answer.",
        points=10,
        max_attempts=3,
        translations={"ko": {"title": "퀴즈: 키와 주소", "prompt": "키에 관한 세 문항입니다."}},
    )
    due = timezone.now() + timedelta(days=2, hours=6)
    Deadline.objects.create(
        offering=offering,
        exercise=quiz,
        due_at=due,
        hard_deadline_at=due + timedelta(days=3),
        late_penalty_percent_per_day=Decimal("10"),
    )
    minji = UserFactory(username="minji")
    EnrollmentFactory(offering=offering, user=minji, role=Enrollment.Role.STUDENT)
    return SimpleNamespace(offering=offering, lesson=lesson, quiz=quiz, student=minji)


@pytest.fixture
def worker(grading_worker):
    """A stand-in Celery worker (tests/browser/conftest.py's `grading_worker`)."""
    return grading_worker


@pytest.fixture(params=[DESKTOP, PHONE], ids=["desktop", "phone"])
def screen(request, browser):
    context = browser.new_context(viewport=request.param)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield SimpleNamespace(
        page=page, name=request.node.callspec.id, phone=request.param is PHONE, errors=errors
    )
    context.close()


def test_a_student_reads_a_lesson_and_gets_quiz_feedback_live(site, screen, course, worker):
    page, name = screen.page, screen.name
    log_in(page, site.url, "minji")

    # The offering page leads to the outline: nothing done yet.
    page.goto(site.url + reverse("offering-detail", args=[course.offering.slug]))
    check_the_page(page, f"learn-offering-{name}")
    page.get_by_role("link", name="Open the course: lessons and exercises").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Digital Asset Exchanges")
    expect(page.get_by_test_id("points-earned")).to_have_text("0")
    expect(page.get_by_test_id("exercise-status")).to_have_text("Not started")
    expect(page.get_by_test_id("exercise-row")).to_contain_text("Due in 2 days")
    check_the_page(page, f"learn-outline-{name}")

    # The lesson reads in a column, with its contents beside it on a wide screen.
    page.get_by_role("link", name="Keys and wallets").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Keys and wallets")
    body = page.get_by_test_id("lesson-body")
    expect(body.locator("code.language-python")).to_contain_text("to_checksum_address")
    expect(body.locator("table")).to_contain_text("20 bytes")
    if screen.phone:
        expect(page.get_by_test_id("toc")).to_be_hidden()
    else:
        toc = page.get_by_test_id("toc")
        expect(toc).to_be_visible()
        toc.get_by_role("link", name="From private key to address").click()
        expect(page).to_have_url(f"{page.url.split('#')[0]}#from-private-key-to-address")
    check_the_page(page, f"learn-lesson-{name}")
    expect(page.get_by_role("link", name="Transactions and gas")).to_be_visible()

    # The quiz, answered with the wrong curve: the result arrives by the push.
    page.get_by_role("link", name="Quiz: keys and addresses").click()
    expect(page.get_by_test_id("deadline")).to_contain_text("Due in 2 days")
    wait_until_live(page)
    check_the_page(page, f"learn-exercise-{name}")
    page.get_by_label("ed25519").check()
    page.get_by_label("transfer").check()
    page.get_by_label("approve").check()
    page.get_by_label("Your answer").fill("21000")
    page.get_by_role("button", name="Submit answers").click()
    first = page.get_by_test_id("attempt").first
    expect(first).to_contain_text("Waiting to be graded")
    expect(first).to_have_class("attempt attempt-queued is-new")
    wait_until_live(page)
    screenshot(page, f"learn-exercise-queued-{name}")

    assert worker.run() == 1
    expect(first).to_contain_text("Not yet passed", timeout=SOON_MS)
    expect(first.get_by_test_id("attempt-score")).to_have_text("6.7 / 10 points")
    expect(first.locator(".check-failed")).to_have_count(1)
    expect(first.locator(".check-hint")).to_contain_text("Ethereum uses secp256k1.")
    expect(page.locator("#attempt-live")).to_have_text("Attempt 1: Not yet passed")
    expect(page.get_by_test_id("exercise-facts")).to_contain_text("In progress")
    expect(page.locator("[data-best]")).to_have_text("Best so far: 6.7 / 10")
    assert page.evaluate("window.sameDocument") is True
    check_the_page(page, f"learn-exercise-feedback-{name}")

    # Corrected (the other answers are kept from the first try), it passes, again live.
    expect(page.get_by_label("approve")).to_be_checked()
    page.get_by_label("secp256k1").check()
    page.get_by_role("button", name="Submit answers").click()
    second = page.get_by_test_id("attempt").first
    expect(second).to_contain_text("Attempt 2")
    wait_until_live(page)
    assert worker.run() == 1
    expect(second).to_contain_text("Passed", timeout=SOON_MS)
    expect(second.get_by_test_id("attempt-score")).to_have_text("10 / 10 points")
    expect(second.locator(".check-passed")).to_have_count(3)
    expect(page.get_by_test_id("exercise-facts")).to_contain_text("Passed")
    expect(page.get_by_test_id("attempts-left")).to_have_text("1 of 3 attempts left")
    expect(page.get_by_test_id("deadline")).not_to_contain_text("Due in 2 days")
    assert page.evaluate("window.sameDocument") is True
    check_the_page(page, f"learn-exercise-passed-{name}")

    # Back on the outline, the progress shows.
    page.get_by_role("link", name="Digital Asset Exchanges").first.click()
    expect(page.get_by_test_id("points-earned")).to_have_text("10")
    expect(page.get_by_test_id("exercise-status")).to_contain_text("Passed")
    check_the_page(page, f"learn-outline-done-{name}")
    assert screen.errors == []


def test_a_lesson_reads_in_korean_on_a_phone(site, browser, course):
    context = browser.new_context(viewport=PHONE, locale="ko-KR")
    page = context.new_page()
    try:
        context.add_cookies([{"name": "django_language", "value": "ko", "url": site.url}])
        log_in(page, site.url, "minji")
        page.goto(
            site.url + reverse("learn-lesson", args=[course.offering.slug, "keys-and-wallets"])
        )

        expect(page.get_by_role("heading", level=1)).to_have_text("키와 지갑")
        expect(page.get_by_test_id("lesson-body")).to_contain_text("타원 곡선 이산 로그 문제")
        expect(page.get_by_role("link", name="퀴즈: 키와 주소")).to_be_visible()
        check_the_page(page, "learn-lesson-ko-phone")
        page.get_by_role("link", name="퀴즈: 키와 주소").click()
        expect(page.get_by_test_id("prompt")).to_contain_text("키에 관한 세 문항입니다.")
        expect(
            page.get_by_role("group", name=re.compile("이더리움 키는 어떤 곡선"))
        ).to_be_visible()
        check_the_page(page, "learn-exercise-ko-phone")
    finally:
        context.close()
