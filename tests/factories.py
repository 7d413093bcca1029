import factory

from campus.models import Membership, University, User
from courses.models import Course, Enrollment, Exercise, Lesson, Module, Offering

TEST_PASSWORD = "correct-horse-battery"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.test")
    password = factory.PostGenerationMethodCall("set_password", TEST_PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class UniversityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = University

    name = factory.Sequence(lambda n: f"University {n}")
    slug = factory.Sequence(lambda n: f"university-{n}")
    city = "Busan"


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    university = factory.SubFactory(UniversityFactory)
    role = Membership.Role.STUDENT


class CourseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Course

    slug = factory.Sequence(lambda n: f"course-{n}")
    title = factory.Sequence(lambda n: f"Course {n}")
    languages = ["en", "ko"]


class OfferingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Offering

    course = factory.SubFactory(CourseFactory)
    university = factory.SubFactory(UniversityFactory)
    slug = factory.Sequence(lambda n: f"offering-{n}")
    term = "2026 Fall"


class EnrollmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Enrollment

    offering = factory.SubFactory(OfferingFactory)
    user = factory.SubFactory(UserFactory)
    role = Enrollment.Role.STUDENT


class ModuleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Module

    course = factory.SubFactory(CourseFactory)
    slug = factory.Sequence(lambda n: f"module-{n}")
    position = factory.Sequence(lambda n: n)
    title = factory.Sequence(lambda n: f"Module {n}")


class LessonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Lesson

    module = factory.SubFactory(ModuleFactory)
    course = factory.SelfAttribute("module.course")
    slug = factory.Sequence(lambda n: f"lesson-{n}")
    position = factory.Sequence(lambda n: n)
    title = factory.Sequence(lambda n: f"Lesson {n}")
    body = "# A lesson\n\nSome text."


QUIZ_SPEC = {
    "questions": [
        {
            "id": "q1",
            "type": "single",
            "text": {"en": "Which curve do Ethereum keys use?", "ko": "이더리움 키는 어떤 곡선?"},
            "choices": [{"id": "a", "text": "ed25519"}, {"id": "b", "text": "secp256k1"}],
            "answer": "b",
            "explanation": {"en": "Ethereum uses secp256k1.", "ko": "secp256k1입니다."},
        },
        {
            "id": "q2",
            "type": "multiple",
            "text": "Which are ERC-20 functions?",
            "choices": [
                {"id": "a", "text": "transfer"},
                {"id": "b", "text": "approve"},
                {"id": "c", "text": "mint"},
            ],
            "answer": ["a", "b"],
        },
        {
            "id": "q3",
            "type": "numeric",
            "text": "Gas of a plain transfer?",
            "answer": "21000",
            "tolerance": "0",
        },
    ]
}


class ExerciseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Exercise

    lesson = factory.SubFactory(LessonFactory)
    course = factory.SelfAttribute("lesson.course")
    slug = factory.Sequence(lambda n: f"exercise-{n}")
    position = factory.Sequence(lambda n: n)
    kind = "quiz"
    title = factory.Sequence(lambda n: f"Exercise {n}")
    prompt = "Answer the questions."
    points = 10
    spec = factory.LazyFunction(lambda: QUIZ_SPEC)
