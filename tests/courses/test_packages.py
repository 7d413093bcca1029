"""Course packages: a folder of Markdown + YAML checked with every problem at its file and line,
imported in place by slugs, and exported back (courses/catalog/README.md is the format)."""

import hashlib
import shutil
from pathlib import Path

import pytest

from courses.grading import registry
from courses.models import Attempt, Course, Exercise, Lesson, LessonImage, Module
from courses.packages import PackageInvalid, export_course, import_course, validate_course
from courses.packages import write as package_write
from courses.packages.reader import load_yaml
from courses.packages.report import CREATED, DELETED, UNCHANGED, UPDATED
from tests.courses.packages.helpers import (
    BROKEN,
    GOOD,
    GOOD_SLUG,
    ContractGrader,
    content_counts,
    copy_course,
    edit,
    snapshot,
    write,
)
from tests.factories import OfferingFactory, UserFactory

pytestmark = pytest.mark.django_db

CATALOG_COURSE = Path(__file__).resolve().parents[2] / "courses" / "catalog" / "dax101"
KEYS_QUIZ = "first-steps/keys/keys-quiz.yaml"
TOKEN_EXERCISE = "deeper/tokens/write-a-token.yaml"


@pytest.fixture(autouse=True)
def contract_grader(monkeypatch):
    """The fixture course's "contract" exercise is marked by a stand-in grader, registered for
    this test only."""
    grader = ContractGrader()
    monkeypatch.setitem(registry._graders, grader.kind, grader)
    return grader


@pytest.fixture
def course(tmp_path):
    """An editable copy of the good fixture course."""
    return copy_course(tmp_path)


def problems(root):
    return [str(problem) for problem in validate_course(root)]


def attempt_on(exercise):
    offering = OfferingFactory(course=exercise.course)
    return Attempt.objects.create(
        offering=offering,
        exercise=exercise,
        user=UserFactory(),
        number=1,
        submission={},
        submitted_at="2026-09-01T10:00:00Z",
    )


# --- a good course -------------------------------------------------------------------------------


def test_the_good_fixture_course_has_no_problems():
    assert problems(GOOD) == []


def test_a_good_course_imports_every_row_with_both_languages():
    report = import_course(path=GOOD)

    course = Course.objects.get(slug=GOOD_SLUG)
    assert course.languages == ["en", "ko"]
    assert (course.title, course.translations["ko"]["title"]) == ("Package basics", "패키지 기초")
    assert course.translations["ko"]["summary"] == "가져오기 테스트가 읽는 작은 강좌."
    assert [m.slug for m in course.modules.order_by("position")] == ["first-steps", "deeper"]
    lessons = Lesson.objects.filter(course=course).order_by("module__position", "position")
    assert [(le.module.slug, le.slug, le.position) for le in lessons] == [
        ("first-steps", "keys", 1),
        ("first-steps", "gas", 2),
        ("deeper", "tokens", 1),
    ]
    keys = lessons[0]
    assert keys.body.startswith("# Keys and addresses\n")
    assert keys.translations["ko"]["body"].startswith("# 키와 주소\n")
    assert keys.translations["ko"]["title"] == "키와 주소"
    assert keys.minutes == 20
    assert sorted(course.exercises.values_list("slug", flat=True)) == [
        "gas-quiz",
        "keys-quiz",
        "write-a-token",
    ]
    assert report.count(CREATED) == 1 + 2 + 3 + 1 + 3  # course, modules, lessons, image, exercises


def test_an_exercise_keeps_its_fields_and_the_other_languages_text():
    import_course(path=GOOD)

    quiz = Exercise.objects.get(slug="keys-quiz")
    assert (quiz.kind, quiz.points, quiz.max_attempts, quiz.position) == ("quiz", 10, 3, 1)
    assert quiz.title == "Quiz: keys"
    assert quiz.prompt == "Two questions on keys."
    assert quiz.translations == {"ko": {"title": "퀴즈: 키", "prompt": "키에 대한 두 문항."}}
    assert Exercise.objects.get(slug="gas-quiz").max_attempts is None


