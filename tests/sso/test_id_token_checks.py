"""The ID token checks added to mozilla-django-oidc's: audience, issuer, nonce, algorithm."""

import time

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.core.exceptions import SuspiciousOperation
from django.test import override_settings

from sso.backends import OIDCBackend
from sso.provider import Provider

ISSUER = "https://id.example.com/realms/acme"
KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
PUBLIC_PEM = KEY.public_key().public_bytes(
    serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
)


def token(**claims) -> str:
    now = int(time.time())
    payload = {"iss": ISSUER, "aud": "shipshape", "sub": "1", "nonce": "n1", "iat": now}
    return jwt.encode({**payload, "exp": now + 60, **claims}, KEY, algorithm="RS256")


@pytest.fixture
def backend():
    with override_settings(OIDC_RP_CLIENT_ID="shipshape", OIDC_RP_SIGN_ALGO="RS256"):
        backend = OIDCBackend()
    backend.OIDC_RP_IDP_SIGN_KEY = PUBLIC_PEM
    backend.provider = Provider(ISSUER, "a", "t", "u", "j")
    return backend


def test_a_good_id_token_passes(backend):
    assert backend.verify_token(token(), nonce="n1")["sub"] == "1"


def test_a_token_among_several_audiences_passes(backend):
    assert backend.verify_token(token(aud=["other", "shipshape"]), nonce="n1")["sub"] == "1"


@pytest.mark.parametrize(
    ("claims", "nonce"),
    [
        ({"aud": "another-app"}, "n1"),
        ({"iss": "https://evil.example.com"}, "n1"),
        ({}, "another-nonce"),
    ],
    ids=["audience", "issuer", "nonce"],
)
def test_a_token_for_someone_else_is_refused(backend, claims, nonce):
    with pytest.raises(SuspiciousOperation):
        backend.verify_token(token(**claims), nonce=nonce)


def test_an_expired_token_is_refused(backend):
    with pytest.raises(jwt.ExpiredSignatureError):
        backend.verify_token(token(exp=int(time.time()) - 120), nonce="n1")


def test_a_token_signed_with_another_key_is_refused(backend):
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    forged = jwt.encode(
        {"iss": ISSUER, "aud": "shipshape", "nonce": "n1", "exp": int(time.time()) + 60},
        other,
        algorithm="RS256",
    )
    with pytest.raises(SuspiciousOperation):
        backend.verify_token(forged, nonce="n1")
