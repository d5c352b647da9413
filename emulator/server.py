"""The emulator over HTTP: the Bot API, file downloads, the control API and the chat page."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from aiohttp import BodyPartReader, web

from emulator.control import add_control_routes
from emulator.core import Emulator
from emulator.errors import NOT_FOUND, ApiResponse, bad_request
from emulator.params import UploadedFile

EMULATOR = web.AppKey("emulator", Emulator)
STATIC = Path(__file__).resolve().parent / "static"
# Telegram accepts uploads up to 50 MB; leave room for the multipart framing.
MAX_REQUEST = 60 * 1024 * 1024


def create_app(emulator: Emulator) -> web.Application:
    app = web.Application(client_max_size=MAX_REQUEST)
    app[EMULATOR] = emulator
    app.router.add_route("*", "/bot{token}/{method}", _bot_api)
    app.router.add_get("/file/bot{token}/{path:.+}", _download)
    add_control_routes(app, emulator)
    app.router.add_get("/", _index)
    app.router.add_static("/static/", STATIC, append_version=True)

    async def shutdown(app: web.Application) -> None:
        # Long polls and event streams would otherwise hold the server open until they end.
        await emulator.aclose()

    app.on_shutdown.append(shutdown)
    return app


def _json(response: ApiResponse) -> web.Response:
    body = json.dumps(response.body, ensure_ascii=False, separators=(",", ":"))
    return web.Response(body=body.encode(), status=response.status, content_type="application/json")


async def _bot_api(request: web.Request) -> web.StreamResponse:
    emulator = request.app[EMULATOR]
    try:
        params, files = await read_params(request)
    except ValueError as error:
        return _json(bad_request(str(error)).response())
    response = await emulator.call(
        request.match_info["token"], request.match_info["method"], params, files
    )
    if response.drop:
        return _drop(request)
    return _json(response)


def _drop(request: web.Request) -> web.StreamResponse:
    """Close the connection without an answer, as a crashed proxy or server would."""
    transport = request.transport
    if transport is not None:
        transport.abort()
    # aiohttp finds the transport closed when it writes this and gives up quietly.
    return web.Response(status=499)


async def read_params(request: web.Request) -> tuple[dict[str, Any], dict[str, UploadedFile]]:
    """Parameters from the query string and the body (JSON, urlencoded or multipart)."""
    params: dict[str, Any] = dict(request.query)
    files: dict[str, UploadedFile] = {}
    if not request.body_exists:
        return params, files
    content_type = request.content_type
    if content_type == "application/json":
        try:
            body = await request.json()
        except ValueError:
            raise ValueError("can't parse JSON object") from None
        if not isinstance(body, dict):
            raise ValueError("JSON object expected")
        params.update(body)
    elif content_type == "multipart/form-data":
        reader = await request.multipart()
        while (part := await reader.next()) is not None:
            if not isinstance(part, BodyPartReader) or not part.name:
                continue
            if part.filename is not None:
                data = bytes(await part.read())
                files[part.name] = UploadedFile(
                    data, part.filename, part.headers.get("Content-Type")
                )
            else:
                params[part.name] = await part.text()
    else:
        params.update(await request.post())
    return params, files


async def _download(request: web.Request) -> web.StreamResponse:
    emulator = request.app[EMULATOR]
    stored = None
    if request.match_info["token"] in emulator.world.bots:
        stored = emulator.world.files.by_path(request.match_info["path"])
    if stored is None:
        return _json(NOT_FOUND.response())
    return web.Response(
        body=stored.data, content_type=stored.mime_type or "application/octet-stream"
    )


async def _index(request: web.Request) -> web.StreamResponse:
    return web.FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-cache"})
