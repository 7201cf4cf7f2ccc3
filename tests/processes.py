"""For system tests that start real processes against the test database."""

import os
from urllib.parse import quote

from django.db import connection


def database_url_of_this_test() -> str:
    """The test database as a DATABASE_URL, for a process the test starts."""
    db = connection.settings_dict
    credentials = quote(db["USER"] or "")
    if db["PASSWORD"]:
        credentials += ":" + quote(db["PASSWORD"])
    return f"postgres://{credentials}@{db['HOST'] or 'localhost'}:{db['PORT'] or 5432}/{db['NAME']}"


def clean_environ() -> dict[str, str]:
    """This process's environment without the settings a started process must get anew."""
    return {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "DATABASE_", "REDIS_", "SHIPSHAPE_"))
    }