def test_a_plain_string_serves_every_language_so_it_has_no_translation():
    import_course(path=GOOD)

    gas = Lesson.objects.get(slug="gas")
    assert gas.title == "Gas"
    assert "title" not in gas.translations.get("ko", {})
    assert gas.localized("title", "ko") == "Gas"
    assert Exercise.objects.get(slug="gas-quiz").translations["ko"] == {"title": "퀴즈: 가스"}


def test_the_spec_is_stored_as_written_ints_as_ints_and_quoted_text_as_text():
    import_course(path=GOOD)

    spec = Exercise.objects.get(slug="write-a-token").spec
    assert spec["constructor_args"] == ["Campus Token", 18]
    assert spec["checks"][0]["returns"] == "1000"
    assert spec["checks"][0]["name"] == {"en": "Total supply is 1000", "ko": "총 발행량은 1000"}
    assert Exercise.objects.get(slug="gas-quiz").spec["questions"][0]["answer"] == "21000"


def test_the_sol_files_a_spec_names_are_stored_on_the_exercise_by_name():
    import_course(path=GOOD)

    files = Exercise.objects.get(slug="write-a-token").files
    assert list(files) == ["starter.sol"]
    assert files["starter.sol"] == (GOOD / "deeper/tokens/starter.sol").read_text()


def test_a_lesson_image_is_stored_with_its_type_and_sha256():
    import_course(path=GOOD)

    image = LessonImage.objects.get(lesson__slug="keys")
    data = (GOOD / "first-steps/keys/images/curve.png").read_bytes()
    assert (image.name, image.content_type) == ("curve.png", "image/png")
    assert bytes(image.data) == data
    assert image.sha256 == hashlib.sha256(data).hexdigest()


# --- every problem, at its file and line ----------------------------------------------------------


def test_a_broken_course_reports_every_problem_sorted_by_file_and_line():
    assert problems(BROKEN) == [
        "basics/one/en.md:3: image 'images/missing.png' is not in this lesson's images/ folder",
        "basics/one/lesson.yaml:2: minutes: must be a whole number of at least 1, not 0",
        "basics/one/quiz-two.yaml:3: YAML syntax error: while parsing a flow sequence (line 2): "
        "expected ',' or ']', but got ':'",
        "basics/one/quiz.yaml:1: 'points' is required",
        "basics/one/quiz.yaml:12: spec.questions[0].answer: the answer must name the choices' ids",
        "basics/two/lesson.yaml:1: the lesson has no body in 'ko' (ko.md is missing)",
        "basics/two/lesson.yaml:4: exercise 'quiz' is also in lesson 'one': "
        "exercise slugs are unique in the course",
        "basics/two/lesson.yaml:4: exercise file 'extra.yaml' is not listed in exercises",
        "course.yaml:1: slug: 'Broken_Course' is not a slug: use lowercase letters, digits and "
        "hyphens, at most 64",
        "course.yaml:2: title: has no text in language 'ko'",
        "course.yaml:5: folder 'missing-module' is listed but missing",
        "course.yaml:5: folder 'stray' is not listed in modules",
        "course.yaml:6: unknown key 'sumary' (did you mean 'summary'?)",
    ]


def test_a_yaml_syntax_error_is_reported_at_its_line(course):
    write(course, "first-steps/module.yaml", "title: First steps\nlessons: [keys, gas\n")

    assert problems(course) == [
        "first-steps/module.yaml:3: YAML syntax error: while parsing a flow sequence (line 2): "
        "expected ',' or ']', but got '<stream end>'"
    ]


def test_a_missing_required_key_is_reported_where_its_mapping_starts(course):
    edit(course, KEYS_QUIZ, "points: 10\n", "")

    assert problems(course) == [f"{KEYS_QUIZ}:1: 'points' is required"]


