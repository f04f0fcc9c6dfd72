"""Uploads and streaming downloads against the loopback server: bytes and memory checked."""

from __future__ import annotations

import gzip
import hashlib
import io
import tracemalloc
from collections.abc import Callable, Iterator
from email.parser import BytesParser
from email.policy import HTTP
from pathlib import Path

import pytest

from apiclient import MultipartBody, NotFound, ProtocolError, ResponseTooLarge
from apiclient.testing import FakeServer, RecordedRequest, Reply

from .conftest import Acme

MakeClient = Callable[..., Acme]
MB = 1024 * 1024


def parts_of(request: RecordedRequest) -> dict[str, tuple[str | None, str, bytes]]:
    """The multipart parts as a standard parser sees them: name -> (filename, type, bytes)."""
    head = f"Content-Type: {request.headers['Content-Type']}\r\n\r\n".encode()
    message = BytesParser(policy=HTTP).parsebytes(head + request.body)
    return {
        part.get_param("name", header="content-disposition"): (
            part.get_filename(),
            part.get_content_type(),
            part.get_payload(decode=True),
        )
        for part in message.iter_parts()
    }


def test_multipart_upload_arrives_byte_for_byte(
    tmp_path: Path, server: FakeServer, make_client: MakeClient
) -> None:
    report = tmp_path / "report.pdf"
    report.write_bytes(bytes(range(256)) * 40)
    server.add("POST /upload", Reply(201, json="stored"))
    api = make_client(server)
    files = {
        "report": report,
        "notes": ("notes.txt", "héllo\r\n--boundary-lookalike--", "text/plain"),
        "blob": io.BytesIO(b"\x00\x01\x02"),
        "raw": b"just bytes",
    }
    assert api.post("/upload", data={"title": "Q3", "tags": ["a", "b"]}, files=files) == "stored"
    sent = server.requests[0]
    assert sent.headers["Content-Type"].startswith("multipart/form-data; boundary=")
    assert int(sent.headers["Content-Length"]) == len(sent.body)
    parts = parts_of(sent)
    assert parts["report"] == ("report.pdf", "application/pdf", report.read_bytes())
    assert parts["notes"] == ("notes.txt", "text/plain", "héllo\r\n--boundary-lookalike--".encode())
    assert parts["blob"][2] == b"\x00\x01\x02"
    assert parts["raw"] == ("raw", "application/octet-stream", b"just bytes")
    assert parts["title"][2] == b"Q3"


def test_a_large_file_is_streamed_not_read_into_memory(
    tmp_path: Path, server: FakeServer, make_client: MakeClient
) -> None:
    big = tmp_path / "big.bin"
    with big.open("wb") as handle:
        for n in range(40):
            handle.write(bytes([n]) * MB)
    server.add("POST /upload", Reply(201, json="ok"))
    api = make_client(server)
    tracemalloc.start()
    try:
        api.post("/upload", files={"file": big})
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    sent = server.requests[0]
    assert sent.body_size > 40 * MB and peak < 8 * MB  # client and server both in chunks
    body = MultipartBody(
        None, {"file": big}, boundary=sent.headers["Content-Type"].split("=", 1)[1]
    )
    assert sent.body_sha256 == hashlib.sha256(body.to_bytes()).hexdigest()


def test_an_upload_is_resent_whole_on_a_retry(server: FakeServer, make_client: MakeClient) -> None:
    server.add("PUT /doc", [Reply(503), Reply(json="ok")])
    handle = io.BytesIO(b"x" * 100_000)
    assert make_client(server).put("/doc", files={"file": ("doc.bin", handle)}) == "ok"
    first, second = server.requests
    assert first.body == second.body and len(second.body) > 100_000


def test_a_filename_cannot_inject_headers() -> None:
    body = MultipartBody(None, {"f": ('evil"\r\nX-Injected: 1.txt', b"data")}, boundary="b")
    assert b"\r\nX-Injected" not in body.to_bytes()


