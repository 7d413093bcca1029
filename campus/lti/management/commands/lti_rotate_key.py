from django.core.management.base import BaseCommand

from campus.lti.keys import rotate_tool_key


class Command(BaseCommand):
    help = "Make a new current LTI signing key; the previous one stays in /lti/jwks/ for LTI_KEY_GRACE_SECONDS."

    def handle(self, *args, **options):
        key = rotate_tool_key()
        self.stdout.write(self.style.SUCCESS(f"New current LTI key {key.kid}"))
