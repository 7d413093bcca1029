from django.urls import path

from sandbox.markets import views, views_leaderboard, views_runs

CONTROL = "offerings/<slug:slug>/markets/control/"

urlpatterns = [
    path(CONTROL, views.control, name="markets-control"),
    path(f"{CONTROL}start/", views.start, name="markets-start"),
    path(f"{CONTROL}competitions/", views.add_competition, name="markets-add-competition"),
    path(f"{CONTROL}series/", views.upload_series, name="markets-upload-series"),
    path(f"{CONTROL}runs/<int:run_id>/pause/", views_runs.pause, name="markets-pause"),
    path(f"{CONTROL}runs/<int:run_id>/resume/", views_runs.resume, name="markets-resume"),
    path(f"{CONTROL}runs/<int:run_id>/speed/", views_runs.speed, name="markets-speed"),
    path(f"{CONTROL}runs/<int:run_id>/stop/", views_runs.stop, name="markets-stop"),
    path(f"{CONTROL}markets/<str:symbol>/halt/", views_runs.halt_market, name="markets-halt"),
    path(
        f"{CONTROL}markets/<str:symbol>/resume/",
        views_runs.resume_market,
        name="markets-resume-trading",
    ),
    path(f"{CONTROL}reset-wallets/", views_runs.reset_wallets, name="markets-reset-wallets"),
    path(
        "offerings/<slug:slug>/leaderboard/",
        views_leaderboard.leaderboard,
        name="markets-leaderboard",
    ),
]
