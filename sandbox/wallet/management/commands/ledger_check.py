from django.core.management.base import BaseCommand, CommandError

from sandbox.wallet.checks import find_ledger_breaks


class Command(BaseCommand):
    help = "Prove the ledger: postings sum to zero per asset and journal, balances equal postings."

    def handle(self, *args, **options) -> None:
        breaks = find_ledger_breaks()
        if breaks:
            raise CommandError("ledger check failed:\n" + "\n".join(f"  {b}" for b in breaks))
        self.stdout.write(self.style.SUCCESS("ledger check passed"))
