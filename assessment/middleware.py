from assessment.audit import acting_as


class AuditActorMiddleware:
    """Make the request's user the actor of audit events recorded by signal receivers.

    request.user stays lazy: nothing is queried unless an event is recorded.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        with acting_as(getattr(request, "user", None)):
            return self.get_response(request)
