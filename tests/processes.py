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


def setting_in_new_process(expression: str, **env: str):
    """``expression`` over ``settings`` (JSON-encodable), worked out by a fresh process
    that starts Django with only ``env`` of the settings' environment variables."""
    import json
    import subprocess
    import sys
    from pathlib import Path

    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import json, django; django.setup(); from django.conf import settings; "
            f"print(json.dumps({expression}))",
        ],
        cwd=Path(__file__).resolve().parents[1],
        env={**clean_environ(), **env, "DJANGO_SETTINGS_MODULE": "assessment.settings"},
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(result.stdout)
