"""Instructors' course admin on the site: gradebook, deadlines, roster progress, content."""

from django.urls import path

from courses import views_teach, views_teach_content, views_teach_deadlines, views_teach_students

TEACH = "offerings/<slug:slug>/teach/"
STUDENT = TEACH + "students/<int:user_id>/"

urlpatterns = [
    path(TEACH + "gradebook/", views_teach.gradebook, name="teach-gradebook"),
    path(TEACH + "gradebook.csv", views_teach.gradebook_csv, name="teach-gradebook-csv"),
    path(TEACH + "progress/", views_teach.progress, name="teach-progress"),
    path(TEACH + "deadlines/", views_teach_deadlines.deadlines, name="teach-deadlines"),
    path(
        TEACH + "deadlines/<slug:exercise_slug>/",
        views_teach_deadlines.save_deadline,
        name="teach-deadline-save",
    ),
    path(STUDENT, views_teach_students.student, name="teach-student"),
    path(
        STUDENT + "attempts/<int:attempt_id>/regrade/",
        views_teach_students.regrade,
        name="teach-regrade",
    ),
    path(
        STUDENT + "exercises/<slug:exercise_slug>/override/",
        views_teach_students.override,
        name="teach-override",
    ),
    path(
        STUDENT + "exercises/<slug:exercise_slug>/override/clear/",
        views_teach_students.clear_override,
        name="teach-override-clear",
    ),
    path(
        STUDENT + "exercises/<slug:exercise_slug>/extension/",
        views_teach_students.extension,
        name="teach-extension",
    ),
    path(
        STUDENT + "exercises/<slug:exercise_slug>/extension/revoke/",
        views_teach_students.revoke_extension,
        name="teach-extension-revoke",
    ),
    path(TEACH + "content/", views_teach_content.content, name="teach-content"),
    path(
        TEACH + "content/lessons/<slug:lesson_slug>/",
        views_teach_content.lesson,
        name="teach-lesson",
    ),
    path(
        TEACH + "content/exercises/<slug:exercise_slug>/",
        views_teach_content.exercise,
        name="teach-exercise",
    ),
]
