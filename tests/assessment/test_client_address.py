"""Which address the throttle and the audit log see (assessment.addresses)."""

import pytest
from django.test import RequestFactory

from assessment.addresses import client_address, throttle_bucket

PROXY = "10.0.0.2"


def address(remote: str, forwarded: str | None = None) -> str:
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return client_address(RequestFactory().get("/", **extra))


@pytest.fixture(autouse=True)
def _trust(settings):
    settings.TRUSTED_PROXIES = [PROXY, "192.168.50.0/24"]


def test_a_spoofed_forwarded_for_from_an_untrusted_peer_is_ignored():
    assert address("203.0.113.5", "198.51.100.7") == "203.0.113.5"
    assert address("10.0.0.3", "198.51.100.7") == "10.0.0.3"  # next to the proxy, not it


def test_behind_a_trusted_proxy_the_client_is_the_address_the_proxy_saw():
    assert address(PROXY, "198.51.100.7") == "198.51.100.7"


def test_what_the_client_wrote_to_the_left_of_the_proxy_entry_is_ignored():
    assert address(PROXY, "127.0.0.1, 1.2.3.4, 198.51.100.7") == "198.51.100.7"
    assert address(PROXY, "not-an-ip, 198.51.100.7:4431") == "198.51.100.7"


def test_several_trusted_proxies_are_walked_from_the_right():
    assert address(PROXY, "1.2.3.4, 198.51.100.7, 192.168.50.9") == "198.51.100.7"
    # Only trusted hops: the left-most of them is the best that is known.
    assert address(PROXY, "192.168.50.8, 192.168.50.9") == "192.168.50.8"


def test_a_trusted_proxy_without_a_forwarded_header_is_the_client_itself():
    assert address(PROXY) == PROXY
    assert address(f"::ffff:{PROXY}", "198.51.100.7") == "198.51.100.7"


def test_ipv6_clients_share_a_bucket_per_64():
    assert address(PROXY, "[2001:db8:1:2::a]:443") == "2001:db8:1:2::a"
    assert throttle_bucket("2001:db8:1:2::a") == throttle_bucket("2001:db8:1:2:ffff::1")
    assert throttle_bucket("2001:db8:1:2::a") != throttle_bucket("2001:db8:1:3::a")
    assert throttle_bucket("198.51.100.7") == "198.51.100.7"


def test_no_trusted_proxy_means_no_header_is_believed(settings):
    settings.TRUSTED_PROXIES = []
    assert address(PROXY, "198.51.100.7") == PROXY
