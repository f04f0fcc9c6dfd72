"""The seed's Klout example, ported to Python 3 and to today's apiclient.

Klout scored social influence from 2008 to 2018. Its v1 API took a shared secret as the
``key`` query parameter, answered JSON, looked users up five at a time, and explained each
error status in its documentation. The API is gone, so ``klout_routes()`` fakes it as that
documentation described, with the testing kit.

    python examples/klout.py shazow ada                  # against the local fake
    KLOUT_API_KEY=... python examples/klout.py --base-url https://your.klout.clone/1/ shazow
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Iterator, Sequence
from typing import Any

from apiclient import APIClient_SharedSecret, HTTPStatusError, RateLimiter, Request, Response
from apiclient.testing import FakeServer, RecordedRequest, Reply, ReplySource

#: What each error status meant, in Klout's words (the seed's status-to-message map).
KLOUT_ERRORS = {
    400: "Bad request: a required parameter is missing or malformed",
    401: "Unauthorized: missing or bad API key",
    403: "Forbidden: the key is inactive or over its rate limit",
    404: "Not found: none of these users has a Klout score",
    500: "Klout had an internal error",
    502: "Klout is down or being upgraded",
    503: "Klout is unavailable: try again later",
}

#: Klout v1 took at most five users per call.
USERS_PER_CALL = 5


class KloutError(HTTPStatusError):
    """An error status from Klout, with Klout's explanation of it."""


class KloutAPI(APIClient_SharedSecret):
    """A Klout v1 client: ``KloutAPI(api_key).score("shazow")``."""

    BASE_URL = "http://api.klout.com/1/"
    LOG_SAFE_PARAMS = frozenset({"users"})  # user names may appear in logs; the key never

    def __init__(self, api_key: str, **options: Any) -> None:
        # Klout allowed 10 calls a second per key: stay under it for every thread at once.
        options.setdefault("rate_limit_lock", RateLimiter(max_messages=10, every_seconds=1))
        super().__init__(api_key, **options)

    def _raise_for_status(self, response: Response, request: Request) -> None:
        try:
            super()._raise_for_status(response, request)
        except HTTPStatusError as error:
            explanation = KLOUT_ERRORS.get(error.status, error.message)
            raise KloutError.from_error(error, f"Klout {error.status}: {explanation}") from None

    def score(self, *users: str) -> dict[str, float]:
        """Each user's Klout score, looked up five users per call."""
        scores: dict[str, float] = {}
        for batch in _batches(users):
            body = self.call("klout.json", users=",".join(batch))
            scores.update({u["twitter_screen_name"]: u["kscore"] for u in body["users"]})
        return scores

    def show(self, *users: str) -> list[dict[str, Any]]:
        """Each user's full profile: score, class, network reach, recent change."""
        return [
            user
            for batch in _batches(users)
            for user in self.call("users/show.json", users=",".join(batch))["users"]
        ]

    def topics(self, *users: str) -> dict[str, list[str]]:
        """The topics each user is influential about."""
        found: dict[str, list[str]] = {}
        for batch in _batches(users):
            body = self.call("users/topics.json", users=",".join(batch))
            found.update({u["twitter_screen_name"]: u["topics"] for u in body["users"]})
        return found

    def influenced_by(self, user: str) -> list[str]:
        """Who influences ``user``."""
        return self._circle("soi/influenced_by.json", user, "influencers")

    def influencer_of(self, user: str) -> list[str]:
        """Whom ``user`` influences."""
        return self._circle("soi/influencer_of.json", user, "influencees")

    def _circle(self, path: str, user: str, key: str) -> list[str]:
        body = self.call(path, users=user)
        return [other["twitter_screen_name"] for other in body["users"][0][key]]


def _batches(users: Sequence[str]) -> Iterator[Sequence[str]]:
    for start in range(0, len(users), USERS_PER_CALL):
        yield users[start : start + USERS_PER_CALL]


# -- the fake Klout, built with apiclient.testing ------------------------------------------

