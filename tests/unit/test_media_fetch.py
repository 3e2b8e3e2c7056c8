"""Fetching a client's media_url safely: names are resolved through the test's table and
bodies come from a server on 127.0.0.1; nothing here leaves the loopback range."""

from __future__ import annotations

import ipaddress

import pytest

from functions.core.adapters.media_fetch import public_address
from functions.core.ports import MediaRefused
from tests.media_server import BIG, fetcher, media_server, url


@pytest.fixture(scope="module")
def server():
    with media_server() as running:
        yield running


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "127.0.0.2",
        "10.0.0.7",
        "172.16.5.4",
        "192.168.1.1",
        "169.254.169.254",
        "100.64.0.1",
        "0.0.0.0",
        "224.0.0.1",
        "::1",
        "fe80::1",
        "fd00::1",
        "::ffff:127.0.0.1",
    ],
)
def test_no_private_loopback_or_link_local_address_counts_as_public(address):
    assert not public_address(ipaddress.ip_address(address))


def test_a_public_address_is_public():
    assert public_address(ipaddress.ip_address("202.96.134.133"))
    assert public_address(ipaddress.ip_address("2400:3200::1"))


def test_an_image_is_fetched(server):
    fetched = fetcher().fetch(url(server, "/photo.jpg"))
    assert fetched.content_type == "image/jpeg" and fetched.data.startswith(b"\xff\xd8")


@pytest.mark.parametrize(
    "host",
    [
        "metadata.test",
        "intranet.test",
        "router.test",
        "loopback.test",
        "v6-loopback.test",
        "link-local.test",
    ],
)
def test_a_name_that_resolves_to_an_inner_address_is_refused_before_connecting(server, host):
    before = len(server.hits)
    with pytest.raises(MediaRefused) as refused:
        fetcher().fetch(f"http://{host}/photo.jpg")
    assert refused.value.code == "private_address" and host in str(refused.value)
    assert len(server.hits) == before


def test_a_redirect_to_the_metadata_address_is_refused(server):
    with pytest.raises(MediaRefused) as refused:
        fetcher().fetch(url(server, "/to/metadata.test"))
    assert refused.value.code == "private_address"
    assert server.hits[-1] == "/to/metadata.test"  # followed no further


def test_a_body_over_the_limit_is_refused_without_reading_it_all(server):
    assert BIG > 8 * 1024 * 1024
    with pytest.raises(MediaRefused) as refused:
        fetcher().fetch(url(server, "/big.jpg"))
    assert refused.value.code == "too_large" and "8 MB" in str(refused.value)


def test_an_html_page_is_refused(server):
    with pytest.raises(MediaRefused) as refused:
        fetcher().fetch(url(server, "/page.html"))
    assert refused.value.code == "not_an_image"


@pytest.mark.parametrize(
    ("address", "code"),
    [
        ("http://photos.fms.test/photo.jpg", "insecure_url"),  # http outside local mode
        ("ftp://photos.fms.test/photo.jpg", "insecure_url"),
        ("https://user:secret@photos.fms.test/photo.jpg", "insecure_url"),
        ("https://unknown.test/photo.jpg", "unresolvable"),
    ],
)
def test_only_https_urls_of_names_that_resolve_are_fetched(address, code):
    with pytest.raises(MediaRefused) as refused:
        fetcher(allow_http=False).fetch(address)
    assert refused.value.code == code


def test_a_fetch_past_its_time_limit_is_refused(server):
    ticks = iter([0.0, 0.0, 100.0, 100.0, 100.0, 100.0])
    with pytest.raises(MediaRefused) as refused:  # the clock is injected; no test waits
        fetcher(clock=lambda: next(ticks)).fetch(url(server, "/photo.jpg"))
    assert refused.value.code == "too_slow"


def test_a_post_goes_to_a_public_address_only(server):
    status, _ = fetcher().post(url(server, "/callback"), b"{}", {"X-Test": "1"})
    assert status == 200 and server.received[-1][1] == b"{}"
    with pytest.raises(MediaRefused) as refused:
        fetcher().post("http://metadata.test/callback", b"{}", {})
    assert refused.value.code == "private_address"
