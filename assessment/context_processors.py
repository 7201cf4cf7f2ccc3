from django.utils.functional import SimpleLazyObject

from surveys.navigation import user_navigation


def roles(request):
    """Navigation: the user's teams and role flags, worked out (or read from the
    cache) only when a template reads them."""
    navigation = SimpleLazyObject(lambda: user_navigation(request.user))
    return {
        "nav_is_manager": SimpleLazyObject(lambda: navigation.is_manager),
        "nav_is_facilitator": SimpleLazyObject(lambda: navigation.is_facilitator),
        "nav_teams": SimpleLazyObject(lambda: navigation.teams),
    }
