"""The libcurl exchange's head parsing: pure logic on the lines libcurl hands over."""

from __future__ import annotations

from apiclient.transports.curl_exchange import CurlExchange, final_head


def test_the_final_head_waits_for_its_blank_line() -> None:
    assert final_head([b"HTTP/1.1 200 OK\r\n", b"A: 1\r\n"]) is None


def test_informational_blocks_are_passed_over() -> None:
    head = final_head([b"HTTP/1.1 100 Continue\r\n", b"\r\n", b"HTTP/1.1 201 Created\r\n",
                       b"Location: /x\r\n", b"\r\n"])  # fmt: skip
    assert head is not None
    status, headers, problem = head
    assert (status, dict(headers), problem) == ("HTTP/1.1 201 Created", {"Location": "/x"}, None)


def test_trailers_after_the_head_are_not_headers() -> None:
    head = final_head([b"HTTP/1.1 200 OK\r\n", b"\r\n", b"Checksum: abc\r\n", b"\r\n"])
    assert head is not None and "checksum" not in head[1]


def test_a_folded_line_continues_the_previous_value() -> None:
    head = final_head([b"HTTP/1.1 200 OK\r\n", b"X-Long: a\r\n", b"\t b\r\n", b"\r\n"])
    assert head is not None and head[1]["x-long"] == "a b"


def test_a_bare_cr_inside_a_value_is_a_framing_problem() -> None:
    head = final_head([b"HTTP/1.1 200 OK\r\n", b"A: b\rc\r\n", b"\r\n"])
    assert head is not None and head[2] == "a response header value contains NUL or CR"


def test_a_status_code_of_non_ascii_digits_is_not_a_final_head() -> None:
    assert final_head(["HTTP/1.1 ²00 OK\r\n".encode("latin-1"), b"\r\n"]) is None


def test_an_exchange_parses_its_head_once_and_refuses_a_malformed_one() -> None:
    exchange = CurlExchange()
    exchange.start(100)
    exchange.raw_head.extend([b"HTTP/1.1 200 OK\r\n", b"Content-Length: 1, 2\r\n", b"\r\n"])
    assert not exchange.head_done()
    assert exchange.failure is not None and "Content-Length" in str(exchange.failure)
    assert exchange.on_body(b"x") == 0  # the transfer stops at the first piece of body
    exchange.start(100)
    exchange.raw_head.extend([b"HTTP/1.1 302 Found\r\n", b"Location: /next\r\n", b"\r\n"])
    assert exchange.head_done() and exchange.code == 302 and exchange.skipping_body
