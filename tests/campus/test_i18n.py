import pytest
from django.urls import reverse

from tests.factories import TEST_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "language, heading, welcome",
    [("en", "Log in", "Welcome"), ("ko", "로그인", "환영합니다")],
)
def test_login_works_in_both_languages(client, language, heading, welcome):
    user = UserFactory()
    client.cookies["django_language"] = language

    page = client.get(reverse("login"))
    response = client.post(
        reverse("login"), {"username": user.username, "password": TEST_PASSWORD}, follow=True
    )

    assert heading in page.content.decode()
    assert f'lang="{language}"' in page.content.decode()
    assert response.context["user"].is_authenticated
    assert welcome in response.content.decode()


def test_wrong_password_is_explained_in_korean(client):
    user = UserFactory()
    client.cookies["django_language"] = "ko"

    response = client.post(reverse("login"), {"username": user.username, "password": "nope"})

    assert response.status_code == 200
    assert "비밀번호" in response.content.decode()


def test_language_switcher_sets_the_language(client):
    response = client.post(reverse("set_language"), {"language": "ko", "next": "/accounts/login/"})

    assert response.cookies["django_language"].value == "ko"


def test_password_reset_sends_a_link_by_console_email(client, mailoutbox):
    user = UserFactory(email="learner@example.test")

    client.post(reverse("password_reset"), {"email": user.email})

    assert len(mailoutbox) == 1
    assert "/accounts/reset/" in mailoutbox[0].body
