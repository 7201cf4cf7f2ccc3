from django.apps import AppConfig


class AssessmentConfig(AppConfig):
    name = "assessment"
    verbose_name = "Maturity model"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from assessment import sessions, signals
        from assessment.structure import connect_receivers

        signals.connect()
        connect_receivers()
        user_logged_in.connect(sessions.start_privileged_clock, dispatch_uid="privileged-clock")
