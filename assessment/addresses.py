"""The client's address, for login throttling and the audit log.

Behind a reverse proxy every request arrives from the proxy, so REMOTE_ADDR alone
would put the whole company behind one address. A forwarded header is believed
only when the request comes straight from one of settings.TRUSTED_PROXIES
(DJANGO_TRUSTED_PROXIES); a client that reaches the app directly cannot choose
its address by sending X-Forwarded-For.

Behind a trusted proxy, django-ipware parses X-Forwarded-For (ports, brackets,
IPv4-mapped IPv6, malformed entries skipped). Each proxy appends the address it
received the request from, so the entries are read from the right: the first one
that is not itself a trusted proxy is the client. Anything further left was
written by the client and is ignored.
"""

import ipaddress
from functools import lru_cache

from django.conf import settings
from django.http import HttpRequest
from ipware import get_client_ip

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
FORWARDED_FOR = "HTTP_X_FORWARDED_FOR"
MAX_PROXY_HOPS = 10  # more trusted hops than any real deployment has


@lru_cache(maxsize=8)
def _networks(entries: tuple[str, ...]) -> tuple[IPNetwork, ...]:
    return tuple(ipaddress.ip_network(entry, strict=False) for entry in entries)


def _parse(address: str) -> IPAddress | None:
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        return ip.ipv4_mapped
    return ip


def is_trusted_proxy(address: str) -> bool:
    ip = _parse(address)
    if ip is None:
        return False
    return any(ip in network for network in _networks(tuple(settings.TRUSTED_PROXIES)))


def client_address(request: HttpRequest) -> str:
    """The client's IP address as text ("" when the server did not say)."""
    address = request.META.get("REMOTE_ADDR", "")
    if not is_trusted_proxy(address):
        return address
    for hops in range(MAX_PROXY_HOPS):
        # proxy_count=hops, non-strict: the entry `hops` places from the right.
        forwarded, _ = get_client_ip(
            request, proxy_count=hops, request_header_order=[FORWARDED_FOR], strict=False
        )
        if forwarded is None:  # no header, or every entry is a trusted proxy
            break
        address = forwarded
        if not is_trusted_proxy(forwarded):
            break
    return address


def throttle_bucket(address: str) -> str:
    """What one client is counted as: its IPv4 address, or its IPv6 /64.

    One subscriber usually gets a whole IPv6 /64, so counting single IPv6
    addresses would give an attacker billions of fresh ones.
    """
    ip = _parse(address)
    if isinstance(ip, ipaddress.IPv6Address):
        return str(ipaddress.IPv6Network((ip, 64), strict=False))
    return str(ip) if ip is not None else address
