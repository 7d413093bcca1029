"""The Celery application: graders, watchers, bots and market ticks run here."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "campus.settings")

app = Celery("blockcampus")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
