"""Create the demo campus in Busan. Safe to run again: what exists is left as it is."""

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils.module_loading import import_string

from campus.demo import SeedContext, print_logins


class Command(BaseCommand):
    help = (
        "Seed a demo campus (universities, a course, instructors, students, markets). Idempotent."
    )

    def handle(self, *args, **options) -> None:
        ctx = SeedContext(write=self.stdout.write)
        for path in settings.DEMO_SEEDERS:
            import_string(path)(ctx)
        verb = f"created {ctx.created} records" if ctx.created else "nothing new: already seeded"
        self.stdout.write(self.style.SUCCESS(f"Demo campus ready ({verb})."))
        print_logins(self.stdout.write)
