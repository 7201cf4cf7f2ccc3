"""The production static files storage keeps each file's hashed URL (assessment.storage)."""

import json

import pytest

from assessment.storage import StaticFilesStorage


@pytest.fixture
def storage(tmp_path):
    manifest = {"paths": {"app.css": "app.0123abcd.css"}, "version": "1.1", "hash": "x"}
    (tmp_path / "staticfiles.json").write_text(json.dumps(manifest))
    return StaticFilesStorage(location=tmp_path, base_url="/static/")


def test_the_hashed_url_from_the_manifest_every_time(storage):
    assert storage.url("app.css") == "/static/app.0123abcd.css"
    storage.hashed_files = {}  # the manifest is not read again
    assert storage.url("app.css") == "/static/app.0123abcd.css"


def test_a_file_missing_from_the_manifest_still_fails(storage):
    for _ in range(2):
        with pytest.raises(ValueError, match="Missing staticfiles manifest entry"):
            storage.url("missing.css")
