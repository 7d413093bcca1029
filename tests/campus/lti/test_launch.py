"""End-to-end launches against the simulated platform: who is created, enrolled and where they land."""

import pytest

from campus.lti.models import ContextLink, Launch, LtiIdentity
from campus.models import User
from courses.api import Enrollment
from tests.campus.lti.conftest import launch
from tests.factories import EnrollmentFactory, OfferingFactory, UserFactory


@pytest.fixture
def linked(registration):
    offering = OfferingFactory()
    ContextLink.objects.create(registration=registration, context_id="ctx-1", offering=offering)
    return offering


def test_student_launch_creates_user_enrols_and_lands_on_offering(client, platform, linked):
    response = launch(client, platform, sub="s-42", roles=["Learner"])

    assert response.status_code == 302
    assert response["Location"] == f"/offerings/{linked.slug}/"
    identity = LtiIdentity.objects.get(sub="s-42")
    enrolment = Enrollment.objects.get(offering=linked, user=identity.user)
    assert (enrolment.role, enrolment.is_active) == ("student", True)
    assert client.session["_auth_user_id"] == str(identity.user.pk)


def test_second_launch_reuses_the_identity(client, platform, linked):
    launch(client, platform, sub="s-42")
    launch(client, platform, sub="s-42")

    assert LtiIdentity.objects.filter(sub="s-42").count() == 1
    assert Enrollment.objects.filter(offering=linked).count() == 1


def test_existing_account_with_same_email_is_not_taken_over(client, platform, linked):
    victim = UserFactory(email="s-42@lms.example")

    launch(client, platform, sub="s-42")

    assert LtiIdentity.objects.get(sub="s-42").user != victim
    assert not Enrollment.objects.filter(user=victim).exists()


def test_instructor_launch_is_enrolled_as_instructor(client, platform, linked):
    launch(client, platform, sub="t-1", roles=["Instructor"])

    user = LtiIdentity.objects.get(sub="t-1").user
    assert Enrollment.objects.get(offering=linked, user=user).role == "instructor"


def test_teaching_assistant_sub_role_maps_to_ta(client, platform, linked):
    roles = [
        "Instructor",
        "http://purl.imsglobal.org/vocab/lis/v2/membership/Instructor#TeachingAssistant",
    ]

    launch(client, platform, sub="ta-1", roles=roles)

    user = LtiIdentity.objects.get(sub="ta-1").user
    assert Enrollment.objects.get(offering=linked, user=user).role == "ta"


def test_deactivated_enrolment_is_reactivated(client, platform, linked, registration):
    user = UserFactory()
    LtiIdentity.objects.create(registration=registration, sub="s-9", user=user)
    EnrollmentFactory(offering=linked, user=user, role="student", is_active=False)

    launch(client, platform, sub="s-9")

    assert Enrollment.objects.get(offering=linked, user=user).is_active


def test_custom_target_lands_on_the_exercise_of_the_linked_offering(client, platform, linked):
    response = launch(client, platform, custom={"target": "exercise/swap-basics"})

    assert response["Location"] == f"/offerings/{linked.slug}/exercises/swap-basics/"


def test_target_link_uri_path_lands_on_the_lesson_in_the_linked_offering(client, platform, linked):
    target = "http://testserver/offerings/some-other-run/lessons/keys-and-wallets/"

    response = launch(client, platform, target=target)

    assert response["Location"] == f"/offerings/{linked.slug}/lessons/keys-and-wallets/"


def test_student_in_unlinked_course_sees_not_connected_page(client, platform, registration):
    response = launch(client, platform, sub="s-1", context="ctx-new")

    assert response.status_code == 200
    assert "Your instructor has not connected this course yet" in response.content.decode()
    assert not Enrollment.objects.exists()


def test_instructor_in_unlinked_course_picks_an_offering_and_lands_there(
    client, platform, registration
):
    instructor = UserFactory()
    LtiIdentity.objects.create(registration=registration, sub="t-1", user=instructor)
    mine = EnrollmentFactory(user=instructor, role="instructor").offering
    not_mine = OfferingFactory()

    response = launch(client, platform, sub="t-1", roles=["Instructor"], context="ctx-new")
    picker = client.get(response["Location"])
    chosen = client.post(response["Location"], {"offering": mine.pk})

    page = picker.content.decode()
    assert str(mine) in page and str(not_mine) not in page
    assert chosen["Location"] == f"/offerings/{mine.slug}/"
    assert ContextLink.objects.get(context_id="ctx-new").offering == mine


def test_instructor_cannot_link_an_offering_they_do_not_manage(client, platform, registration):
    other = OfferingFactory()
    response = launch(client, platform, sub="t-2", roles=["Instructor"], context="ctx-new")

    refused = client.post(response["Location"], {"offering": other.pk})

    assert refused.status_code == 403
    assert not ContextLink.objects.filter(context_id="ctx-new").exists()


def test_student_cannot_open_the_offering_picker(client, platform, registration):
    launch(client, platform, sub="s-1", context="ctx-new")
    launch_id = Launch.objects.get(user__lti_identities__sub="s-1").pk

    response = client.get(f"/lti/launches/{launch_id}/link/")

    assert response.status_code == 403
    assert "not_instructor" in response.content.decode()


def test_new_user_has_no_usable_password(client, platform, linked):
    launch(client, platform, sub="s-5")

    assert not User.objects.get(lti_identities__sub="s-5").has_usable_password()
