"""Files over HTTP: multipart uploads, getFile, and downloading the same bytes back."""

from __future__ import annotations

import json

import aiohttp
from emuhelpers import TOKEN, png, started_user

from emulator import Emulator
from emulator.runner import RunningEmulator


async def test_upload_get_file_download(emu: Emulator, server: RunningEmulator) -> None:
    emu.set_limits(enabled=False)
    user = started_user(emu)
    image = png(80, 60)
    pdf = b"%PDF-1.4 minimal"

    async with aiohttp.ClientSession(server.url) as http:
        form = aiohttp.FormData()
        form.add_field("chat_id", str(user["id"]))
        form.add_field("photo", "attach://picture")
        form.add_field("caption", "Pothole on Lane 3")
        form.add_field("picture", image, filename="pothole.png", content_type="image/png")
        async with http.post(f"/bot{TOKEN}/sendPhoto", data=form) as response:
            photo = (await response.json())["result"]

        # curl -F document=@form.pdf: the part named after the parameter is the file.
        form = aiohttp.FormData()
        form.add_field("chat_id", str(user["id"]))
        form.add_field("document", pdf, filename="form.pdf", content_type="application/pdf")
        async with http.post(f"/bot{TOKEN}/sendDocument", data=form) as response:
            document = (await response.json())["result"]

        file_id = photo["photo"][-1]["file_id"]
        async with http.get(f"/bot{TOKEN}/getFile", params={"file_id": file_id}) as response:
            file = (await response.json())["result"]
        async with http.get(f"/file/bot{TOKEN}/{file['file_path']}") as response:
            downloaded = await response.read()
        async with http.get(f"/control/files/{document['document']['file_id']}") as response:
            pdf_back = await response.read()
        async with http.get(f"/file/bot{TOKEN}/photos/none.jpg") as response:
            assert response.status == 404
        async with http.get(f"/file/bot1:wrong/{file['file_path']}") as response:
            assert response.status == 404

        # Sending again by file_id reuses the stored file.
        payload = {"chat_id": user["id"], "photo": file_id}
        async with http.post(f"/bot{TOKEN}/sendPhoto", json=payload) as response:
            again = (await response.json())["result"]

    assert photo["photo"][0]["width"] == 80 and photo["photo"][0]["height"] == 60
    assert photo["caption"] == "Pothole on Lane 3"
    assert document["document"]["file_name"] == "form.pdf"
    assert document["document"]["mime_type"] == "application/pdf"
    assert file["file_id"] == file_id and file["file_size"] == len(image)
    assert downloaded == image
    assert pdf_back == pdf
    assert again["photo"][0]["file_id"] == file_id
    assert emu.violations == []


async def test_bad_file_references(emu: Emulator, server: RunningEmulator) -> None:
    user = started_user(emu)
    async with aiohttp.ClientSession(server.url) as http:
        cases = {
            "unknown file_id": {"photo": "AgACnotAFile"},
            "a URL": {"photo": "https://example.com/a.jpg"},
            "not an image": {"photo": "attach://junk"},
        }
        answers = {}
        for name, fields in cases.items():
            form = aiohttp.FormData()
            form.add_field("chat_id", str(user["id"]))
            for key, value in fields.items():
                form.add_field(key, value)
            form.add_field("junk", b"not an image", filename="junk.jpg")
            async with http.post(f"/bot{TOKEN}/sendPhoto", data=form) as response:
                answers[name] = (response.status, (await response.json())["description"])
        async with http.get(f"/bot{TOKEN}/getFile", params={"file_id": "nope"}) as response:
            answers["getFile"] = (response.status, (await response.json())["description"])

    assert answers == {
        "unknown file_id": (400, "Bad Request: wrong file identifier/HTTP URL specified"),
        "a URL": (400, "Bad Request: failed to get HTTP URL content"),
        "not an image": (400, "Bad Request: IMAGE_PROCESS_FAILED"),
        "getFile": (400, "Bad Request: invalid file_id"),
    }


async def test_json_and_query_string_requests(emu: Emulator, server: RunningEmulator) -> None:
    user = started_user(emu)
    emu.set_limits(enabled=False)
    markup = {"inline_keyboard": [[{"text": "A", "callback_data": "a"}]]}
    async with aiohttp.ClientSession(server.url) as http:
        body = {"chat_id": user["id"], "text": "json", "reply_markup": markup}
        async with http.post(f"/bot{TOKEN}/sendMessage", json=body) as response:
            by_json = await response.json()
        query = {"chat_id": str(user["id"]), "text": "query", "reply_markup": json.dumps(markup)}
        async with http.get(f"/bot{TOKEN}/sendMessage", params=query) as response:
            by_query = await response.json()
        async with http.post(f"/bot{TOKEN}/sendMessage", data={"text": "form"}) as response:
            missing = await response.json()
        async with http.post(
            f"/bot{TOKEN}/sendMessage",
            data="{not json",
            headers={"Content-Type": "application/json"},
        ) as response:
            broken = await response.json()

    assert by_json["result"]["reply_markup"] == markup
    assert by_query["result"]["text"] == "query"
    assert missing["description"] == "Bad Request: chat_id is empty"
    assert broken["error_code"] == 400
