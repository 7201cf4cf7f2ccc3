"""Static files storage for production: WhiteNoise's, with each file's URL kept.

``{% static %}`` asks the storage for the hashed name on every use (five times
on every page), and the manifest storage works it out anew each time: about
0.1 ms of CPU per call on the benchmark machine. The manifest is read once
when the process starts and only a restart after ``collectstatic`` changes
it, so the URL of a name is fixed for the process and is kept here.
"""

from whitenoise.storage import CompressedManifestStaticFilesStorage


class StaticFilesStorage(CompressedManifestStaticFilesStorage):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._urls: dict[str, str] = {}

    def url(self, name, force=False):
        if force:
            return super().url(name, force=True)
        try:
            return self._urls[name]
        except KeyError:
            # A missing file raises here, as before, and is not kept.
            url = self._urls[name] = super().url(name)
            return url
