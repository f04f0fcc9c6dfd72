"""What only the async client has: concurrency on one loop, cancellation, clean closing."""

from __future__ import annotations

import asyncio
import gc
import threading
import warnings
from pathlib import Path

import pytest

from apiclient import (
    AsyncAPIClient,
    AsyncAPIClient_SharedSecret,
    AsyncMockTransport,
    NotFound,
    OAuth2ClientCredentials,
    RateLimiter,
    ReadTimeout,
    Request,
    Response,
    Timeouts,
)
from apiclient.testing import FakeServer, RecordedRequest, Reply
from apiclient.testing.oauth import AuthorizationServer, RegisteredClient, WallClock
from apiclient.transports.deadlines import Deadlines


def test_200_concurrent_tasks_stay_within_the_connection_limit(server: FakeServer) -> None:
    server.add("/n", lambda r: Reply(json=int(r.args["i"]), delay=0.005))

    async def scenario() -> list[int]:
        async with AsyncAPIClient(base_url=server.url, pool_maxsize=10) as api:
            return list(await asyncio.gather(*(api.call("/n", i=i) for i in range(200))))

    assert asyncio.run(scenario()) == list(range(200))
    assert 1 <= server.connections_opened <= 10


def test_cancelling_a_task_mid_request_leaves_the_pool_healthy(server: FakeServer) -> None:
    arrived = threading.Event()

    def slow(request: RecordedRequest) -> Reply:
        arrived.set()  # the request is on the wire and the server is working on it
        return Reply(json="slow", delay=5)

    server.add("/slow", slow)
    server.add("/fast", Reply(json="fast"))

    async def scenario() -> list[str]:
        async with AsyncAPIClient(base_url=server.url, pool_maxsize=1) as api:
            task = asyncio.create_task(api.get("/slow"))
            assert await asyncio.to_thread(arrived.wait, 30)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            # The one pooled connection was given back (closed, since its reply was unread).
            return [await api.get("/fast") for _ in range(3)]

    assert asyncio.run(scenario()) == ["fast"] * 3


def test_the_total_limit_stops_a_request_and_leaves_nothing_behind(server: FakeServer) -> None:
    server.add("/hang", Reply(hang=True))
    server.add("/ok", Reply(json="ok"))
    # No read limit: only the call's total limit (kept by the loop's one deadline timer) can
    # end the first call.
    limits = Timeouts(connect=5, read=None, total=0.2)

    async def scenario() -> tuple[str, int, int, str]:
        async with AsyncAPIClient(base_url=server.url, pool_maxsize=1, retries=0) as api:
            with pytest.raises(ReadTimeout) as caught:
                await api.get("/hang", timeout=limits)  # in this task: its count is checked
            task = asyncio.current_task()
            assert task is not None
            after = await api.get("/ok")
            watched = len(api.transport._deadlines)  # type: ignore[attr-defined]
            return str(caught.value), task.cancelling(), after, watched

    message, cancelling, after, watched = asyncio.run(scenario())
    assert "total time limit" in message
    assert cancelling == 0  # the deadline's cancellation was taken back, none leaks out
    assert after == "ok" and watched == 0


def test_a_shorter_total_limit_than_the_calls_in_flight_is_kept(server: FakeServer) -> None:
    server.add("/hang", Reply(hang=True))

    async def scenario() -> str:
        loop, arrived = asyncio.get_running_loop(), asyncio.Event()

        def hang_and_tell(request: RecordedRequest) -> Reply:
            loop.call_soon_threadsafe(arrived.set)
            return Reply(hang=True)

        server.add("/hang-long", hang_and_tell)
        async with AsyncAPIClient(base_url=server.url, retries=0) as api:
            hour = Timeouts(read=None, total=3600)
            long = asyncio.create_task(api.get("/hang-long", timeout=hour))
            # At the server, so watched: the deadline timer is set an hour ahead.
            await asyncio.wait_for(arrived.wait(), timeout=30)
            short = Timeouts(connect=5, read=None, total=0.2)
            try:
                with pytest.raises(ReadTimeout) as caught:
                    await asyncio.wait_for(api.get("/hang", timeout=short), timeout=30)
            finally:
                long.cancel()
            with pytest.raises(asyncio.CancelledError):
                await long
            return str(caught.value)

    assert "total time limit" in asyncio.run(scenario())


def test_a_deadline_does_not_swallow_a_cancellation_from_outside() -> None:
    now = [0.0]
    deadlines = Deadlines(clock=lambda: now[0])
    started = asyncio.Event()
    seen: list[tuple[int, bool]] = []

    async def watched() -> None:
        task = asyncio.current_task()
        assert task is not None
        cancelling = deadlines.watch(task, 5)
        started.set()
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            seen.append((task.cancelling(), deadlines.passed(task, cancelling)))
            raise
        finally:
            deadlines.release(task)

    async def scenario() -> None:
        task = asyncio.create_task(watched())
        await started.wait()  # it is watched and waiting
        task.cancel()  # the caller cancels it, and in the same step its deadline passes
        now[0] = 5.0
        deadlines._expire()  # what the timer does when it fires
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(scenario())
    # Both cancelled it (the deadline and the caller): the caller's cancellation goes on.
    assert seen == [(2, False)] and len(deadlines) == 0


