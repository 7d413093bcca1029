from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WalletConfig(AppConfig):
    name = "sandbox.wallet"
    label = "wallet"
    verbose_name = _("Wallet and ledger")

    def ready(self) -> None:
        # The offering page (courses) links to the transfer pages without importing them.
        from courses.api import register_offering_links
        from sandbox.wallet.links import transfer_offering_links

        register_offering_links(transfer_offering_links)
        # The student's dashboard (courses) shows their balances.
        from courses.api import register_dashboard_panel
        from sandbox.wallet.panels import wallet_panel

        register_dashboard_panel(wallet_panel)
