"""Run the test identity provider: python -m tests.oidc_provider.serve DIR PORT.

DIR holds users.json and receives the SQLite database and a fresh RSA key.
IDP_CLIENT_ID, IDP_CLIENT_SECRET, IDP_REDIRECT_URIS and IDP_POST_LOGOUT_URIS
(space-separated) describe the one client, Shipshape. Prints "ready" when serving.
"""

import os
import sys
from pathlib import Path
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa


class ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class QuietHandler(WSGIRequestHandler):
    def log_message(self, format, *args):
        pass


def write_key(workdir: Path) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    (workdir / "rsa.pem").write_bytes(pem)


def set_up() -> None:
    from django.contrib.auth.models import User
    from django.core.management import call_command
    from oauth2_provider.models import Application

    from tests.oidc_provider.users import read_users

    call_command("migrate", verbosity=0, interactive=False)
    for username, data in read_users(Path(os.environ["IDP_DIR"])).items():
        User.objects.create_user(username, email=data["email"], password=data["password"])
    Application.objects.create(
        name="Shipshape",
        client_id=os.environ["IDP_CLIENT_ID"],
        client_secret=os.environ["IDP_CLIENT_SECRET"],
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        redirect_uris=os.environ["IDP_REDIRECT_URIS"],
        post_logout_redirect_uris=os.environ.get("IDP_POST_LOGOUT_URIS", ""),
        algorithm=Application.RS256_ALGORITHM,
        skip_authorization=True,
    )


def main() -> None:
    workdir, port = Path(sys.argv[1]), int(sys.argv[2])
    write_key(workdir)
    os.environ.update(IDP_DIR=str(workdir), IDP_PORT=str(port))
    os.environ["DJANGO_SETTINGS_MODULE"] = "tests.oidc_provider.settings"
    import django

    django.setup()
    set_up()
    from django.core.wsgi import get_wsgi_application

    server = make_server(
        "127.0.0.1", port, get_wsgi_application(), ThreadingServer, handler_class=QuietHandler
    )
    print("ready", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
