"""Refuse destinations inside our network: private, loopback, link-local, metadata, and other non-public
addresses, at creation (the URL as written) and at send time (every address the host resolves to)."""
from __future__ import annotations

import asyncio
import ipaddress
import socket
from urllib.parse import urlsplit

METADATA = {ipaddress.ip_address("169.254.169.254"), ipaddress.ip_address("fd00:ec2::254")}
METADATA_HOSTS = {"metadata.google.internal", "metadata", "instance-data", "instance-data.ec2.internal"}


class UnsafeDestination(ValueError):
    """The URL or an address its host resolves to may not receive webhooks."""


def check_address(ip: ipaddress.IPv4Address | ipaddress.IPv6Address, *, allow_loopback: bool) -> None:
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    if ip in METADATA:
        raise UnsafeDestination(f"{ip} is a cloud metadata address")
    if ip.is_loopback:
        if allow_loopback:
            return
        raise UnsafeDestination(f"{ip} is a loopback address")
    if ip.is_link_local:
        raise UnsafeDestination(f"{ip} is a link-local address")
    if ip.is_private or ip.is_reserved or ip.is_multicast or ip.is_unspecified or not ip.is_global:
        raise UnsafeDestination(f"{ip} is a private or non-public address")


def check_url(url: str, *, allow_loopback: bool) -> tuple[str, int]:
    """Validate the URL as written: http(s), a host, no credentials, no literal internal address. Returns (host, port)."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise UnsafeDestination(f"not a valid URL: {exc}") from None
    if parts.scheme not in ("http", "https"):
        raise UnsafeDestination("the URL must be http or https")
    host = (parts.hostname or "").rstrip(".").lower()
    if not host:
        raise UnsafeDestination("the URL has no host")
    if parts.username or parts.password:
        raise UnsafeDestination("the URL may not carry credentials")
    if host in METADATA_HOSTS:
        raise UnsafeDestination(f"{host} is a cloud metadata host")
    if host == "localhost" or host.endswith(".localhost"):
        if not allow_loopback:
            raise UnsafeDestination(f"{host} is a loopback host")
    else:
        try:
            ip = ipaddress.ip_address(host)
        except ValueError:
            ip = None
        if ip is None:
            try:  # shorthand IPv4 forms the resolver accepts (127.1, 0x7f000001, 2130706433)
                ip = ipaddress.ip_address(socket.inet_aton(host))
            except OSError:
                ip = None
        if ip is not None:
            check_address(ip, allow_loopback=allow_loopback)
    return host, port or (443 if parts.scheme == "https" else 80)


async def resolve_safe(url: str, *, allow_loopback: bool) -> tuple[str, str]:
    """At send time: check the URL, resolve its host, refuse if any address is unsafe. Returns (host, first safe ip)."""
    host, port = check_url(url, allow_loopback=allow_loopback)
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise UnsafeDestination(f"cannot resolve {host}: {exc}") from None
    addresses = [ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos]
    if not addresses:
        raise UnsafeDestination(f"{host} resolves to no address")
    for ip in addresses:
        check_address(ip, allow_loopback=allow_loopback)
    return host, str(addresses[0])
