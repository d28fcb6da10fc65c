"""The floor under any gateway: a server that does nothing but pass a message on to Rasa.

    .venv/bin/python -m bench.latency.forwarder --rasa URL --port PORT

It takes Rasa's REST input at `/webhooks/rest/webhook` and posts the same body to Rasa over one
kept connection, answering with Rasa's answer: no database, no safety check, no encryption. It
is served as the gateway is (uvicorn, its defaults), so that `bench/latency` can show what one
more HTTP hop in front of Rasa costs on this machine, apart from the gateway's own work.
"""

from __future__ import annotations

import argparse
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

WEBHOOK = "/webhooks/rest/webhook"


def create_app(rasa_url: str) -> Starlette:
    client = httpx.AsyncClient(base_url=rasa_url, timeout=60)

    async def forward(request: Request) -> Response:
        answer = await client.post(WEBHOOK, content=await request.body(),
                                   headers={"Content-Type": "application/json"})  # fmt: skip
        return Response(answer.content, answer.status_code, media_type="application/json")

    async def health(_: Request) -> Response:
        return Response("ok")

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        yield
        await client.aclose()

    routes = [Route(WEBHOOK, forward, methods=["POST"]), Route("/health", health)]
    return Starlette(routes=routes, lifespan=lifespan)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rasa", required=True, help="Rasa's base URL")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    uvicorn.run(
        create_app(args.rasa), host="127.0.0.1", port=args.port, log_level="warning",
        access_log=False,
    )  # fmt: skip


if __name__ == "__main__":
    main()
