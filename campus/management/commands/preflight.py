"""Check, before serving, that every configured dependency answers; one clear line for each that
does not, instead of a traceback from deep inside a driver."""

from django.core.management.base import BaseCommand, CommandError

from campus.health import describe, run_checks

SETTING_FOR = {
    "database": "DATABASE_URL",
    "channel_layer": "REDIS_URL",
    "broker": "CELERY_BROKER_URL or REDIS_URL",
}


class Command(BaseCommand):
    help = (
        "Check the database, channel layer and Celery broker answer; exit 1 naming any that do not."
    )

    def handle(self, *args, **options) -> None:
        where = describe()
        failures = []
        for name, reason in run_checks().items():
            if reason is None:
                self.stdout.write(f"ok   {name:<14} {where[name]}")
            else:
                failures.append(
                    f"{SETTING_FOR[name]}: cannot reach {name} ({where[name]}): {reason}"
                )
        if failures:
            raise CommandError("\n".join(failures))