def test_a_100_task_token_refresh_is_single_flight(tls_server: FakeServer, ca_file: Path) -> None:
    wall = WallClock()
    oauth = AuthorizationServer(tls_server, [RegisteredClient("service", "svc-s3cret")], wall)
    auth = OAuth2ClientCredentials(oauth.token_url, "service", "svc-s3cret", clock=wall)

    async def scenario() -> list[str]:
        async with AsyncAPIClient(base_url=tls_server.url, ca_certs=str(ca_file), auth=auth) as api:
            results = await asyncio.gather(*(api.get("/api/me") for _ in range(100)))
            return [r["client"] for r in results]

    assert asyncio.run(scenario()) == ["service"] * 100
    assert oauth.store.token_requests == ["client_credentials"]


def test_an_async_rate_limit_is_shared_by_tasks(server: FakeServer) -> None:
    server.add("/x", Reply(json=1))

    async def scenario() -> int:
        limiter = RateLimiter(5, 3600)
        async with AsyncAPIClient(base_url=server.url, rate_limit_lock=limiter, timeout=1) as api:
            outcomes = await asyncio.gather(
                *(api.get("/x") for _ in range(8)), return_exceptions=True
            )
        return sum(1 for o in outcomes if o == 1)

    assert asyncio.run(scenario()) == 5  # the 6th would wait an hour: past the deadline
    assert len(server.requests) == 5


def test_one_client_used_from_two_event_loops_never_hits_a_closed_loop(server: FakeServer) -> None:
    server.add("/x", Reply(json=1))

    class Acme(AsyncAPIClient):
        BASE_URL = server.url

    api = Acme()

    async def use_and_close() -> int:
        result: int = await api.get("/x")
        await api.aclose()  # each loop closes what it opened
        return result

    assert asyncio.run(use_and_close()) == 1
    assert asyncio.run(use_and_close()) == 1  # a fresh session, not one bound to a dead loop


def test_a_loop_that_forgets_to_close_does_not_break_the_next(server: FakeServer) -> None:
    server.add("/x", Reply(json=1))
    api = AsyncAPIClient(base_url=server.url)

    async def use() -> int:
        result: int = await api.get("/x")
        return result

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)  # aiohttp reports the forgotten session
        assert asyncio.run(use()) == 1
        assert asyncio.run(use()) == 1  # no RuntimeError("Event loop is closed")
        api = None  # drop the last reference: the forgotten session is collected here
        gc.collect()


@pytest.mark.parametrize("closing", ["async with", "aclose", "close"])
def test_the_client_closes_its_connections(server: FakeServer, closing: str) -> None:
    server.add("/x", Reply(json=1))

    async def scenario() -> None:
        if closing == "async with":
            async with AsyncAPIClient(base_url=server.url) as api:
                await api.get("/x")
            return
        api = AsyncAPIClient(base_url=server.url)
        await api.get("/x")
        await (api.aclose() if closing == "aclose" else api.close())  # close: the sync name

    asyncio.run(scenario())
    assert server.wait_closed(1)


def test_close_runs_a_subclass_s_own_aclose(server: FakeServer) -> None:
    closed: list[str] = []

    class WithExtras(AsyncAPIClient):
        async def aclose(self) -> None:
            closed.append("extras")  # e.g. a second session the library keeps
            await super().aclose()

    async def scenario() -> None:
        api = WithExtras(base_url=server.url)
        await api.close()

    asyncio.run(scenario())
    assert closed == ["extras"]


def test_a_bad_request_raises_when_awaited_not_when_called(server: FakeServer) -> None:
    server.add("/x", Reply(json=1))

    async def scenario() -> list[object]:
        async with AsyncAPIClient(base_url=server.url) as api:
            bad = api.get("/x", headers={"X-Note": "a\r\nX-Injected: 1"})  # nothing raised yet
            good = api.get("/x")
            return await asyncio.gather(bad, good, return_exceptions=True)

    bad_result, good_result = asyncio.run(scenario())
    assert isinstance(bad_result, ValueError) and good_result == 1
    assert len(server.requests) == 1  # the bad request never went out


