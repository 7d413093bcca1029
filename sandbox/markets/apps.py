from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MarketsConfig(AppConfig):
    name = "sandbox.markets"
    label = "markets"
    verbose_name = _("Simulated markets")

    def ready(self) -> None:
        # The offering page (courses) links to the leaderboard and controls without importing us.
        from courses.api import register_offering_links
        from sandbox.markets.views import markets_offering_links

        register_offering_links(markets_offering_links)
        # The trading exercises' grader plugs into courses' registry the same way.
        from courses.api import register
        from sandbox.markets.grading import trading_grader

        register(trading_grader)
        # The student's dashboard (courses) shows their portfolio and the market news.
        from courses.api import register_dashboard_panel
        from sandbox.markets.panels import news_panel, portfolio_panel

        register_dashboard_panel(portfolio_panel)
        register_dashboard_panel(news_panel)
