"""Observers: what a call does, told as it happens (for traces, metrics and logs).

    class Timing:
        def call_started(self, request): ...
        def attempt_started(self, request): ...
        def attempt_ended(self, request, response, error, duration): ...
        def retry_scheduled(self, delay, cause): ...
        def waited(self, kind, seconds): ...
        def call_ended(self, request, response, error, duration): ...

    api = AcmeClient(observers=[Timing()])

Every method is optional (``ObserverBase`` has them all, doing nothing). For each call the
loop tells, in order: ``call_started`` once; for each attempt (each retry and each
redirect hop) ``attempt_started``, then ``attempt_ended`` with the response or the error
and the seconds it took; ``retry_scheduled`` before a retry's wait, ``waited`` after any
wait (``kind`` is ``"limiter"``, ``"concurrency"``, ``"server"`` for a pause the server
asked for, ``"backoff"`` before a retry, or ``"refresh"`` for another caller's token
refresh); and ``call_ended`` once. A started attempt ends exactly once and a started call
too, whatever happens: an error, a timeout, a task cancelled, an observer raising. An
observer that raises stops the call, as an ``on_request`` hook that raises always has.

Calls happen in the caller's thread (or asyncio task), so an observer can keep a call's
state in a ``contextvars.ContextVar``. An OAuth token request sent while an attempt is
being authorised is observed as a call of its own, nested in that attempt: its request
is a ``TokenRequest`` (a ``Request``). ``on_request`` / ``on_response`` hooks are an
observer too, which sees only the client's own requests.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, Protocol, runtime_checkable

from apiclient.models import Request, Response


class TokenRequest(Request):
    """A request an auth object sent for a token (an OAuth token or handshake endpoint)."""

    __slots__ = ()

    @classmethod
    def of(cls, request: Request) -> TokenRequest:
        """``request`` marked as a token request (the same headers object)."""
        return (
            request
            if isinstance(request, TokenRequest)
            else cls(request.method, request.url, request.headers, request.body)
        )


@runtime_checkable
class Observer(Protocol):
    """What ``observers=[...]`` accepts: any of these methods (see the module docstring)."""

    def call_started(self, request: Request) -> None:
        """A call begins; ``request`` is its first request, as built (no credentials)."""

    def attempt_started(self, request: Request) -> None:
        """An attempt (a retry, a redirect hop) is about to be authorised and sent."""

    def attempt_ended(
        self,
        request: Request,
        response: Response | None,
        error: BaseException | None,
        duration: float,
    ) -> None:
        """The attempt got ``response`` (any status) or failed with ``error``."""

    def retry_scheduled(self, delay: float, cause: object) -> None:
        """The call will try again in ``delay`` seconds because of ``cause``.

        ``cause`` is the status (an ``int``) or the error's class name.
        """

    def waited(self, kind: str, seconds: float) -> None:
        """The call waited ``seconds`` for ``kind``: limiter, concurrency, server, backoff."""

    def call_ended(
        self,
        request: Request,
        response: Response | None,
        error: BaseException | None,
        duration: float,
    ) -> None:
        """The call is over: its final response, or the error it raises."""


class ObserverBase:
    """An ``Observer`` that does nothing: subclass it and override what you need."""

    def call_started(self, request: Request) -> None:
        """A call begins."""

    def attempt_started(self, request: Request) -> None:
        """An attempt begins."""

    def attempt_ended(
        self,
        request: Request,
        response: Response | None,
        error: BaseException | None,
        duration: float,
    ) -> None:
        """An attempt ended."""

    def retry_scheduled(self, delay: float, cause: object) -> None:
        """A retry is coming."""

    def waited(self, kind: str, seconds: float) -> None:
        """The call waited."""

    def call_ended(
        self,
        request: Request,
        response: Response | None,
        error: BaseException | None,
        duration: float,
    ) -> None:
        """A call ended."""


class Hooks(ObserverBase):
    """The ``on_request`` / ``on_response`` hooks, as an observer of the client's requests.

    ``on_request(request)`` runs as each attempt starts, before credentials are added (it
    may change ``request.headers``); ``on_response(request, response)`` when it gets one.
    Token requests are not shown to them.
    """

    def __init__(
        self,
        on_request: Sequence[Callable[[Request], object]],
        on_response: Sequence[Callable[[Request, Response], object]],
    ) -> None:
        self.on_request = tuple(on_request)
        self.on_response = tuple(on_response)

    def attempt_started(self, request: Request) -> None:
        """Run the ``on_request`` hooks."""
        if not isinstance(request, TokenRequest):
            for hook in self.on_request:
                hook(request)

    def attempt_ended(
        self,
        request: Request,
        response: Response | None,
        error: BaseException | None,
        duration: float,
    ) -> None:
        """Run the ``on_response`` hooks, when there is a response."""
        if response is not None and not isinstance(request, TokenRequest):
            for hook in self.on_response:
                hook(request, response)


class Outcome:
    """What a ``with`` block observing one attempt or call learns: its response, if any."""

    __slots__ = ("response",)

    def __init__(self) -> None:
        self.response: Response | None = None


class Observers:
    """A client's observers, told together; each start is matched by exactly one end."""

    __slots__ = ("_clock", "_observers")

    def __init__(self, observers: Sequence[Any], clock: Callable[[], float]) -> None:
        self._observers = tuple(observers)
        self._clock = clock

    def __bool__(self) -> bool:
        return bool(self._observers)

    @contextmanager
    def call(self, request: Request) -> Iterator[Outcome]:
        """Observe a call: ``call_started`` now, ``call_ended`` when the block is left."""
        with self._span("call_started", "call_ended", request) as outcome:
            yield outcome

    @contextmanager
    def attempt(self, request: Request) -> Iterator[Outcome]:
        """Observe an attempt: ``attempt_started`` now, ``attempt_ended`` when left."""
        with self._span("attempt_started", "attempt_ended", request) as outcome:
            yield outcome

    def retry_scheduled(self, delay: float, cause: object) -> None:
        """Tell every observer a retry is coming."""
        for observer in self._observers:
            method = getattr(observer, "retry_scheduled", None)
            if method is not None:
                method(delay, cause)

    def waited(self, kind: str, seconds: float) -> None:
        """Tell every observer the call waited."""
        for observer in self._observers:
            method = getattr(observer, "waited", None)
            if method is not None:
                method(kind, seconds)

    @contextmanager
    def _span(self, start: str, end: str, request: Request) -> Iterator[Outcome]:
        """``start`` to each observer; ``end`` to each that was started, however it goes."""
        began, started, outcome = self._clock(), [], Outcome()
        error: BaseException | None = None
        try:
            for observer in self._observers:
                method = getattr(observer, start, None)
                started.append(observer)  # (an observer that raises in start still ends)
                if method is not None:
                    method(request)
            yield outcome
        except BaseException as exc:
            error = exc
            raise
        finally:
            self._end(end, started, request, outcome.response, error, self._clock() - began)

    @staticmethod
    def _end(
        end: str,
        started: list[Any],
        request: Request,
        response: Response | None,
        error: BaseException | None,
        duration: float,
    ) -> None:
        failure: BaseException | None = None
        for observer in started:
            method = getattr(observer, end, None)
            if method is None:
                continue
            try:
                method(request, response, error, duration)
            except BaseException as exc:  # every started observer ends, then the first raises
                failure = failure or exc
        if failure is not None and error is None:
            raise failure


__all__ = ["Hooks", "Observer", "ObserverBase", "Observers", "TokenRequest"]
