"""Students' pages: the course outline, lessons and exercises of an offering."""

from django.urls import path

from courses import views_learn

urlpatterns = [
    path("offerings/<slug:slug>/course/", views_learn.course_outline, name="learn-outline"),
    path(
        "offerings/<slug:slug>/lessons/<slug:lesson_slug>/",
        views_learn.lesson_page,
        name="learn-lesson",
    ),
    path(
        "offerings/<slug:slug>/exercises/<slug:exercise_slug>/",
        views_learn.exercise_page,
        name="learn-exercise",
    ),
    path(
        "offerings/<slug:slug>/attempts/<int:attempt_id>/feedback",
        views_learn.attempt_feedback,
        name="learn-attempt-feedback",
    ),
    path(
        "courses/<slug:course_slug>/lessons/<slug:lesson_slug>/images/<str:name>",
        views_learn.lesson_image,
        name="lesson-image",
    ),
]
