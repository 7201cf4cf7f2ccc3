from django.apps import AppConfig


class DemoConfig(AppConfig):
    """Demo and synthetic data: at the top of the app graph, so it may use every app."""

    name = "demo"
    verbose_name = "Demo and synthetic data"
