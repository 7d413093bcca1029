"""What an instructor changes about an offering and its course: deadlines and late rules,
students' extensions and grade overrides, and the text of lessons and exercises.

Each service checks everything first and raises `ServiceError` before writing anything, so a
refusal changes nothing; `by` must manage the offering (an instructor of it, an admin of its
university, a superuser), checked here as well as in the views. Re-grading an attempt is
`courses.grading.attempts.regrade_attempt`.

Content belongs to the course, not the offering: an edit shows in every offering of the course,
and re-importing the course package from git overwrites it (the import updates in place).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from campus.api import ServiceError, User
from courses import selectors
from courses.grading.listeners import grade_changed_on_commit
from courses.models import (
    Deadline,
    Enrollment,
    Exercise,
    Extension,
    GradeOverride,
    Lesson,
    Offering,
)

PERCENT_MAX = Decimal(100)
TITLE_MAX = 200
REASON_MAX = 200


def set_deadline(
    *,
    offering: Offering,
    exercise: Exercise,
    opens_at: datetime | None,
    due_at: datetime | None,
    hard_deadline_at: datetime | None,
    late_penalty_percent_per_day: Decimal,
    by: User,
) -> Deadline:
    """When `exercise` opens and is due in `offering`, and what each day late costs. Refusals:
    `not_allowed`, `exercise_not_in_course`, `opens_too_late`, `hard_before_due`,
    `penalty_out_of_range`."""
    _check_manages(by, offering)
    _check_in_course(offering, exercise)
    if opens_at and any(later and opens_at > later for later in (due_at, hard_deadline_at)):
        raise ServiceError(
            "opens_too_late", _("The exercise must open before it is due and before it closes.")
        )
    if due_at and hard_deadline_at and hard_deadline_at < due_at:
        raise ServiceError(
            "hard_before_due", _("The hard deadline cannot be earlier than the due date.")
        )
    _check_decimal(
        late_penalty_percent_per_day,
        PERCENT_MAX,
        "penalty_out_of_range",
        _("The late penalty is a percentage per day from 0 to 100, with at most two decimals."),
    )
    with transaction.atomic(durable=True):
        deadline, _created = Deadline.objects.update_or_create(
            offering=offering,
            exercise=exercise,
            defaults={
                "opens_at": opens_at,
                "due_at": due_at,
                "hard_deadline_at": hard_deadline_at,
                "late_penalty_percent_per_day": late_penalty_percent_per_day,
            },
        )
    return deadline


def grant_extension(
    *,
    offering: Offering,
    exercise: Exercise,
    student: User,
    until: datetime,
    reason: str,
    by: User,
) -> Extension:
    """Give `student` until `until` for `exercise`: they may submit until then, and their late
    penalty counts from then. Replaces an earlier extension. Refusals: `not_allowed`,
    `exercise_not_in_course`, `not_a_student`, `extension_not_later`, `reason_too_long`."""
    _check_manages(by, offering)
    _check_in_course(offering, exercise)
    _check_student(offering, student)
    reason = reason.strip()
    _check_reason(reason, required=False)
    deadline = Deadline.objects.filter(offering=offering, exercise=exercise).first()
    if deadline is not None and deadline.due_at is not None and until <= deadline.due_at:
        raise ServiceError(
            "extension_not_later",
            _("An extension must end after the due date (%(due)s).")
            % {"due": timezone.localtime(deadline.due_at).strftime("%Y-%m-%d %H:%M")},
        )
    with transaction.atomic(durable=True):
        extension, _created = Extension.objects.update_or_create(
            offering=offering,
            exercise=exercise,
            user=student,
            defaults={"until": until, "reason": reason, "granted_by": by},
        )
        _grade_changed(offering, exercise, student)
    return extension


def revoke_extension(*, offering: Offering, exercise: Exercise, student: User, by: User) -> None:
    """Take back `student`'s extension. Refusals: `not_allowed`, `no_extension`."""
    _check_manages(by, offering)
    with transaction.atomic(durable=True):
        deleted, _kinds = Extension.objects.filter(
            offering=offering, exercise=exercise, user=student
        ).delete()
        if not deleted:
            raise ServiceError("no_extension", _("This student has no extension to take back."))
        _grade_changed(offering, exercise, student)


def set_override(
    *,
    offering: Offering,
    exercise: Exercise,
    student: User,
    points: Decimal,
    reason: str,
    by: User,
) -> GradeOverride:
    """Give `student` `points` on `exercise` whatever their attempts earned, with the reason
    kept. Refusals: `not_allowed`, `exercise_not_in_course`, `not_a_student`,
    `points_out_of_range`, `reason_required`, `reason_too_long`."""
    _check_manages(by, offering)
    _check_in_course(offering, exercise)
    _check_student(offering, student)
    _check_decimal(
        points,
        Decimal(exercise.points),
        "points_out_of_range",
        _("Points must be from 0 to %(max)d, with at most two decimals.")
        % {"max": exercise.points},
    )
    reason = reason.strip()
    _check_reason(reason, required=True)
    with transaction.atomic(durable=True):
        override, _created = GradeOverride.objects.update_or_create(
            offering=offering,
            exercise=exercise,
            user=student,
            defaults={"points": points, "reason": reason, "set_by": by},
        )
        _grade_changed(offering, exercise, student)
    return override


