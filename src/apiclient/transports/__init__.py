"""Transports perform one exchange: ``send(request) -> response``. They decide nothing."""

from apiclient.transports.base import Transport
from apiclient.transports.mock import AsyncMockTransport, MockTransport

__all__ = ["AsyncMockTransport", "MockTransport", "Transport"]
