"""What a failed HTTP request means for a message: one that never arrived whole may be sent
again; one that went out and got no answer may have been acted on (Uncertain)."""

from __future__ import annotations

import socket
import threading

import pytest

from functions.core.adapters.transports import http_post
from functions.core.ports import TransientError, Uncertain


def test_a_request_that_went_out_and_got_no_answer_is_uncertain():
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        taken: list[socket.socket] = []
        threading.Thread(target=lambda: taken.append(server.accept()[0]), daemon=True).start()
        port = server.getsockname()[1]
        with pytest.raises(Uncertain, match="TimeoutError"):
            http_post(f"http://127.0.0.1:{port}/", b"{}", {}, timeout=0.3)
        for connection in taken:
            connection.close()


def test_a_request_that_could_not_be_sent_may_be_sent_again():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # nobody listens once it is closed
    with pytest.raises(TransientError) as raised:
        http_post(f"http://127.0.0.1:{port}/", b"{}", {}, timeout=0.3)
    assert not isinstance(raised.value, Uncertain)
    assert "ConnectionRefusedError" in str(raised.value)
