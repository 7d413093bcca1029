"""`python manage.py chain_url USERNAME --offering SLUG`: print a student's chain RPC URL."""

from django.core.management.base import BaseCommand, CommandError

from campus.api import User
from campus.errors import ServiceError
from courses.api import Offering
from sandbox.chain.services import open_chain, rpc_path


class Command(BaseCommand):
    help = "Print a student's chain RPC URL in an offering (opening their chain if needed)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("username")
        parser.add_argument("--offering", required=True, help="The offering's slug.")
        parser.add_argument(
            "--base-url",
            default="http://127.0.0.1:8000",
            help="The site's address as students reach it (default %(default)s).",
        )

    def handle(self, username: str, offering: str, base_url: str, **options) -> None:
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user named {username!r}.")
        found = Offering.objects.filter(slug=offering).first()
        if found is None:
            raise CommandError(f"No offering with the slug {offering!r}.")
        try:
            chain = open_chain(offering_id=found.pk, owner_id=user.pk)
        except ServiceError as error:
            raise CommandError(error.message) from None
        self.stdout.write(base_url.rstrip("/") + rpc_path(chain))
