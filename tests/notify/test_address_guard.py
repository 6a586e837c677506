"""The guard against internal addresses: an IPv6 address that carries an IPv4 one is
judged by the IPv4 address too, whatever the form."""

import ipaddress

import pytest

from tocsin.notify.base import DeliveryError
from tocsin.notify.http import is_internal, refuse_internal


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.0.0.1",
        "::1",
        "fe80::1",
        "::ffff:127.0.0.1",  # IPv4-mapped
        "::ffff:10.0.0.1",
        "::127.0.0.1",  # IPv4-compatible
        "::169.254.169.254",
        "::ffff:0:127.0.0.1",  # IPv4-translated
        "::ffff:0:192.168.1.1",
        "64:ff9b::127.0.0.1",  # NAT64, the well-known prefix
        "64:ff9b::10.0.0.1",
        "64:ff9b:1::7f00:1",  # NAT64, the local-use prefix: never public
        "64:ff9b:1::808:808",
        "2002:7f00:1::",  # 6to4
        "2002:a00:1::1",
        "2002:c0a8:101::1",
        "2001:0:4136:e378:8000:63bf:80ff:fffe",  # Teredo, to 127.0.0.1
    ],
)
def test_an_internal_address_is_refused_in_every_form(address: str) -> None:
    parsed = ipaddress.ip_address(address)
    assert is_internal(parsed)
    with pytest.raises(DeliveryError, match="refusing to send to the internal address") as raised:
        refuse_internal([parsed])
    assert raised.value.permanent


@pytest.mark.parametrize(
    "address",
    [
        "8.8.8.8",
        "2606:4700::1111",
        "::ffff:8.8.8.8",
        "::8.8.8.8",
        "::ffff:0:8.8.8.8",
        "64:ff9b::8.8.8.8",
        "2002:808:808::1",
    ],
)
def test_a_public_address_passes_in_every_form(address: str) -> None:
    assert not is_internal(ipaddress.ip_address(address))
