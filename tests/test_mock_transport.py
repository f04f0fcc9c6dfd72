"""The mock transports: a client's pure logic tested with no socket, sync and async alike."""

from __future__ import annotations

import asyncio
import json

import pytest

from apiclient import (
    APIClient,
    AsyncAPIClient,
    AsyncMockTransport,
    ConnectError,
    MockTransport,
    Request,
    Response,
    ResponseTooLarge,
)


class Shop(APIClient):
    BASE_URL = "https://shop.example/v2/"


class AsyncShop(AsyncAPIClient):
    BASE_URL = "https://shop.example/v2/"


def answer(request: Request) -> Response:
    """A tiny fake API: answers with the last segment of the path, as JSON."""
    body = json.dumps({"path": request.url.rsplit("/", 1)[1]}).encode()
    return Response(200, {"Content-Type": "application/json"}, body)


def test_the_sync_mock_answers_and_records() -> None:
    transport = MockTransport(answer)
    with Shop(transport=transport) as api:
        assert api.get("/products/x") == {"path": "x"}
        with api.stream("GET", "/export") as download:
            assert json.loads(download.read()) == {"path": "export"}
    assert [r.url for r in transport.requests] == [
        "https://shop.example/v2/products/x",
        "https://shop.example/v2/export",
    ]
    assert transport.closed


def test_the_async_mock_answers_records_and_streams() -> None:
    transport = AsyncMockTransport(answer)

    async def scenario() -> tuple[object, bytes]:
        async with AsyncShop(transport=transport) as api:
            product = await api.get("/products/x")
            async with api.stream("GET", "/export") as download:
                return product, await download.read()

    product, exported = asyncio.run(scenario())
    assert product == {"path": "x"} and json.loads(exported) == {"path": "export"}
    assert [r.method for r in transport.requests] == ["GET", "GET"]
    assert transport.closed


def test_the_async_mock_takes_an_async_handler_and_simulated_faults() -> None:
    failures = [ConnectError("refused")]

    async def handler(request: Request) -> Response:
        await asyncio.sleep(0)
        if failures:
            raise failures.pop()
        return answer(request)

    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    transport = AsyncMockTransport(handler)

    async def scenario() -> object:
        async with AsyncShop(transport=transport, sleep=sleep) as api:
            return await api.get("/products/y")  # the ConnectError is retried

    assert asyncio.run(scenario()) == {"path": "y"}
    assert len(transport.requests) == 2 and len(slept) == 1


@pytest.mark.parametrize("kind", ["sync", "async"])
def test_the_mocks_keep_the_body_limit(kind: str) -> None:
    def big(request: Request) -> Response:
        return Response(200, {"Content-Type": "application/octet-stream"}, b"x" * 2048)

    with pytest.raises(ResponseTooLarge):
        if kind == "sync":
            Shop(transport=MockTransport(big), max_body_bytes=1024).get("/blob")
        else:
            api = AsyncShop(transport=AsyncMockTransport(big), max_body_bytes=1024)
            asyncio.run(api.get("/blob"))
