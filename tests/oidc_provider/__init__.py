"""A real OpenID Connect provider for the SSO tests: django-oauth-toolkit in OIDC mode.

Started as its own process (serve.py) by tests/sso/conftest.py and the SSO browser
test, on a free port, with its own SQLite database, RSA key and users in a
temporary folder. Never part of Shipshape itself.
"""