def test_a_stream_is_entered_with_async_with_or_awaited(server: FakeServer) -> None:
    body = bytes(range(256)) * 1024
    server.add("/file", Reply(body=body, headers={"Content-Type": "application/octet-stream"}))

    async def scenario() -> tuple[bytes, bytes, bytes]:
        async with AsyncAPIClient(base_url=server.url) as api:
            async with api.stream("GET", "/file") as download:  # the sync spelling + async
                entered = b"".join([chunk async for chunk in download.aiter_bytes()])
            awaited = await api.stream("GET", "/file")
            try:
                read = await awaited.read()
            finally:
                await awaited.aclose()
            async with await api.stream("GET", "/file") as download:  # also fine
                both = await download.read()
            return entered, read, both

    assert asyncio.run(scenario()) == (body, body, body)


@pytest.mark.parametrize("spelling", ["aiter_bytes", "iter_bytes", "itself"])
def test_a_stream_s_chunks_come_by_any_of_its_spellings(server: FakeServer, spelling: str) -> None:
    body = bytes(range(256)) * 4096  # 1 MiB: several chunks
    server.add("/file", Reply(body=body, headers={"Content-Type": "application/octet-stream"}))

    async def read() -> list[bytes]:
        async with (
            AsyncAPIClient(base_url=server.url) as api,
            api.stream("GET", "/file") as download,
        ):
            chunks = {
                "aiter_bytes": download.aiter_bytes(),
                "iter_bytes": download.iter_bytes(),  # the sync client's name
                "itself": download,
            }[spelling]
            return [chunk async for chunk in chunks]

    chunks = asyncio.run(read())
    assert len(chunks) > 1 and b"".join(chunks) == body


@pytest.mark.parametrize("releasing", ["block end", "aclose", "close"])
def test_a_stream_left_unread_is_released(server: FakeServer, releasing: str) -> None:
    server.add("/file", Reply(body=b"x" * 1_000_000))
    server.add("/next", Reply(json="still served"))

    async def scenario() -> object:
        async with AsyncAPIClient(base_url=server.url, pool_maxsize=1) as api:
            if releasing == "block end":
                async with api.stream("GET", "/file") as download:
                    assert download.status == 200
            else:
                download = await api.stream("GET", "/file")
                assert download.status == 200
                await (download.aclose() if releasing == "aclose" else download.close())
            # With one connection, a body still held would leave this call waiting for it.
            return await asyncio.wait_for(api.get("/next"), timeout=30)

    assert asyncio.run(scenario()) == "still served"


def test_a_bad_stream_request_raises_when_awaited_not_when_called(server: FakeServer) -> None:
    async def scenario() -> None:
        async with AsyncAPIClient(base_url=server.url) as api:
            opening = api.stream("GET", "/x", headers={"X-Note": "a\r\nX-Injected: 1"})
            with pytest.raises(ValueError, match="X-Note"):
                async with opening:
                    pass  # pragma: no cover - never entered

    asyncio.run(scenario())
    assert server.requests == []


class AsyncKeyed(AsyncAPIClient_SharedSecret):
    API_KEY_PARAM = "api_key"


def test_the_shared_secret_client_has_an_async_twin(server: FakeServer) -> None:
    server.add("/item", Reply(json="ok"))
    server.add("/missing", Reply(404, json={"error": "no"}))

    async def scenario() -> tuple[object, NotFound]:
        async with AsyncKeyed("k3y-s3cret", base_url=server.url) as api:
            found = await api.call("/item", page=2)
            with pytest.raises(NotFound) as caught:
                await api.get("/missing")
            return found, caught.value

    found, error = asyncio.run(scenario())
    assert found == "ok"
    assert [r.args for r in server.requests] == [
        {"api_key": "k3y-s3cret", "page": "2"},
        {"api_key": "k3y-s3cret"},
    ]
    assert "k3y-s3cret" not in f"{error} {error.request!r} {error.response.url}"
    keyed = AsyncKeyed("k3y-s3cret", base_url=server.url)
    assert keyed.api_key == "k3y-s3cret" and "k3y-s3cret" not in repr(keyed)
    with pytest.raises(TypeError, match="api_key, not auth="):
        AsyncKeyed("k3y-s3cret", auth=object())


def answer_204(request: Request) -> Response:
    return Response(204)


def test_an_async_def_seed_hook_is_refused_when_the_class_is_defined() -> None:
    with pytest.raises(TypeError, match=r"YAMLClient\._handle_response must be a plain method"):

        class YAMLClient(AsyncAPIClient):
            async def _handle_response(self, response: object) -> object:  # pragma: no cover
                return response

    class Plain(AsyncAPIClient):  # plain hooks (and async helpers of one's own) are fine
        def _handle_response(self, response: Response) -> object:
            return response.status

        async def user(self, user_id: int) -> object:
            return await self.get(f"/users/{user_id}")

    api = Plain(base_url="https://api.example/", transport=AsyncMockTransport(answer_204))
    assert asyncio.run(api.user(1)) == 204  # the plain hook made the value
