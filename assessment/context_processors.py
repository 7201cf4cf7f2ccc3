from django.utils.functional import SimpleLazyObject

from surveys.access import is_facilitator, is_manager


def roles(request):
    """Navigation flags, evaluated only when a template reads them."""
    user = request.user

    def teams():
        if not user.is_authenticated:
            return []
        return list(user.teams.order_by("name").only("name", "slug"))

    return {
        "nav_is_manager": SimpleLazyObject(lambda: is_manager(user)),
        "nav_is_facilitator": SimpleLazyObject(lambda: is_facilitator(user)),
        "nav_teams": SimpleLazyObject(teams),
    }
