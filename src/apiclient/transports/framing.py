"""What a strict HTTP/1.1 client refuses in a response's head: one pure check, both engines.

The urllib3 transport runs it on ``http.client``'s parsed head, the libcurl one on the
header lines libcurl hands over.
"""

from __future__ import annotations

from collections.abc import Iterable


def framing_problem(pairs: Iterable[tuple[str, str]]) -> str | None:
    """What a strict HTTP/1.1 client must refuse in a response's head, or None.

    NUL or CR in a value, both ``Transfer-Encoding`` and ``Content-Length``, or lengths that
    are not one non-negative number (RFC 9112, section 6.3).
    """
    lengths: list[str] = []
    chunked = False
    for name, value in pairs:
        if "\x00" in value or "\r" in value:
            return "a response header value contains NUL or CR"
        lowered = name.lower()
        if lowered == "content-length":
            lengths.append(value)
        elif lowered == "transfer-encoding":
            chunked = True
    if not lengths:
        return None
    if chunked:
        return "the response has both Transfer-Encoding and Content-Length"
    given = {part.strip() for value in lengths for part in value.split(",")}
    length = given.pop() if len(given) == 1 else ""
    if not (length.isdigit() and length.isascii()):
        return "the response's Content-Length is not one non-negative number"
    return None