def clear_override(*, offering: Offering, exercise: Exercise, student: User, by: User) -> None:
    """Remove the override: the best attempt counts again. Refusals: `not_allowed`,
    `no_override`."""
    _check_manages(by, offering)
    with transaction.atomic(durable=True):
        deleted, _kinds = GradeOverride.objects.filter(
            offering=offering, exercise=exercise, user=student
        ).delete()
        if not deleted:
            raise ServiceError("no_override", _("This grade has no override to clear."))
        _grade_changed(offering, exercise, student)


def _grade_changed(offering: Offering, exercise: Exercise, student: User) -> None:
    grade_changed_on_commit(offering_id=offering.pk, exercise_id=exercise.pk, user_id=student.pk)


def edit_lesson(*, lesson: Lesson, language: str, title: str, body: str, by: User) -> Lesson:
    """Change a lesson's title and Markdown body in one of its course's languages: the default
    language's text is on the fields, the others' in `translations`. Refusals: `not_allowed`,
    `unknown_language`, `title_required`, `title_too_long`."""
    course = lesson.course
    _check_edits_course(by, course.pk)
    default = _check_language(course.languages, language)
    title = _check_title(title)
    with transaction.atomic(durable=True):
        lesson = Lesson.objects.select_for_update().get(pk=lesson.pk)
        _write_text(lesson, language, default, {"title": title, "body": body})
    return lesson


def edit_exercise_text(
    *,
    exercise: Exercise,
    language: str,
    title: str,
    prompt: str,
    points: int,
    max_attempts: int | None,
    by: User,
) -> Exercise:
    """Change an exercise's title and prompt in one language, and its points and attempts
    allowed (which every language shares). Refusals: `not_allowed`, `unknown_language`,
    `title_required`, `title_too_long`, `points_out_of_range`, `max_attempts_out_of_range`,
    `overrides_exceed_points` (an override above the new maximum: change it first)."""
    course = exercise.course
    _check_edits_course(by, course.pk)
    default = _check_language(course.languages, language)
    title = _check_title(title)
    if points < 1:
        raise ServiceError("points_out_of_range", _("An exercise is worth at least 1 point."))
    if max_attempts is not None and max_attempts < 1:
        raise ServiceError(
            "max_attempts_out_of_range",
            _("Allow at least one attempt, or leave it empty for no limit."),
        )
    with transaction.atomic(durable=True):
        exercise = Exercise.objects.select_for_update().get(pk=exercise.pk)
        if GradeOverride.objects.filter(exercise=exercise, points__gt=points).exists():
            raise ServiceError(
                "overrides_exceed_points",
                _("Some overrides give more than %(points)d points; change them first.")
                % {"points": points},
            )
        exercise.points, exercise.max_attempts = points, max_attempts
        _write_text(
            exercise,
            language,
            default,
            {"title": title, "prompt": prompt},
            also=["points", "max_attempts"],
        )
    return exercise


def default_language(languages: list[str]) -> str:
    """A course's default language: the first it lists, else the site's."""
    return languages[0] if languages else settings.LANGUAGE_CODE


def _write_text(
    item: Lesson | Exercise,
    language: str,
    default: str,
    texts: dict[str, str],
    also: tuple[str, ...] | list[str] = (),
) -> None:
    """Save `texts` on the fields (default language) or under `translations[language]`, and the
    fields named in `also` (already set on `item`)."""
    if language == default:
        for name, value in texts.items():
            setattr(item, name, value)
        item.save(update_fields=[*texts, *also])
        return
    item.translations = {
        **item.translations,
        language: {**item.translations.get(language, {}), **texts},
    }
    item.save(update_fields=["translations", *also])


def _check_manages(by: User, offering: Offering) -> None:
    if not selectors.can_manage_offering(by, offering):
        raise ServiceError("not_allowed", _("Only the offering's instructors may change this."))


def _check_edits_course(by: User, course_id: int) -> None:
    if not selectors.manageable_offerings(by).filter(course_id=course_id).exists():
        raise ServiceError(
            "not_allowed", _("Only instructors of an offering of this course may edit it.")
        )


def _check_in_course(offering: Offering, exercise: Exercise) -> None:
    if exercise.course_id != offering.course_id:
        raise ServiceError(
            "exercise_not_in_course", _("This exercise is not part of this offering's course.")
        )


def _check_student(offering: Offering, student: User) -> None:
    if not Enrollment.objects.filter(
        offering=offering, user=student, role=Enrollment.Role.STUDENT, is_active=True
    ).exists():
        raise ServiceError(
            "not_a_student", _("%(user)s is not an active student here.") % {"user": student}
        )


def _check_decimal(value: Decimal, maximum: Decimal, code: str, message: str) -> None:
    if (
        not value.is_finite()
        or not 0 <= value <= maximum
        or value != value.quantize(Decimal("0.01"))
    ):
        raise ServiceError(code, message)


def _check_reason(reason: str, *, required: bool) -> None:
    if required and not reason:
        raise ServiceError("reason_required", _("Say why: the reason is kept with the grade."))
    if len(reason) > REASON_MAX:
        raise ServiceError(
            "reason_too_long",
            _("Keep the reason to %(n)d characters at most.") % {"n": REASON_MAX},
        )


def _check_language(languages: list[str], language: str) -> str:
    default = default_language(languages)
    if language != default and language not in languages:
        raise ServiceError(
            "unknown_language",
            _("This course is not written in '%(code)s'.") % {"code": language},
        )
    return default


def _check_title(title: str) -> str:
    title = title.strip()
    if not title:
        raise ServiceError("title_required", _("A title is required."))
    if len(title) > TITLE_MAX:
        raise ServiceError(
            "title_too_long", _("Keep the title to %(n)d characters at most.") % {"n": TITLE_MAX}
        )
    return title
