"""The quiz grader: single choice, multiple choice, and numeric answers with a tolerance.

Each question is one check. A multiple-choice answer is right only when exactly the right set of
choices is picked. A numeric answer is compared exactly as a decimal, within the tolerance.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from campus.api import ServiceError
from courses.grading.registry import BaseGrader, CheckResult, GradingContext, Outcome, SpecProblem
from courses.grading.texts import text_problems
from courses.models import Exercise

QUESTION_TYPES = ("single", "multiple", "numeric")
MAX_ANSWER_CHARS = 64


def decimal_or_none(value: Any) -> Decimal | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        number = Decimal(str(value).strip().replace(",", ""))
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


class QuizGrader(BaseGrader):
    def __init__(self) -> None:
        super().__init__(
            kind="quiz",
            label=gettext_lazy("Quiz"),
            form_template="courses/exercises/quiz_form.html",
            time_limit_seconds=10,
        )

    # --- the spec ------------------------------------------------------------------------------
    def validate_spec(
        self, spec: Mapping[str, Any], *, languages: Sequence[str], files: Mapping[str, str]
    ) -> list[SpecProblem]:
        questions = spec.get("questions") if isinstance(spec, Mapping) else None
        if not isinstance(questions, list) or not questions:
            return [SpecProblem(("questions",), _("a quiz needs a list of at least one question"))]
        problems: list[SpecProblem] = []
        seen: set[str] = set()
        for index, question in enumerate(questions):
            path = ("questions", index)
            if not isinstance(question, Mapping):
                problems.append(SpecProblem(path, _("each question must be a mapping")))
                continue
            qid = question.get("id")
            if not isinstance(qid, str) or not qid:
                problems.append(SpecProblem((*path, "id"), _("each question needs an id")))
            elif qid in seen:
                problems.append(
                    SpecProblem((*path, "id"), _("id '%(id)s' is used twice") % {"id": qid})
                )
            seen.add(str(qid))
            problems += text_problems(question.get("text"), (*path, "text"), languages)
            problems += text_problems(
                question.get("explanation"), (*path, "explanation"), languages, required=False
            )
            problems += self._answer_problems(question, path, languages)
        return problems

    def _answer_problems(
        self, question: Mapping, path: tuple, languages: Sequence[str]
    ) -> list[SpecProblem]:
        kind = question.get("type")
        if kind not in QUESTION_TYPES:
            return [
                SpecProblem(
                    (*path, "type"),
                    _("type must be one of: %(types)s") % {"types": ", ".join(QUESTION_TYPES)},
                )
            ]
        if kind == "numeric":
            return self._numeric_problems(question, path)
        choices = question.get("choices")
        if not isinstance(choices, list) or len(choices) < 2:
            return [SpecProblem((*path, "choices"), _("needs at least two choices"))]
        problems: list[SpecProblem] = []
        ids = []
        for index, choice in enumerate(choices):
            cpath = (*path, "choices", index)
            if not isinstance(choice, Mapping) or not isinstance(choice.get("id"), str):
                problems.append(SpecProblem(cpath, _("each choice needs an id and a text")))
                continue
            ids.append(choice["id"])
            problems += text_problems(choice.get("text"), (*cpath, "text"), languages)
        if len(set(ids)) != len(ids):
            problems.append(SpecProblem((*path, "choices"), _("choice ids must be unique")))
        answer = question.get("answer")
        answers = answer if kind == "multiple" and isinstance(answer, list) else [answer]
        if kind == "multiple" and not isinstance(answer, list):
            problems.append(SpecProblem((*path, "answer"), _("a multiple-choice answer is a list")))
        elif not answers or any(a not in ids for a in answers):
            problems.append(
                SpecProblem((*path, "answer"), _("the answer must name the choices' ids"))
            )
        return problems

    def _numeric_problems(self, question: Mapping, path: tuple) -> list[SpecProblem]:
        problems = []
        if decimal_or_none(question.get("answer")) is None:
            problems.append(SpecProblem((*path, "answer"), _("a numeric answer must be a number")))
        tolerance = question.get("tolerance", "0")
        if decimal_or_none(tolerance) is None or decimal_or_none(tolerance) < 0:
            problems.append(
                SpecProblem(
                    (*path, "tolerance"), _("the tolerance must be a number of zero or more")
                )
            )
        return problems

    # --- a submission --------------------------------------------------------------------------
    def clean_submission(
        self, *, exercise: Exercise, data: Mapping[str, list[str]]
    ) -> dict[str, Any]:
        """{"answers": {question id: choice id | [choice ids] | number text}}; every question
        answered, numbers that parse, choices that exist."""
        answers: dict[str, Any] = {}
        for number, question in enumerate(exercise.spec["questions"], start=1):
            given = [v for v in data.get(question["id"], []) if str(v).strip()]
            answers[question["id"]] = self._clean_answer(question, given, number)
        return {"answers": answers}

    def _clean_answer(self, question: Mapping, given: list[str], number: int) -> Any:
        if not given:
            raise ServiceError("unanswered", _("Question %(n)d has no answer yet.") % {"n": number})
        if any(len(str(value)) > MAX_ANSWER_CHARS for value in given):
            raise ServiceError(
                "answer_too_long", _("Question %(n)d's answer is too long.") % {"n": number}
            )
        if question["type"] == "numeric":
            if decimal_or_none(given[0]) is None:
                raise ServiceError(
                    "not_a_number",
                    _("Question %(n)d needs a number, such as 0.0042; '%(given)s' is not one.")
                    % {"n": number, "given": given[0]},
                )
            return given[0].strip()
        ids = {choice["id"] for choice in question["choices"]}
        if any(value not in ids for value in given):
            raise ServiceError(
                "unknown_choice", _("Question %(n)d has no such choice.") % {"n": number}
            )
        return sorted(set(given)) if question["type"] == "multiple" else given[0]

    # --- grading -------------------------------------------------------------------------------
    def grade(self, ctx: GradingContext) -> Outcome:
        answers = ctx.submission.get("answers", {})
        checks = [
            self._check(question, answers.get(question["id"]), ctx.language)
            for question in ctx.exercise.spec["questions"]
        ]
        return Outcome(checks=checks)

    def _check(self, question: Mapping, given: Any, language: str) -> CheckResult:
        passed = is_right(question, given)
        return CheckResult(
            name=question["text"],
            passed=passed,
            detail="" if passed else _("That is not the right answer."),
            hint=None if passed else question.get("explanation"),
        )


def is_right(question: Mapping, given: Any) -> bool:
    kind = question["type"]
    if kind == "numeric":
        number, answer = decimal_or_none(given), decimal_or_none(question["answer"])
        tolerance = decimal_or_none(question.get("tolerance", "0")) or Decimal(0)
        return number is not None and abs(number - answer) <= tolerance
    if kind == "multiple":
        return isinstance(given, list) and set(given) == set(question["answer"])
    return given == question["answer"]


quiz_grader = QuizGrader()
