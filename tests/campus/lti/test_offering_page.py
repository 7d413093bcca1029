"""The instructor's LMS page: linked courses, roster sync on demand, each score's status."""

from campus.lti.models import ContextLink, ScoreSync
from tests.factories import EnrollmentFactory, ExerciseFactory, UserFactory


def test_instructor_sees_linked_course_and_score_status(client, registration):
    teaching = EnrollmentFactory(role="instructor")
    offering = teaching.offering
    context = ContextLink.objects.create(
        registration=registration, context_id="ctx-1", offering=offering, title="BLOCK-101 Fall"
    )
    exercise = ExerciseFactory(course=offering.course, lesson__module__course=offering.course)
    ScoreSync.objects.create(
        context=context,
        exercise=exercise,
        user=UserFactory(),
        status="failed",
        attempts=3,
        last_error="HTTP 503 from the LMS",
    )
    client.force_login(teaching.user)

    page = client.get(f"/lti/offerings/{offering.slug}/").content.decode()

    assert "BLOCK-101 Fall" in page and exercise.title in page
    assert "Could not be sent" in page and "HTTP 503 from the LMS" in page


def test_sync_without_roster_service_explains_why(client, registration):
    teaching = EnrollmentFactory(role="instructor")
    context = ContextLink.objects.create(
        registration=registration, context_id="ctx-1", offering=teaching.offering
    )
    client.force_login(teaching.user)

    response = client.post(
        f"/lti/offerings/{teaching.offering.slug}/", {"context": context.pk}, follow=True
    )

    assert "The LMS did not offer its roster service." in response.content.decode()


def test_students_cannot_open_the_lms_page(client, registration):
    student = EnrollmentFactory(role="student")
    client.force_login(student.user)

    assert client.get(f"/lti/offerings/{student.offering.slug}/").status_code == 404


def test_offering_page_links_its_managers_to_the_lms_connection(client, db):
    teaching = EnrollmentFactory(role="instructor")
    client.force_login(teaching.user)

    page = client.get(f"/offerings/{teaching.offering.slug}/").content.decode()

    assert f'href="/lti/offerings/{teaching.offering.slug}/"' in page
    assert "LMS connection" in page


def test_offering_page_has_no_lms_link_for_students(client, db):
    student = EnrollmentFactory(role="student")
    client.force_login(student.user)

    page = client.get(f"/offerings/{student.offering.slug}/").content.decode()

    assert "/lti/offerings/" not in page