def test_an_unknown_key_is_reported_at_its_line_with_the_likely_one(course):
    edit(course, KEYS_QUIZ, "max_attempts: 3", "max_atempts: 3")

    assert problems(course) == [
        f"{KEYS_QUIZ}:9: unknown key 'max_atempts' (did you mean 'max_attempts'?)"
    ]


def test_a_key_given_twice_is_reported_at_the_second(course):
    edit(course, "first-steps/gas/lesson.yaml", "title: Gas\n", "title: Gas\ntitle: Gas again\n")

    assert problems(course) == [
        "first-steps/gas/lesson.yaml:2: 'title' is given twice in this mapping"
    ]


def test_a_bad_slug_is_reported_at_its_list_item(course):
    edit(course, "first-steps/module.yaml", "lessons: [keys, gas]", "lessons:\n  - keys\n  - Gas_1")

    found = problems(course)

    assert (
        "first-steps/module.yaml:6: lessons[1]: 'Gas_1' is not a slug: use lowercase letters, "
        "digits and hyphens, at most 64" in found
    )


def test_an_exercise_slug_used_in_two_lessons_is_reported_at_the_second(course):
    edit(course, "first-steps/gas/lesson.yaml", "[gas-quiz]", "[gas-quiz, keys-quiz]")
    write(course, "first-steps/gas/keys-quiz.yaml", (course / KEYS_QUIZ).read_text())

    assert problems(course) == [
        "first-steps/gas/lesson.yaml:2: exercise 'keys-quiz' is also in lesson 'keys': "
        "exercise slugs are unique in the course"
    ]


def test_a_mapping_without_one_of_the_course_languages_is_reported_at_its_key(course):
    edit(course, KEYS_QUIZ, '  ko: "퀴즈: 키"\n', "")

    assert problems(course) == [f"{KEYS_QUIZ}:2: title: has no text in language 'ko'"]


def test_a_language_the_course_does_not_list_is_reported_at_its_key(course):
    edit(course, "deeper/module.yaml", "  ko: 더 깊이\n", "  ko: 더 깊이\n  fr: Plus loin\n")

    assert problems(course) == [
        "deeper/module.yaml:4: title.fr: 'fr' is not one of the course's languages (en, ko)"
    ]


def test_a_missing_ko_body_is_reported_on_the_lesson(course):
    (course / "deeper/tokens/ko.md").unlink()

    assert problems(course) == [
        "deeper/tokens/lesson.yaml:1: the lesson has no body in 'ko' (ko.md is missing)"
    ]


def test_a_missing_image_is_reported_at_the_line_that_shows_it(course):
    edit(course, "first-steps/keys/ko.md", "images/curve.png", "images/curve2.png")

    assert problems(course) == [
        "first-steps/keys/ko.md:5: image 'images/curve2.png' is not in this lesson's images/ folder"
    ]


def test_an_image_from_outside_the_images_folder_is_refused(course):
    edit(course, "deeper/tokens/en.md", "keeps balances.", "keeps balances.\n![x](../../x.png)")

    assert problems(course) == [
        "deeper/tokens/en.md:4: image '../../x.png' must come from this lesson's images/ folder "
        "(images/<name>)"
    ]


def test_an_image_of_a_type_pages_cannot_show_is_reported_where_it_is_shown(course):
    write(course, "first-steps/keys/images/curve.bmp", "BM")
    edit(course, "first-steps/keys/en.md", "images/curve.png", "images/curve.bmp")

    assert problems(course) == [
        "first-steps/keys/en.md:5: images/curve.bmp is not an image type a page may show "
        "(gif, jpeg, jpg, png, svg, webp)"
    ]


