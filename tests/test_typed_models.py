"""model= end to end through a real FakeServer, on both clients, for every built-in kind."""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import pickle
from collections.abc import Callable
from typing import Any, Literal, NotRequired, TypedDict

import attrs
import msgspec
import pydantic
import pytest

from apiclient import (
    BearerToken,
    DecodeError,
    NotFound,
    Response,
    Result,
    ValidationError,
)
from apiclient.testing import FakeServer, Reply, paged

MakeClient = Callable[..., Any]
REPO = {
    "id": 7,
    "name": "urllib3",
    "owner": {"login": "shazow", "id": 1},
    "topics": ["http"],
    "state": "open",
    "pushed_at": "2026-11-30T12:00:00Z",
    "extra": "ignored",
}


class State(enum.Enum):
    OPEN = "open"
    ARCHIVED = "archived"


@dataclasses.dataclass
class Owner:
    login: str
    id: int


@dataclasses.dataclass
class Repo:
    id: int
    name: str
    owner: Owner
    state: State
    pushed_at: dt.datetime
    topics: list[str] = dataclasses.field(default_factory=list)
    description: str | None = None


class OwnerDict(TypedDict):
    login: str
    id: int


class RepoDict(TypedDict):
    id: int
    name: str
    owner: OwnerDict
    description: NotRequired[str | None]


@attrs.define
class RepoAttrs:
    id: int
    name: str
    owner: Owner
    state: Literal["open", "archived"]


class RepoPydantic(pydantic.BaseModel):
    id: int
    name: str
    owner: dict[str, Any]


class RepoStruct(msgspec.Struct):
    id: int
    name: str
    owner: dict[str, Any]


@pytest.fixture
def repos(server: FakeServer) -> FakeServer:
    server.add("GET /repo", Reply(json=REPO))
    server.add("GET /bad", Reply(json={**REPO, "owner": {"login": "shazow", "id": "one"}}))
    server.add("GET /list", Reply(json=[REPO, REPO]))
    return server


def test_a_dataclass_is_built_with_its_nested_types(
    make_client: MakeClient, repos: FakeServer
) -> None:
    repo = make_client(repos).get("/repo", model=Repo)
    assert repo == Repo(
        id=7,
        name="urllib3",
        owner=Owner("shazow", 1),
        state=State.OPEN,
        pushed_at=dt.datetime(2026, 11, 30, 12, tzinfo=dt.UTC),
        topics=["http"],
    )


@pytest.mark.parametrize("model", [RepoDict, RepoAttrs, RepoPydantic, RepoStruct])
def test_every_model_kind_decodes_the_same_body(
    make_client: MakeClient, repos: FakeServer, model: Any
) -> None:
    repo = make_client(repos).get("/repo", model=model)
    if isinstance(repo, dict):  # a TypedDict is a dict (its unknown keys kept)
        assert repo["owner"] == {"login": "shazow", "id": 1} and repo["extra"] == "ignored"
    else:
        assert isinstance(repo, model) and repo.id == 7 and repo.name == "urllib3"


