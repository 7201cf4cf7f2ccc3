"""Export pages and downloads (mounted at /reports/exports/)."""

urlpatterns: list = []
