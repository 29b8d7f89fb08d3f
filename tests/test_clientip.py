"""The client's address as every throttle sees it (courseproj/lib/clientip.py)."""

from django.test import RequestFactory

from courseproj.lib.clientip import client_ip


def request(remote="203.0.113.7", forwarded=None):
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **extra)


def test_without_proxies_it_is_remote_addr_whatever_the_client_forwards(settings):
    settings.TRUSTED_PROXY_COUNT = 0
    assert client_ip(request(forwarded="198.51.100.1")) == "203.0.113.7"


def test_behind_one_proxy_it_is_the_last_forwarded_address_not_what_the_client_typed(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    assert client_ip(request(remote="10.0.0.2", forwarded="1.2.3.4, 198.51.100.9")) == "198.51.100.9"
    settings.TRUSTED_PROXY_COUNT = 2
    assert client_ip(request(remote="10.0.0.2", forwarded="1.2.3.4, 198.51.100.9, 10.0.0.1")) == "198.51.100.9"


def test_an_ipv6_address_counts_as_its_64_network():
    assert client_ip(request("2001:db8:1:2:aaaa::1")) == client_ip(request("2001:db8:1:2:ffff::9")) == "2001:db8:1:2::"
    assert client_ip(request("2001:db8:1:3::1")) != client_ip(request("2001:db8:1:2::1"))


def test_no_usable_address_is_empty():
    assert client_ip(request("")) == ""
    assert client_ip(request("not-an-address")) == ""
