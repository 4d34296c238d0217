"""Ports for what a test starts: free ones, never those `make run` listens on."""
from __future__ import annotations

import socket

_RESERVED = {2525, 8001, 8002, 8003, 9092, 9093, 54320}  # `make run` ports


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now (never one of the `make run` ports)."""
    while True:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port not in _RESERVED:
            return port