@pytest.mark.parametrize(
    ("model", "where"),
    [
        (Repo, "$.owner.id"),
        (RepoDict, "$.owner.id"),
        (RepoAttrs, "$.owner.id"),
        (list[Repo], "$"),
    ],
)
def test_a_body_that_does_not_fit_names_the_field_the_model_and_the_request(
    make_client: MakeClient, repos: FakeServer, model: Any, where: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        make_client(repos).get("/bad", model=model)
    error = caught.value
    assert isinstance(error, DecodeError) and error.path == where and error.model is model
    assert error.request is not None and error.request.url.endswith("/bad")
    assert error.attempts == 1 and error.status == 200 and error.snippet.startswith('{"id": 7')
    assert where in str(error)


@pytest.mark.parametrize("model", [RepoPydantic, RepoStruct])
def test_library_models_report_the_field_path_too(
    make_client: MakeClient, server: FakeServer, model: Any
) -> None:
    server.add("GET /bad", Reply(json={"id": "seven", "name": "x", "owner": {}}))
    with pytest.raises(ValidationError) as caught:
        make_client(server).get("/bad", model=model)
    assert caught.value.path == "$.id"


def test_a_list_of_models_and_a_union(make_client: MakeClient, repos: FakeServer) -> None:
    api = make_client(repos)
    assert [r.owner.login for r in api.get("/list", model=list[Repo])] == ["shazow", "shazow"]
    either = api.get("/repo", model=Owner | Repo)  # the first that fits
    assert isinstance(either, Repo)


def test_a_secret_in_a_body_that_does_not_fit_is_scrubbed(
    make_client: MakeClient, server: FakeServer
) -> None:
    server.add("GET /me", Reply(json={"id": "tok-5ecret-123456", "login": 1}))
    with pytest.raises(ValidationError) as caught:
        make_client(server, auth=BearerToken("tok-5ecret-123456")).get("/me", model=Owner)
    assert "tok-5ecret" not in str(caught.value) + caught.value.snippet
    assert b"tok-5ecret" not in pickle.dumps(caught.value)


def test_with_response_gives_the_value_and_the_headers_and_still_raises(
    make_client: MakeClient, repos: FakeServer
) -> None:
    repos.add("GET /counted", Reply(json=[REPO], headers={"X-Total": "250"}))
    api = make_client(repos)
    value, response = api.get("/counted", model=list[Repo], with_response=True)
    assert value[0].id == 7 and response.headers["X-Total"] == "250"
    result = api.get("/counted", with_response=True)
    assert isinstance(result, Result) and result.value[0]["id"] == 7 and result.status == 200
    with pytest.raises(NotFound):
        api.get("/missing", model=Repo, with_response=True)


def test_model_response_and_raw_give_the_response(
    make_client: MakeClient, repos: FakeServer
) -> None:
    api = make_client(repos)
    assert isinstance(api.get("/repo", model=Response), Response)
    with pytest.raises(NotFound):
        api.get("/missing", model=Response)  # unlike raw=True, an error status raises
    assert api.get("/missing", raw=True).status == 404
    with pytest.raises(TypeError, match="raw=True"):
        api.get("/repo", raw=True, model=Repo)


def test_call_takes_a_model_and_keeps_a_query_parameter_named_model(
    make_client: MakeClient, server: FakeServer
) -> None:
    server.add("GET /echo", lambda request: Reply(json={"id": 1, "login": request.args["model"]}))
    api = make_client(server)
    assert api.call("/echo", model="gpt") == {"id": 1, "login": "gpt"}  # a value: a parameter
    assert api.call("/echo", params={"model": "x"}, model=Owner) == Owner("x", 1)


def test_paginate_builds_every_item(make_client: MakeClient, server: FakeServer) -> None:
    owners = [{"login": f"user{n}", "id": n} for n in range(1, 8)]
    server.add("GET /owners", paged(owners, per_page=3))
    items = list(make_client(server).paginate("/owners", model=Owner))
    assert items == [Owner(f"user{n}", n) for n in range(1, 8)]


def test_a_page_item_that_does_not_fit_names_its_page_and_index(
    make_client: MakeClient, server: FakeServer
) -> None:
    owners: list[Any] = [{"login": "a", "id": 1}] * 3 + [{"login": "b", "id": "x"}]
    server.add("GET /owners", paged(owners, per_page=3))
    with pytest.raises(ValidationError) as caught:
        list(make_client(server).paginate("/owners", model=Owner))
    assert caught.value.path == "$[0].id"
    assert caught.value.request is not None and "page=2" in caught.value.request.url


def test_a_stream_reads_json_and_json_lines_into_models(
    make_client: MakeClient, server: FakeServer
) -> None:
    lines = b'{"login": "a", "id": 1}\n\n{"login": "b", "id": 2}\r\n{"login": "c", "id": 3}'
    server.add("GET /one", Reply(json={"login": "a", "id": 1}))
    server.add("GET /lines", Reply(body=lines, headers={"Content-Type": "application/x-ndjson"}))
    api = make_client(server)
    with api.stream("GET", "/one") as one:
        assert one.json(model=Owner) == Owner("a", 1)
    with api.stream("GET", "/lines") as stream:
        assert [o.login for o in stream.iter_json(model=Owner)] == ["a", "b", "c"]


def test_response_json_takes_a_model() -> None:
    response = Response(200, {"Content-Type": "application/json"}, b'{"login": "a", "id": 1}')
    assert response.json(model=Owner) == Owner("a", 1)
    assert response.json() == {"login": "a", "id": 1}


def test_a_model_apiclient_cannot_build_is_a_clear_type_error(
    make_client: MakeClient, repos: FakeServer
) -> None:
    class Plain:
        pass

    with pytest.raises(TypeError, match="cannot decode into"):
        make_client(repos).get("/repo", model=Plain)


class RecordingDecoder:
    """A custom Decoder: records what it was asked and answers with a marker."""

    def __init__(self) -> None:
        self.asked: list[tuple[str, Any]] = []

    def decode(self, data: bytes, model: Any) -> Any:
        self.asked.append(("decode", model))
        return ("decoded", len(data))

    def convert(self, value: Any, model: Any) -> Any:
        self.asked.append(("convert", model))
        return ("converted", value)


def test_a_custom_decoder_is_given_the_bytes(make_client: MakeClient, repos: FakeServer) -> None:
    decoder = RecordingDecoder()
    api = make_client(repos, decoder=decoder)
    assert api.get("/repo", model=Repo)[0] == "decoded"
    assert decoder.asked == [("decode", Repo)]
    assert api.get("/repo") == REPO  # no model: the decoder is not asked
