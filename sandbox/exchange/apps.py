from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ExchangeConfig(AppConfig):
    name = "sandbox.exchange"
    label = "exchange"
    verbose_name = _("Exchange")

    def ready(self) -> None:
        # The offering page (courses) links to the sandbox without importing it.
        from courses.links import register_offering_links
        from sandbox.exchange.views import sandbox_offering_links
        from sandbox.exchange.views_apikeys import api_key_offering_links

        register_offering_links(sandbox_offering_links)
        register_offering_links(api_key_offering_links)
