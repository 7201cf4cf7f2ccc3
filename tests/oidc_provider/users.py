"""The provider's users, kept in users.json in its folder (a test may rewrite it)."""

import json
from pathlib import Path

USERS_FILE = "users.json"


def read_users(workdir: Path) -> dict[str, dict]:
    return json.loads((Path(workdir) / USERS_FILE).read_text())


def write_users(workdir: Path, users: dict[str, dict]) -> None:
    path = Path(workdir) / USERS_FILE
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(users))
    temporary.replace(path)  # the provider never reads half a file
