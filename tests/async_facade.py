"""Drive an AsyncAPIClient from the sync behavioural tests, so one test covers both clients.

The facade runs the client on a private event loop in a thread and turns each awaited call
back into a plain call; async iterators become plain iterators. Nothing about the client is
changed or mocked: every request goes through AsyncAPIClient, the async driver and aiohttp.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Coroutine, Iterator
from typing import Any

from apiclient import AsyncAPIClient


class AsyncAcme(AsyncAPIClient):
    BASE_URL = "http://placeholder.invalid/"


#: The client's methods that return a coroutine: the facade waits for them.
_AWAITED = frozenset(
    {"call", "_request", "request", "get", "post", "put", "patch", "delete", "head", "query"}
)


class SyncFacade:
    def __init__(
        self, *args: Any, client_class: type[AsyncAPIClient] = AsyncAcme, **kwargs: Any
    ) -> None:
        sleep = kwargs.pop("sleep", None)
        if sleep is not None:

            async def async_sleep(seconds: float) -> None:
                sleep(seconds)

            kwargs["sleep"] = async_sleep
        self.client = client_class(*args, **kwargs)  # first: if it raises, no loop is left
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()
        self._owns_loop = True

    def with_options(self, **options: Any) -> SyncFacade:
        """The derived client, driven on this facade's loop (which it does not own)."""
        derived = object.__new__(SyncFacade)
        derived.client = self.client.with_options(**options)
        derived._loop, derived._thread, derived._owns_loop = self._loop, self._thread, False
        return derived

    def run(self, coroutine: Coroutine[Any, Any, Any]) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result()

    def iterate(self, iterator: AsyncIterator[Any]) -> Iterator[Any]:
        while True:
            try:
                yield self.run(iterator.__anext__())
            except StopAsyncIteration:
                return

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self.client, name)
        if name in _AWAITED:
            return lambda *args, **kwargs: self.run(attribute(*args, **kwargs))
        return attribute

    def __setattr__(self, name: str, value: Any) -> None:
        if name.startswith("_") or name == "client":
            object.__setattr__(self, name, value)
        else:  # configuration assigned by a test belongs to the client
            setattr(self.client, name, value)

    def paginate(self, *args: Any, **kwargs: Any) -> PaginatedFacade:
        return PaginatedFacade(self, self.client.paginate(*args, **kwargs))

    def paginate_query(self, *args: Any, **kwargs: Any) -> PaginatedFacade:
        return PaginatedFacade(self, self.client.paginate_query(*args, **kwargs))

    def stream(self, *args: Any, **kwargs: Any) -> StreamFacade:
        # Entered as ``async with api.stream(...) as download`` would enter it.
        context = self.client.stream(*args, **kwargs)
        return StreamFacade(self, context, self.run(context.__aenter__()))

    def close(self) -> None:
        if self._loop.is_closed():
            return
        self.run(self.client.aclose())
        if not self._owns_loop:
            return
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join()
        self._loop.close()

    def __enter__(self) -> SyncFacade:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class PaginatedFacade:
    def __init__(self, facade: SyncFacade, paginated: Any) -> None:
        self._facade, self._paginated = facade, paginated

    def __iter__(self) -> Iterator[Any]:
        return self._facade.iterate(self._paginated.__aiter__())

    def pages(self) -> Iterator[Any]:
        return self._facade.iterate(self._paginated.pages())


class StreamFacade:
    def __init__(self, facade: SyncFacade, context: Any, streamed: Any) -> None:
        self._facade, self._context, self._streamed = facade, context, streamed
        self.status, self.headers = streamed.status, streamed.headers

    def iter_bytes(self) -> Iterator[bytes]:
        return self._facade.iterate(self._streamed.aiter_bytes())

    def __iter__(self) -> Iterator[bytes]:
        return self._facade.iterate(self._streamed.__aiter__())

    def read(self) -> bytes:
        return bytes(self._facade.run(self._streamed.read()))

    def json(self, model: Any = None) -> Any:
        return self._facade.run(self._streamed.json(model) if model else self._streamed.json())

    def iter_lines(self) -> Iterator[bytes]:
        return self._facade.iterate(self._streamed.iter_lines())

    def iter_json(self, model: Any = None) -> Iterator[Any]:
        return self._facade.iterate(self._streamed.iter_json(model))

    def save(self, target: Any, progress: Any = None) -> int:
        return int(self._facade.run(self._streamed.save(target, progress)))

    def __enter__(self) -> StreamFacade:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._facade.run(self._context.__aexit__(*exc_info))
