"""Serve plotly.js from the plotly Python package instead of a CDN or a copy in git.

The file is exposed as static/vendor/plotly-<version>/plotly.min.js, so
collectstatic and WhiteNoise treat it like any other static file and the
version in the URL changes when the package is upgraded.
"""

from functools import cache
from pathlib import Path

import plotly
from django.contrib.staticfiles.finders import BaseFinder
from django.core.files.storage import FileSystemStorage
from plotly.offline import get_plotlyjs_version

PACKAGE_DATA = Path(plotly.__file__).resolve().parent / "package_data"


@cache
def plotly_static_path() -> str:
    return f"vendor/plotly-{get_plotlyjs_version()}/plotly.min.js"


class _PrefixedStorage(FileSystemStorage):
    def __init__(self):
        super().__init__(location=str(PACKAGE_DATA))
        self.prefix = str(Path(plotly_static_path()).parent)


class PlotlyFinder(BaseFinder):
    def check(self, **kwargs):
        return []

    def find(self, path, find_all=False, **kwargs):
        if path != plotly_static_path():
            return [] if find_all else None
        match = str(PACKAGE_DATA / "plotly.min.js")
        return [match] if find_all else match

    def list(self, ignore_patterns):
        yield "plotly.min.js", _PrefixedStorage()
