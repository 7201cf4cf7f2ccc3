"""DATABASE_POOL=true: psycopg's pool on PostgreSQL instead of persistent connections."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SHOW = (
    "import json, django; django.setup(); from django.conf import settings; "
    "d = settings.DATABASES['default']; pool = d.get('OPTIONS', {}).get('pool'); "
    "print(json.dumps({'age': d['CONN_MAX_AGE'], 'pool': pool and "
    "{k: v for k, v in pool.items() if k != 'check'}, 'check': bool(pool and pool['check'])}))"
)


def database_settings(**env: str) -> dict:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE", "DJANGO_"))}
    result = subprocess.run(
        [sys.executable, "-c", SHOW],
        cwd=ROOT,
        env={**clean, "DJANGO_SETTINGS_MODULE": "assessment.settings", **env},
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(result.stdout)


def test_the_pool_replaces_persistent_connections_on_postgresql():
    url = "postgres://postgres@127.0.0.1:5432/anything"
    assert database_settings(DATABASE_URL=url) == {"age": 60, "pool": None, "check": False}
    pooled = database_settings(DATABASE_URL=url, DATABASE_POOL="true", DATABASE_POOL_MAX_SIZE="8")
    assert pooled == {
        "age": 0,
        "pool": {"min_size": 1, "max_size": 8, "timeout": 10},
        "check": True,
    }


def test_sqlite_ignores_the_pool_setting():
    assert database_settings(DATABASE_POOL="true")["pool"] is None
