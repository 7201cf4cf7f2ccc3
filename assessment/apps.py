from django.apps import AppConfig


class AssessmentConfig(AppConfig):
    name = "assessment"
    verbose_name = "Maturity model"

    def ready(self) -> None:
        from assessment.structure import connect_receivers

        connect_receivers()
