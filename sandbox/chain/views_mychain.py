"""(being built)"""

urlpatterns: list = []


def chain_offering_links(user, offering) -> list:
    return []
