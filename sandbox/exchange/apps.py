from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ExchangeConfig(AppConfig):
    name = "sandbox.exchange"
    label = "exchange"
    verbose_name = _("Exchange")

    def ready(self) -> None:
        # The offering page (courses) links to the sandbox without importing it.
        from courses.api import register_offering_links, register_student_links
        from sandbox.exchange.views import sandbox_offering_links
        from sandbox.exchange.views_apikeys import api_key_offering_links
        from sandbox.exchange.views_student import exchange_student_links

        register_offering_links(sandbox_offering_links)
        register_offering_links(api_key_offering_links)
        register_student_links(exchange_student_links)
        # ledger_check also proves that locked balances are exactly the open orders' holds.
        from sandbox.exchange import checks
        from sandbox.wallet.checks import register_ledger_check

        register_ledger_check(checks.holds_match_locked_balances)
        register_ledger_check(checks.open_orders_hold_what_they_need)
        register_ledger_check(checks.every_trade_has_its_journal)
