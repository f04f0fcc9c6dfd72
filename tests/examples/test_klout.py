"""The Klout example: shared-secret key, five users per call, Klout's error messages."""

from __future__ import annotations

import pickle

import pytest
from klout import KloutAPI, KloutError, klout_routes, main

from apiclient import RateLimiter
from apiclient.testing import FakeServer


@pytest.fixture
def klout(fake_server: FakeServer) -> KloutAPI:
    fake_server.add_routes(klout_routes(api_key="k-123"))
    return KloutAPI("k-123", base_url=fake_server.url + "1/")


def test_scores_are_looked_up_five_users_per_call(klout: KloutAPI, fake_server: FakeServer) -> None:
    users = ["shazow", "ada", "grace", "linus", "guido", "barbara"]
    assert klout.score(*users) == {
        "shazow": 61.7,
        "ada": 88.2,
        "grace": 90.4,
        "linus": 85.0,
        "guido": 87.9,
        "barbara": 80.3,
    }
    sent = [request.args["users"].split(",") for request in fake_server.requests]
    assert sent == [users[:5], users[5:]]
    assert all(request.args["key"] == "k-123" for request in fake_server.requests)


def test_topics_profiles_and_circles_of_influence(klout: KloutAPI) -> None:
    assert klout.topics("guido") == {"guido": ["python"]}
    assert klout.show("ada")[0]["score"]["kscore"] == 88.2
    assert klout.influenced_by("shazow") == ["guido", "linus"]
    assert klout.influencer_of("guido") == ["shazow"]


def test_an_unknown_user_raises_klouts_own_explanation(klout: KloutAPI) -> None:
    with pytest.raises(KloutError) as raised:
        klout.score("nobody")
    assert raised.value.status == 404
    assert "none of these users has a Klout score" in str(raised.value)


def test_a_bad_key_is_explained_and_never_shown(fake_server: FakeServer) -> None:
    fake_server.add_routes(klout_routes(api_key="right"))
    api = KloutAPI("wrong-secret", base_url=fake_server.url + "1/")
    with pytest.raises(KloutError) as raised:
        api.score("ada")
    error = raised.value
    assert "Unauthorized: missing or bad API key" in str(error)
    assert "wrong-secret" not in str(error) + repr(error) + repr(api)
    assert b"wrong-secret" not in pickle.dumps(error)
    assert "ada" in str(error)  # user names are logged on purpose (LOG_SAFE_PARAMS)


def test_the_client_keeps_under_klouts_ten_calls_a_second_by_default() -> None:
    limiter = KloutAPI("k").rate_limit_lock
    assert isinstance(limiter, RateLimiter)
    assert (limiter.max_messages, limiter.every_seconds) == (10, 1.0)


def test_the_command_line_runs_against_the_fake(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["shazow", "guido"]) == 0
    out = capsys.readouterr().out
    assert "shazow  Klout score  61.7" in out
    assert "is influenced by: guido, linus" in out


def test_base_url_points_the_command_line_at_another_server(
    fake_server: FakeServer, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    fake_server.add_routes(klout_routes(api_key="env-key"))
    monkeypatch.setenv("KLOUT_API_KEY", "env-key")
    assert main(["--base-url", fake_server.url + "1/", "ada"]) == 0
    assert "ada  Klout score  88.2" in capsys.readouterr().out
    assert fake_server.requests[0].args["key"] == "env-key"
