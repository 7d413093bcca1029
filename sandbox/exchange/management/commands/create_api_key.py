"""Create an API key for a user's sandbox wallet in an offering and print it with its secret."""

import json

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from campus.errors import ServiceError
from sandbox.exchange.apikeys import create_api_key, offering_by_slug


class Command(BaseCommand):
    help = (
        "Create a Binance-style API key for USERNAME's wallet in an offering. The secret is "
        "printed once and cannot be shown again."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("username")
        parser.add_argument("--offering", required=True, help="The offering's slug.")
        parser.add_argument("--label", default="", help="A name to tell keys apart.")
        parser.add_argument(
            "--json", action="store_true", help='Print {"apiKey": ..., "secretKey": ...} only.'
        )

    def handle(self, *args, **options) -> None:
        user = get_user_model().objects.filter(username=options["username"]).first()
        if user is None:
            raise CommandError(f"No user {options['username']!r}.")
        offering = offering_by_slug(options["offering"])
        if offering is None:
            raise CommandError(f"No offering {options['offering']!r}.")
        try:
            api_key, secret = create_api_key(
                user_id=user.pk, offering_id=offering.pk, label=options["label"]
            )
        except ServiceError as error:
            raise CommandError(error.message) from None
        if options["json"]:
            self.stdout.write(json.dumps({"apiKey": api_key.key, "secretKey": secret}))
            return
        self.stdout.write(f"API key:    {api_key.key}")
        self.stdout.write(f"Secret key: {secret}")
        self.stdout.write(self.style.WARNING("Store the secret key now: it cannot be shown again."))
        self.stdout.write(f"Base URL:   /o/{offering.slug}/api (or /api with this key)")