def test_an_image_over_one_megabyte_is_reported_even_if_no_body_shows_it(course):
    (course / "first-steps/keys/images/big.png").write_bytes(b"\0" * (1536 * 1024))

    assert problems(course) == [
        "first-steps/keys/images/big.png:1: images/big.png is 1.5 MB; an image may be at most 1.0 MB"
    ]


def test_an_image_inside_a_code_block_is_not_checked(course):
    text = (course / "first-steps/keys/en.md").read_text()

    assert "images/nowhere.png" in text
    assert problems(course) == []


def test_a_body_over_200_kb_is_reported_at_line_1(course):
    write(course, "deeper/tokens/ko.md", "# 토큰\n\n" + "가" * 70_000)

    assert problems(course) == ["deeper/tokens/ko.md:1: is 205 KB; at most 200 KB is allowed"]


def test_a_kind_without_a_grader_is_reported_at_its_line(course):
    edit(course, TOKEN_EXERCISE, "kind: contract", "kind: contrakt")

    assert problems(course) == [
        f"{TOKEN_EXERCISE}:1: no grader for kind 'contrakt' (known kinds: "
        f"{', '.join(registry.kinds())})"
    ]


def test_a_graders_problem_at_a_nested_spec_path_is_reported_at_that_key(course):
    edit(course, TOKEN_EXERCISE, "call: totalSupply()", "call: totalSupply")

    assert problems(course) == [
        f"{TOKEN_EXERCISE}:17: spec.checks[0].call: a call looks like name(types)"
    ]


def test_a_quiz_spec_problem_is_reported_at_its_question(course):
    edit(course, KEYS_QUIZ, "      answer: b\n", "      answer: z\n")

    assert problems(course) == [
        f"{KEYS_QUIZ}:20: spec.questions[0].answer: the answer must name the choices' ids"
    ]


def test_a_missing_sol_file_is_reported_once_at_the_key_that_names_it(course):
    (course / "deeper/tokens/starter.sol").unlink()

    assert problems(course) == [
        f"{TOKEN_EXERCISE}:11: spec.starter: 'starter.sol' is not in this lesson's folder"
    ]


def test_a_sol_name_that_leaves_the_lesson_folder_is_refused(course):
    edit(course, TOKEN_EXERCISE, "starter: starter.sol", "starter: ../keys/starter.sol")

    found = problems(course)

    assert (
        f"{TOKEN_EXERCISE}:11: spec.starter: must name a .sol file beside this YAML, such as "
        "vault.sol" in found
    )


def test_points_below_one_and_zero_attempts_are_reported(course):
    edit(course, KEYS_QUIZ, "points: 10\nmax_attempts: 3", "points: 0\nmax_attempts: 0")

    assert problems(course) == [
        f"{KEYS_QUIZ}:8: points: must be a whole number of at least 1, not 0",
        f"{KEYS_QUIZ}:9: max_attempts: must be a whole number of at least 1, not 0",
    ]


def test_a_listed_lesson_folder_that_is_missing_is_reported_at_its_item(course):
    edit(course, "deeper/module.yaml", "[tokens]", "[tokens, swaps]")

    assert problems(course) == ["deeper/module.yaml:4: folder 'deeper/swaps' is listed but missing"]


def test_a_lesson_folder_nobody_lists_is_reported_at_the_list(course):
    write(course, "deeper/swaps/lesson.yaml", "title: Swaps\n")

    assert problems(course) == ["deeper/module.yaml:4: folder 'swaps' is not listed in lessons"]


def test_an_exercise_file_nobody_lists_is_reported_at_the_list(course):
    write(course, "first-steps/gas/bonus.yaml", (course / KEYS_QUIZ).read_text())

    assert problems(course) == [
        "first-steps/gas/lesson.yaml:2: exercise file 'bonus.yaml' is not listed in exercises"
    ]


def test_a_body_in_a_language_the_course_lacks_is_reported_at_that_file(course):
    write(course, "first-steps/gas/kr.md", "# 가스\n")

    assert problems(course) == [
        "first-steps/gas/kr.md:1: is not a lesson body in one of the course's languages (en, ko)"
    ]