def zeros(total: int, chunk: int = MB) -> Callable[[], Iterator[bytes]]:
    def generate() -> Iterator[bytes]:
        for _ in range(total // chunk):
            yield b"\0" * chunk

    return generate


def test_a_download_iterates_as_its_chunks(server: FakeServer, make_client: MakeClient) -> None:
    body = bytes(range(256)) * 4096  # 1 MiB: several chunks
    server.add("/file", Reply(body=body, headers={"Content-Type": "application/octet-stream"}))
    api = make_client(server)
    with api.stream("GET", "/file") as download:
        chunks = list(download)  # ``for chunk in download`` is ``download.iter_bytes()``
    assert len(chunks) > 1 and b"".join(chunks) == body


def test_a_200_mb_download_streams_in_bounded_memory(
    server: FakeServer, make_client: MakeClient
) -> None:
    server.add(
        "/export",
        Reply(chunks=zeros(200 * MB), headers={"Content-Type": "application/octet-stream"}),
    )
    api = make_client(server, max_body_bytes=300 * MB)
    tracemalloc.start()
    try:
        with api.stream("GET", "/export") as download:
            total = sum(len(chunk) for chunk in download.iter_bytes())
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert total == 200 * MB and peak < 16 * MB


def test_save_to_a_file_with_progress(
    tmp_path: Path, server: FakeServer, make_client: MakeClient
) -> None:
    payload = bytes(range(256)) * 8192  # 2 MiB with a known size
    server.add("/file", Reply(body=payload))
    calls: list[tuple[int, int | None]] = []
    with make_client(server).stream("GET", "/file") as download:
        written = download.save(
            tmp_path / "out.bin", progress=lambda done, total: calls.append((done, total))
        )
    assert written == len(payload) and (tmp_path / "out.bin").read_bytes() == payload
    assert calls[-1] == (len(payload), len(payload))
    assert [done for done, _ in calls] == sorted(done for done, _ in calls)


def test_a_broken_download_leaves_no_partial_file(
    tmp_path: Path, server: FakeServer, make_client: MakeClient
) -> None:
    server.add(
        "/broken", Reply(body=b"x" * 1000, headers={"Content-Length": "500000"}, close_after=True)
    )
    with pytest.raises(ProtocolError), make_client(server).stream("GET", "/broken") as download:
        download.save(tmp_path / "out.bin")
    assert list(tmp_path.iterdir()) == []


def test_stream_caps_the_decoded_size_of_a_gzip_bomb(
    server: FakeServer, make_client: MakeClient
) -> None:
    bomb = gzip.compress(b"\0" * (50 * MB))
    server.add("/bomb", Reply(body=bomb, headers={"Content-Encoding": "gzip"}))
    with (
        make_client(server, max_body_bytes=5 * MB).stream("GET", "/bomb") as download,
        pytest.raises(ResponseTooLarge),
    ):
        for _ in download.iter_bytes():
            pass


def test_stream_decodes_gzip(server: FakeServer, make_client: MakeClient) -> None:
    server.add(
        "/gz", Reply(body=gzip.compress(b"hello " * 1000), headers={"Content-Encoding": "gzip"})
    )
    with make_client(server).stream("GET", "/gz") as download:
        assert download.read() == b"hello " * 1000


def test_stream_raises_error_statuses_with_their_body(
    server: FakeServer, make_client: MakeClient
) -> None:
    server.add("/missing", Reply(404, json={"message": "gone"}))
    with pytest.raises(NotFound) as caught:
        make_client(server).stream("GET", "/missing")
    assert caught.value.body == {"message": "gone"}


def test_stream_sends_a_json_body(server: FakeServer, make_client: MakeClient) -> None:
    server.add("POST /report", lambda request: Reply(body=b"rows for " + request.body))
    with make_client(server).stream("POST", "/report", json={"year": 2026}) as download:
        assert download.read() == b'rows for {"year":2026}'
    assert server.requests[0].headers["Content-Type"] == "application/json"


def test_stream_retries_and_the_connection_is_reused(
    server: FakeServer, make_client: MakeClient
) -> None:
    server.add("/flaky", [Reply(503, body=b"busy" * 100), Reply(body=b"payload")])
    server.add("/after", Reply(json=1))
    api = make_client(server)
    with api.stream("GET", "/flaky") as download:
        assert download.read() == b"payload"
    assert api.get("/after") == 1
    assert server.connections_opened == 1


def test_leaving_a_stream_early_releases_the_connection(
    server: FakeServer, make_client: MakeClient
) -> None:
    server.add("/big", Reply(chunks=zeros(20 * MB)))
    server.add("/after", Reply(json=1))
    api = make_client(server, pool_maxsize=1)
    with api.stream("GET", "/big") as download:
        next(iter(download.iter_bytes()))
    assert api.get("/after") == 1  # the single pooled slot was given back
