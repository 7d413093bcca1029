from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ChainConfig(AppConfig):
    name = "sandbox.chain"
    label = "chain"
    verbose_name = _("Chains")

    def ready(self) -> None:
        # The offering page (courses) links to the chain pages without importing them.
        from courses.api import register, register_offering_links, register_student_links
        from sandbox.chain.grading import solidity_grader
        from sandbox.chain.grading_onchain import onchain_grader
        from sandbox.chain.links import chain_offering_links, chain_student_links

        register_offering_links(chain_offering_links)
        register_student_links(chain_student_links)
        # Exercises of kind solidity and onchain are graded on the student's own chain.
        register(solidity_grader)
        register(onchain_grader)
        # The student's dashboard (courses) shows their chain's status.
        from courses.api import register_dashboard_panel
        from sandbox.chain.panels import chain_panel

        register_dashboard_panel(chain_panel)