def test_an_exercise_file_ending_in_yml_is_reported(course):
    (course / "first-steps/gas/gas-quiz.yaml").rename(course / "first-steps/gas/gas-quiz.yml")

    assert problems(course) == [
        "first-steps/gas/lesson.yaml:2: 'gas-quiz.yaml' is not in this lesson's folder",
        "first-steps/gas/lesson.yaml:2: 'gas-quiz.yml': exercise files end in .yaml",
    ]


def test_a_yaml_date_stays_text_in_the_spec(course):
    edit(course, TOKEN_EXERCISE, "  contract: Token\n", "  contract: Token\n  opens: 2026-09-01\n")

    import_course(path=course)

    assert Exercise.objects.get(slug="write-a-token").spec["opens"] == "2026-09-01"


def test_a_spec_value_json_cannot_hold_is_reported(course):
    edit(course, TOKEN_EXERCISE, "  contract: Token\n", "  contract: Token\n  ratio: .nan\n")

    assert problems(course) == [f"{TOKEN_EXERCISE}:11: spec.ratio: must be a finite number"]


def test_the_line_of_a_nested_path_is_the_line_of_its_key():
    doc, found = load_yaml(GOOD, KEYS_QUIZ)

    assert found == []
    assert doc.line(("spec", "questions", 1, "answer")) == 26
    assert doc.line(("spec", "questions", 0, "choices", 1)) == 19
    assert doc.line(("spec", "questions", 0, "tolerance")) == 12  # missing: its question's line


# --- nothing is written on a problem --------------------------------------------------------------


def test_a_course_with_problems_writes_nothing():
    with pytest.raises(PackageInvalid) as refused:
        import_course(path=BROKEN)

    assert content_counts() == {name: 0 for name in content_counts()}
    assert len(refused.value.problems) == 13
    assert refused.value.code == "package_invalid"


def test_an_update_with_a_problem_changes_nothing_in_the_existing_course(course):
    import_course(path=course)
    before = snapshot(GOOD_SLUG, with_ids=True)
    edit(course, "course.yaml", "Package basics", "Package basics, revised")
    edit(course, "deeper/module.yaml", "[tokens]", "[]")
    edit(course, KEYS_QUIZ, "points: 10", "points: ten")

    with pytest.raises(PackageInvalid):
        import_course(path=course)

    assert snapshot(GOOD_SLUG, with_ids=True) == before


