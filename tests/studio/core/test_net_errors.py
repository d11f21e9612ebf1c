"""Network failures read as sentences, never as exception class names."""

from __future__ import annotations

import httpx
import pytest

from studio.core.net_errors import describe_failure, server_refusal
from tests.servers import free_port


async def test_a_closed_port_says_nothing_answers() -> None:
    async with httpx.AsyncClient() as http:
        with pytest.raises(httpx.ConnectError) as refused:
            await http.get(f"http://127.0.0.1:{free_port()}/")
    text = describe_failure(refused.value)
    assert "nothing answers" in text and "ConnectError" not in text


@pytest.mark.parametrize(
    ("exc", "words"),
    [
        (httpx.ReadTimeout("read"), "too long"),
        (TimeoutError(), "too long"),
        (httpx.RemoteProtocolError("peer closed"), "closed the connection"),
        (ConnectionResetError(104, "Connection reset by peer"), "Connection reset by peer"),
    ],
)
def test_each_kind_of_failure_has_its_words(exc: BaseException, words: str) -> None:
    assert words in describe_failure(exc)


def test_a_refusal_shows_the_servers_own_message() -> None:
    body = '{"success": false, "error": {"code": "unauthorized", "message": "Sign in first."}}'
    assert server_refusal(401, body) == "The server refused the stream: Sign in first."
    assert server_refusal(502, "<html>Bad gateway</html>") == (
        "The server refused the stream: HTTP 502"
    )
