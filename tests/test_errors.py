"""An API's own error class, made from the typed error apiclient raised."""

from __future__ import annotations

import pickle

import pytest

from apiclient import (
    APIClient_SharedSecret,
    AsyncAPIClient_SharedSecret,
    HTTPStatusError,
    NotFound,
    Request,
    Response,
)
from apiclient.testing import FakeServer, Reply

from .async_facade import SyncFacade


class ShopError(HTTPStatusError):
    code: str | None = None


class ShopErrors:
    """The shop's error hook; the same override serves the sync and the async client."""

    def _raise_for_status(self, response: Response, request: Request) -> None:
        try:
            super()._raise_for_status(response, request)
        except HTTPStatusError as error:
            shop_error = ShopError.from_error(error, f"shop says: {error.body['error']}")
            shop_error.code = error.body["error"]
            raise shop_error from None


class Shop(ShopErrors, APIClient_SharedSecret):
    BASE_URL = "http://placeholder.invalid/"


class AsyncShop(ShopErrors, AsyncAPIClient_SharedSecret):
    BASE_URL = "http://placeholder.invalid/"


@pytest.mark.parametrize("kind", ["sync", "async"])
def test_from_error_keeps_everything_and_takes_the_new_message(
    server: FakeServer, kind: str
) -> None:
    server.add("/item", Reply(404, json={"error": "no_such_item"}))
    if kind == "sync":
        shop: Shop | SyncFacade = Shop("sk-s3cret", base_url=server.url)
    else:
        shop = SyncFacade("sk-s3cret", client_class=AsyncShop, base_url=server.url)
    with shop, pytest.raises(ShopError) as raised:
        shop.call("/item", q="x")
    error = raised.value
    assert (error.status, error.code, error.attempts) == (404, "no_such_item", 1)
    assert error.body == {"error": "no_such_item"} and error.response.status == 404
    assert str(error).startswith("shop says: no_such_item (GET http://127.0.0.1:")
    assert "sk-s3cret" not in str(error) + repr(error.args) + repr(error.request)
    again = pickle.loads(pickle.dumps(error))
    assert type(again) is ShopError and again.code == "no_such_item" and again.status == 404


def test_from_error_without_a_message_keeps_the_original_text() -> None:
    original = NotFound(Response(404, reason="Not Found"))
    assert ShopError.from_error(original).message == original.message == "404 Not Found"
