"""Start the test identity provider as a subprocess and describe it to Shipshape."""

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import requests

from tests.oidc_provider.users import read_users, write_users

ROOT = Path(__file__).resolve().parents[2]
CLIENT_ID = "shipshape"
CLIENT_SECRET = "shipshape-test-secret"
MANAGERS = "shipshape-managers"
FACILITATORS = "shipshape-facilitators"
PASSWORD = "provider-pass-1"
# One verified manager, one verified plain member, one unverified address, one
# address outside the allowed domain (example.com).
USERS = {
    "ada": {
        "email": "ada@example.com",
        "email_verified": True,
        "given_name": "Ada",
        "family_name": "Lovelace",
        "groups": [MANAGERS, "everyone"],
        "teams": ["payments"],
    },
    "max": {
        "email": "max@example.com",
        "email_verified": True,
        "given_name": "Max",
        "groups": ["everyone"],
        "teams": ["payments"],
    },
    "una": {"email": "una@example.com", "email_verified": False, "groups": [MANAGERS]},
    "otto": {"email": "otto@elsewhere.org", "email_verified": True, "groups": [MANAGERS]},
}


@dataclass
class RunningProvider:
    workdir: Path
    port: int

    @property
    def issuer(self) -> str:
        return f"http://127.0.0.1:{self.port}/o"

    def set_claims(self, username: str, **claims) -> None:
        users = read_users(self.workdir)
        users[username].update(claims)
        write_users(self.workdir, users)

    def settings(self, **overrides) -> dict:
        """Shipshape settings (for override_settings) that use this provider."""
        return {
            "SHIPSHAPE_OIDC_ENABLED": True,
            "SHIPSHAPE_OIDC_DISCOVERY_URL": self.issuer,
            "SHIPSHAPE_OIDC_PROVIDER_NAME": "Test IdP",
            "OIDC_RP_CLIENT_ID": CLIENT_ID,
            "OIDC_RP_CLIENT_SECRET": CLIENT_SECRET,
            "SHIPSHAPE_OIDC_GROUPS_CLAIM": "groups",
            "SHIPSHAPE_OIDC_MANAGER_VALUES": [MANAGERS],
            "SHIPSHAPE_OIDC_FACILITATOR_VALUES": [FACILITATORS],
            "SHIPSHAPE_OIDC_ALLOWED_DOMAINS": ["example.com"],
            **overrides,
        }


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def running_provider(
    workdir: Path, *, redirect_uris: list[str], post_logout_uris: list[str] = ()
) -> Iterator[RunningProvider]:
    port = free_port()
    write_users(workdir, {name: {**data, "password": PASSWORD} for name, data in USERS.items()})
    env = {
        **os.environ,
        "IDP_CLIENT_ID": CLIENT_ID,
        "IDP_CLIENT_SECRET": CLIENT_SECRET,
        "IDP_REDIRECT_URIS": " ".join(redirect_uris),
        "IDP_POST_LOGOUT_URIS": " ".join(post_logout_uris),
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)
    log = (workdir / "provider.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.oidc_provider.serve", str(workdir), str(port)],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    provider = RunningProvider(workdir=workdir, port=port)
    try:
        _wait_until_serving(provider, process)
        yield provider
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def _wait_until_serving(provider: RunningProvider, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 60
    url = f"{provider.issuer}/.well-known/openid-configuration"
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                "The test identity provider stopped:\n"
                + (provider.workdir / "provider.log").read_text()
            )
        try:
            if requests.get(url, timeout=2).status_code == 200:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"The test identity provider did not answer {url} within 60 s.")
