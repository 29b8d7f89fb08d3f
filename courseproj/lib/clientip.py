"""The address a request came from, the same for every throttle (django-axes, django-ratelimit, DRF)."""

import ipaddress

from django.conf import settings

IPV6_PREFIX = 64  # one IPv6 host usually holds a whole /64: count the network, or each guess is a new address


def client_ip(request) -> str:
    """REMOTE_ADDR, or behind TRUSTED_PROXY_COUNT proxies the address the outermost one saw.

    Each proxy appends the address it received from to X-Forwarded-For, so only the last
    TRUSTED_PROXY_COUNT entries are trustworthy; anything before them the client may have typed.
    An IPv6 address stands for its /64; no usable address gives "" (e.g. a Unix socket).
    """
    address = request.META.get("REMOTE_ADDR", "")
    proxies = settings.TRUSTED_PROXY_COUNT
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    if proxies > 0 and forwarded:
        address = forwarded[-min(proxies, len(forwarded))]
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return ""
    if ip.version == 6:
        return str(ipaddress.ip_network(f"{ip}/{IPV6_PREFIX}", strict=False).network_address)
    return str(ip)
