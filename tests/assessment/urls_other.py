"""A second URL configuration for tests/assessment/test_cached_urls.py."""

from django.http import HttpResponse
from django.urls import path

urlpatterns = [path("elsewhere/", lambda request: HttpResponse(), name="home")]
