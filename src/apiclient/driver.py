"""The drivers: perform the effects a flow yields, with real I/O, until it returns.

``run`` is used by ``APIClient`` for every call and by helpers that run a flow on their own
(an OAuth token exchange); ``run_async`` is the same few lines with ``await``, used by
``AsyncAPIClient``. The flows they drive are the same objects.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Generator
from typing import Any, TypeVar

from apiclient.effects import Acquire, Call, Effect, Enter, Pause, Send, Sleep, Wait
from apiclient.ratelimit.base import Limiter
from apiclient.transports.base import AsyncTransport, Transport

T = TypeVar("T")


def run(
    flow: Generator[Effect, Any, T],
    transport: Transport,
    sleep: Callable[[float], None] = time.sleep,
) -> T:
    """Drive ``flow`` to its return value; an effect's error is thrown back into it.

    Every error goes back in, not only apiclient's: the flow's observers then see a
    ``KeyboardInterrupt`` or a cancelled task end the attempt it ended, and the flow
    re-raises what it does not handle.
    """
    value: Any = None
    error: BaseException | None = None
    try:
        while True:
            try:
                effect = flow.send(value) if error is None else flow.throw(error)
            except StopIteration as stop:
                result: T = stop.value
                return result
            value = error = None
            try:
                if type(effect) is Send:  # (the hot path, before any other dispatch)
                    value = transport.send(
                        effect.request,
                        timeout=effect.timeout,
                        max_body_bytes=effect.max_body_bytes,
                        stream=effect.stream,
                    )
                else:
                    value = _perform(effect, sleep)
            except BaseException as exc:
                error = exc
    finally:
        flow.close()


def _perform(effect: Effect, sleep: Callable[[float], None]) -> Any:
    """Any effect but ``Send``, done in this thread; what the flow is resumed with."""
    if type(effect) is Sleep:
        sleep(effect.seconds)
    elif type(effect) is Acquire:
        _acquire(effect)
    elif type(effect) is Enter:
        return effect.limiter.enter(effect.timeout)
    elif type(effect) is Pause:
        effect.limiter.pause(effect.seconds)
    elif type(effect) is Wait:
        return effect.event.wait(effect.timeout)
    elif type(effect) is Call:
        return getattr(effect.target, effect.name)(*effect.args)
    return None


async def run_async(
    flow: Generator[Effect, Any, T],
    transport: AsyncTransport,
    sleep: Callable[[float], Awaitable[Any]] | None = None,
) -> T:
    """``run`` for asyncio: the same flow, each effect awaited (a cancellation thrown in)."""
    value: Any = None
    error: BaseException | None = None
    try:
        while True:
            try:
                effect = flow.send(value) if error is None else flow.throw(error)
            except StopIteration as stop:
                result: T = stop.value
                return result
            value = error = None
            try:
                if type(effect) is Send:
                    sending = transport.send(
                        effect.request,
                        timeout=effect.timeout,
                        max_body_bytes=effect.max_body_bytes,
                        stream=effect.stream,
                    )
                    # The effect is done with: not kept alive across the round trip, where
                    # with many calls in flight the garbage collector would walk it again.
                    del effect
                    value = await sending
                else:
                    value = await _perform_async(effect, sleep)
            except BaseException as exc:
                error = exc
    finally:
        flow.close()


async def _perform_async(effect: Effect, sleep: Callable[[float], Awaitable[Any]] | None) -> Any:
    """Any effect but ``Send``, awaited; what the flow is resumed with."""
    if type(effect) is Sleep:
        await (sleep or _asyncio().sleep)(effect.seconds)
    elif type(effect) is Acquire:
        await _acquire_async(effect)
    elif type(effect) is Enter:
        return await effect.limiter.enter_async(effect.timeout)
    elif type(effect) is Pause:
        await _pause_async(effect)
    elif type(effect) is Wait:  # another task or thread is refreshing a token
        return await _asyncio().to_thread(effect.event.wait, effect.timeout)
    elif type(effect) is Call:
        method = getattr(effect.target, effect.name + "_async", None)
        if method is not None:
            return await method(*effect.args)
        return await _asyncio().to_thread(getattr(effect.target, effect.name), *effect.args)
    return None


def sync_transport(transport: Transport) -> Transport:
    """``transport``, checked to be sync: an async one given to a sync helper is a clear error.

    For the helpers that take a transport argument (OAuth token exchanges), not the hot path.
    """
    if is_coroutine_function(getattr(transport, "send", None)):
        raise TypeError(
            "this transport is async (an AsyncAPIClient's): use the *_async variant and await it"
        )
    return transport


def _asyncio() -> Any:
    """asyncio, imported when first needed: the sync client should not pay for it."""
    import asyncio

    return asyncio


async def _acquire_async(effect: Acquire) -> None:
    limiter = effect.limiter
    if isinstance(limiter, Limiter):
        await limiter.acquire_async(timeout=effect.timeout)
    else:  # a seed-style lock with a blocking acquire(): keep the event loop free
        await _asyncio().to_thread(limiter.acquire)


async def _pause_async(effect: Pause) -> None:
    pause_async = getattr(effect.limiter, "pause_async", None)
    if pause_async is not None:  # a shared limiter: Redis is asked without holding the loop
        await pause_async(effect.seconds)
    else:  # an in-memory limiter only takes its lock
        effect.limiter.pause(effect.seconds)


def _acquire(effect: Acquire) -> None:
    limiter = effect.limiter
    if effect.timeout is not None and isinstance(limiter, Limiter):
        limiter.acquire(timeout=effect.timeout)  # a grant later than the deadline raises now
    else:
        limiter.acquire()


def is_coroutine_function(function: object) -> bool:
    """Whether ``function`` is an ``async def`` (a bound method's too).

    inspect's test, without importing inspect: that costs more than this whole module.
    """
    code = getattr(function, "__code__", None)
    return bool(getattr(code, "co_flags", 0) & _CO_COROUTINE)


_CO_COROUTINE = 0x80  # (inspect.CO_COROUTINE)