def test_a_failure_midway_through_writing_rolls_every_change_back(course, monkeypatch):
    import_course(path=course)
    before = snapshot(GOOD_SLUG, with_ids=True)
    edit(course, "course.yaml", "Package basics", "Package basics, revised")
    edit(course, "first-steps/gas/en.md", "costs gas.", "costs gas, paid in ether.")

    def fail(*args, **kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(package_write, "_sync_exercises", fail)
    with pytest.raises(RuntimeError):
        import_course(path=course)

    assert snapshot(GOOD_SLUG, with_ids=True) == before


# --- importing again ------------------------------------------------------------------------------


def test_importing_the_same_folder_again_changes_nothing():
    import_course(path=GOOD)
    before = snapshot(GOOD_SLUG, with_ids=True)

    report = import_course(path=GOOD)

    assert not report.changed
    assert report.count(UNCHANGED) == len(report.changes) == 10
    assert snapshot(GOOD_SLUG, with_ids=True) == before
    assert "unchanged" in report.lines()[0]


def test_an_edited_folder_updates_in_place_and_keeps_exercise_keys(course):
    import_course(path=course)
    ids = dict(Exercise.objects.values_list("slug", "id"))
    edit(course, KEYS_QUIZ, "points: 10", "points: 12")
    edit(course, "first-steps/gas/en.md", "costs gas.", "costs gas, paid in ether.")

    report = import_course(path=course)

    assert dict(Exercise.objects.values_list("slug", "id")) == ids
    assert Exercise.objects.get(slug="keys-quiz").points == 12
    assert "paid in ether" in Lesson.objects.get(slug="gas").body
    assert report.slugs(UPDATED, "exercise") == ["keys-quiz"]
    assert report.slugs(UPDATED, "lesson") == ["gas"]


def test_reordered_lessons_take_their_new_positions(course):
    import_course(path=course)
    edit(course, "first-steps/module.yaml", "[keys, gas]", "[gas, keys]")

    import_course(path=course)

    assert list(
        Lesson.objects.filter(module__slug="first-steps").order_by("position").values_list("slug")
    ) == [("gas",), ("keys",)]


def test_an_exercise_moved_to_another_lesson_keeps_its_key_and_its_attempts(course):
    import_course(path=course)
    quiz = Exercise.objects.get(slug="keys-quiz")
    attempt = attempt_on(quiz)
    (course / KEYS_QUIZ).rename(course / "deeper/tokens/keys-quiz.yaml")
    edit(course, "first-steps/keys/lesson.yaml", "exercises: [keys-quiz]\n", "")
    edit(course, "deeper/tokens/lesson.yaml", "[write-a-token]", "[write-a-token, keys-quiz]")

    import_course(path=course)

    moved = Exercise.objects.get(pk=quiz.pk)
    assert (moved.lesson.slug, moved.position) == ("tokens", 2)
    assert Attempt.objects.get(pk=attempt.pk).exercise_id == quiz.pk


def test_a_lesson_moved_to_another_module_is_kept_when_its_module_goes(course):
    import_course(path=course)
    lesson = Lesson.objects.get(slug="tokens")
    (course / "deeper/tokens").rename(course / "first-steps/tokens")
    (course / "deeper/module.yaml").unlink()
    (course / "deeper").rmdir()
    edit(course, "course.yaml", "[first-steps, deeper]", "[first-steps]")
    edit(course, "first-steps/module.yaml", "[keys, gas]", "[keys, gas, tokens]")

    report = import_course(path=course)

    assert Lesson.objects.get(pk=lesson.pk).module.slug == "first-steps"
    assert Exercise.objects.filter(slug="write-a-token", lesson=lesson).exists()
    assert report.slugs(DELETED, "module") == ["deeper"]


def test_parts_no_longer_in_the_folder_are_deleted_when_nobody_attempted_them(course):
    import_course(path=course)
    edit(course, "first-steps/gas/lesson.yaml", "exercises: [gas-quiz]\n", "")
    (course / "first-steps/gas/gas-quiz.yaml").unlink()

    report = import_course(path=course)

    assert not Exercise.objects.filter(slug="gas-quiz").exists()
    assert report.slugs(DELETED, "exercise") == ["gas-quiz"]


def test_removing_an_exercise_students_attempted_is_refused_with_its_slug(course):
    import_course(path=course)
    attempt_on(Exercise.objects.get(slug="gas-quiz"))
    before = snapshot(GOOD_SLUG, with_ids=True)
    edit(course, "first-steps/gas/lesson.yaml", "exercises: [gas-quiz]\n", "minutes: 5\n")
    (course / "first-steps/gas/gas-quiz.yaml").unlink()

    with pytest.raises(PackageInvalid) as refused:
        import_course(path=course)

    assert [str(problem) for problem in refused.value.problems] == [
        "first-steps/gas/lesson.yaml:1: exercise 'gas-quiz' has 1 student attempt(s) and cannot "
        "be removed; keep it in the course (it may move to another lesson)"
    ]
    assert snapshot(GOOD_SLUG, with_ids=True) == before


def test_removing_a_module_whose_exercise_was_attempted_is_refused_at_the_course_list(course):
    import_course(path=course)
    attempt_on(Exercise.objects.get(slug="write-a-token"))
    edit(course, "course.yaml", "[first-steps, deeper]", "[first-steps]")
    shutil.rmtree(course / "deeper")

    assert problems(course) == [
        "course.yaml:9: exercise 'write-a-token' has 1 student attempt(s) and cannot be removed; "
        "keep it in the course (it may move to another lesson)"
    ]
    assert Module.objects.filter(slug="deeper").exists()


def test_images_are_replaced_by_name_and_an_unchanged_one_is_left(course):
    import_course(path=course)
    kept = LessonImage.objects.get(name="curve.png")
    (course / "first-steps/keys/images/plot.svg").write_text(
        "<svg xmlns='http://www.w3.org/2000/svg'/>"
    )

    report = import_course(path=course)

    assert LessonImage.objects.get(name="curve.png").pk == kept.pk
    assert report.slugs(UNCHANGED, "image") == ["keys/curve.png"]
    assert report.slugs(CREATED, "image") == ["keys/plot.svg"]
    assert LessonImage.objects.get(name="plot.svg").content_type == "image/svg+xml"


def test_a_changed_image_is_updated_and_a_removed_one_deleted(course):
    import_course(path=course)
    (course / "first-steps/keys/images/curve.png").write_bytes(b"\x89PNG new")
    (course / "first-steps/keys/images/old.gif").write_bytes(b"GIF89a")
    import_course(path=course)
    (course / "first-steps/keys/images/old.gif").unlink()

    report = import_course(path=course)

    assert bytes(LessonImage.objects.get(name="curve.png").data) == b"\x89PNG new"
    assert report.slugs(DELETED, "image") == ["keys/old.gif"]
    assert not LessonImage.objects.filter(name="old.gif").exists()


# --- export ---------------------------------------------------------------------------------------


def test_an_exported_course_imports_into_a_fresh_database_as_the_same_rows(tmp_path):
    import_course(path=GOOD)
    before = snapshot(GOOD_SLUG)
    export_course(slug=GOOD_SLUG, path=tmp_path / "out")
    Course.objects.filter(slug=GOOD_SLUG).delete()

    import_course(path=tmp_path / "out")

    assert snapshot(GOOD_SLUG) == before


def test_an_exported_course_reimports_as_unchanged(tmp_path):
    import_course(path=GOOD)
    export_course(slug=GOOD_SLUG, path=tmp_path / "out")

    report = import_course(path=tmp_path / "out")

    assert not report.changed


def test_an_export_writes_the_same_layout_as_the_package(tmp_path):
    import_course(path=GOOD)

    export_course(slug=GOOD_SLUG, path=tmp_path / "out")

    def files(root):
        return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())

    assert files(tmp_path / "out") == files(GOOD)
    assert (tmp_path / "out/deeper/tokens/starter.sol").read_text() == (
        GOOD / "deeper/tokens/starter.sol"
    ).read_text()


# --- the shipped course ---------------------------------------------------------------------------


def test_the_shipped_course_imports_cleanly():
    kinds = _catalog_kinds()
    assert [kind for kind in sorted(kinds) if registry.grader_for(kind) is None] == []

    assert [str(problem) for problem in validate_course(CATALOG_COURSE)] == []
    report = import_course(path=CATALOG_COURSE)

    course = Course.objects.get(slug="dax101")
    assert report.count(CREATED, "course") == 1
    assert course.languages == ["en", "ko"]
    assert Lesson.objects.filter(course=course).count() >= 8
    assert Exercise.objects.filter(course=course).count() >= 12
    assert all(lesson.translations["ko"]["body"] for lesson in course.lessons.all())


def _catalog_kinds() -> set[str]:
    import yaml

    kinds = set()
    for path in CATALOG_COURSE.rglob("*.yaml"):
        if path.name in ("course.yaml", "module.yaml", "lesson.yaml"):
            continue
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        if isinstance(data, dict) and isinstance(data.get("kind"), str):
            kinds.add(data["kind"])
    return kinds