PEOPLE: dict[str, dict[str, Any]] = {
    "shazow": {"kscore": 61.7, "topics": ["python", "open source", "urllib3"]},
    "ada": {"kscore": 88.2, "topics": ["mathematics", "engines"]},
    "grace": {"kscore": 90.4, "topics": ["compilers", "navy"]},
    "linus": {"kscore": 85.0, "topics": ["kernels", "git"]},
    "guido": {"kscore": 87.9, "topics": ["python"]},
    "barbara": {"kscore": 80.3, "topics": ["abstraction", "distributed systems"]},
}
INFLUENCE = {"shazow": ["guido", "linus"], "guido": ["ada", "grace"], "ada": ["barbara"]}


def klout_routes(api_key: str = "demo-key") -> dict[str, ReplySource]:
    """Klout v1 as documented: ``key`` required, at most five users, 404 when none known."""

    def endpoint(profile: Any) -> Any:
        def serve(request: RecordedRequest) -> Reply:
            if request.args.get("key") != api_key:
                return Reply(401, json={"status": 401, "body": {"error": "bad key"}})
            names = [n for n in request.args.get("users", "").split(",") if n]
            if not names or len(names) > USERS_PER_CALL:
                return Reply(400, json={"status": 400, "body": {"error": "1 to 5 users"}})
            known = [name for name in names if name in PEOPLE]
            if not known:
                return Reply(404, json={"status": 404, "body": {"error": "no such users"}})
            return Reply(json={"status": 200, "users": [profile(name) for name in known]})

        return serve

    def score(name: str) -> dict[str, Any]:
        return {"twitter_screen_name": name, "kscore": PEOPLE[name]["kscore"]}

    def show(name: str) -> dict[str, Any]:
        kscore = PEOPLE[name]["kscore"]
        return {
            "twitter_screen_name": name,
            "score": {"kscore": kscore, "kclass": "Specialist", "true_reach": int(kscore * 40)},
        }

    def topics(name: str) -> dict[str, Any]:
        return {"twitter_screen_name": name, "topics": PEOPLE[name]["topics"]}

    def influencers(name: str) -> dict[str, Any]:
        heroes = INFLUENCE.get(name, [])
        return {"twitter_screen_name": name, "influencers": [score(n) for n in heroes]}

    def influencees(name: str) -> dict[str, Any]:
        them = [other for other, heroes in INFLUENCE.items() if name in heroes]
        return {"twitter_screen_name": name, "influencees": [score(n) for n in them]}

    return {
        "GET /1/klout.json": endpoint(score),
        "GET /1/users/show.json": endpoint(show),
        "GET /1/users/topics.json": endpoint(topics),
        "GET /1/soi/influenced_by.json": endpoint(influencers),
        "GET /1/soi/influencer_of.json": endpoint(influencees),
    }


def fake_klout() -> FakeServer:
    """A fake Klout v1 API (not started); its base URL is ``server.url + "1/"``."""
    return FakeServer(klout_routes())


def report(api: KloutAPI, users: Sequence[str]) -> None:
    """What the command line prints: scores, topics and circles of influence."""
    for name, kscore in api.score(*users).items():
        print(f"{name:>10}  Klout score {kscore:5.1f}")
    for name, topics in api.topics(*users).items():
        print(f"{name:>10}  influential about: {', '.join(topics)}")
    first = users[0]
    print(f"{first:>10}  is influenced by: {', '.join(api.influenced_by(first)) or 'nobody'}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Klout scores (against a local fake by default)")
    parser.add_argument("users", nargs="*", default=["shazow", "ada", "grace"])
    parser.add_argument("--base-url", help="a real Klout-compatible API (key in KLOUT_API_KEY)")
    args = parser.parse_args(argv)
    try:
        if args.base_url:
            with KloutAPI(os.environ["KLOUT_API_KEY"], base_url=args.base_url) as api:
                report(api, args.users)
            return 0
        with fake_klout() as server, KloutAPI("demo-key", base_url=server.url + "1/") as api:
            report(api, args.users)
    except KloutError as error:
        print(error, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
