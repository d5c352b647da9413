import asyncio, json
from playwright.async_api import async_playwright
from emulator import start_emulator, EmulatorConfig, BotConfig

async def main():
    running = await start_emulator(EmulatorConfig(bots=(BotConfig("123456:T", username="cp_demo_bot"),)))
    emu = running.emulator
    res = emu.create_user("Wang", "Fang", language_code="zh-hans")
    cad = emu.create_user("Li", "Wei", language_code="en")
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
        page = await browser.new_page(locale="en-US", viewport={"width": 1200, "height": 800})
        errors = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("console", lambda m: errors.append("console: " + m.text) if m.type == "error" else None)
        await page.goto(running.url + "/")
        await page.wait_for_selector('[data-testid=pane]')
        panes = page.locator('[data-testid=pane]')
        print("panes", await panes.count())
        p0 = panes.nth(0)
        await p0.locator('[data-testid=composer-input]').fill("/start cp_LANE3")
        await p0.locator('[data-testid=send-button]').click()
        await page.wait_for_selector('[data-testid=message]')
        # bot replies with keyboard etc
        T="123456:T"
        await emu.call(T, "sendMessage", {"chat_id": res["id"], "text": '<b>Welcome</b> see <a href="https://t.me/cp_demo_bot?start=cp_X">link</a> 😀 <code>x</code>', "parse_mode": "HTML",
            "reply_markup": json.dumps({"inline_keyboard": [[{"text": "Accept", "callback_data": "acc"}, {"text": "Site", "url": "https://example.com"}]]})})
        emu.set_limits(enabled=False)
        await emu.call(T, "sendMessage", {"chat_id": res["id"], "text": "Menu", "reply_markup": json.dumps({"keyboard": [["File a case"], [{"text": "Share phone", "request_contact": True}, {"text":"Where", "request_location": True}]]})})
        await page.wait_for_selector('[data-testid=inline-button]')
        await page.wait_for_selector('[data-testid=reply-keyboard-button]')
        print("bubbles", await p0.locator('[data-testid=message]').count())
        print("html of bot msg:", await p0.locator('[data-testid=message-text]').nth(1).inner_html())
        await p0.locator('[data-testid=inline-button]').first.click()
        await asyncio.sleep(0.3)
        ups = emu.world.bot().updates.pending()
        q = [u for u in ups if u.kind == "callback_query"]
        print("callback queries:", len(q))
        await emu.call(T, "answerCallbackQuery", {"callback_query_id": q[0].payload["id"], "text": "Accepted!"})
        await page.wait_for_selector('[data-testid=toast]')
        print("toast:", await page.locator('[data-testid=toast]').first.inner_text())
        await p0.locator('[data-testid=reply-keyboard-button]', has_text="File a case").click()
        await p0.locator('[data-testid=reply-keyboard-button]', has_text="Share phone").click()
        await p0.locator('[data-testid=share-contact]').click()
        await asyncio.sleep(0.3)
        # reply to a message
        await p0.locator('[data-testid=message]').nth(1).hover()
        await p0.locator('[data-testid=reply-button]').nth(1).click()
        await p0.locator('[data-testid=composer-input]').fill("replying")
        await p0.locator('[data-testid=composer-input]').press("Enter")
        await asyncio.sleep(0.3)
        # start link click
        await p0.locator('[data-testid=start-link]').first.click()
        await asyncio.sleep(0.3)
        # photo upload
        import io
        from PIL import Image
        b = io.BytesIO(); Image.new("RGB", (60, 40), "red").save(b, "PNG")
        await p0.locator('[data-testid=photo-input]').set_input_files(files=[{"name": "p.png", "mimeType": "image/png", "buffer": b.getvalue()}])
        await asyncio.sleep(0.5)
        # location
        await p0.locator('[data-testid=attach-button]').click()
        await p0.locator('[data-testid=attach-location]').click()
        await p0.locator('[data-testid=send-location]').click()
        await asyncio.sleep(0.3)
        hist = emu.history(res["id"])
        for m in hist: print({k: v for k, v in m.items() if k in ("message_id","text","contact","photo","location","reply_to_message")} )
        print("photo imgs:", await p0.locator('[data-testid=photo]').count(), "location cards:", await p0.locator('[data-testid=location-card]').count())
        # second pane: cadre
        p1 = panes.nth(1)
        print("pane1 new user form visible?", await p1.locator('[data-testid=new-user-form]').is_visible())
        await p1.locator('[data-testid=user-select]').select_option(str(cad["id"]))
        await p1.locator('[data-testid=composer-input]').fill("hello from cadre")
        await p1.locator('[data-testid=send-button]').click()
        await asyncio.sleep(0.3)
        print("cadre hist", [m.get("text") for m in emu.history(cad["id"])])
        # language switch
        await page.locator('[data-testid=language-switch]').select_option("zh_Hans")
        await asyncio.sleep(0.3)
        print("send label zh:", await p0.locator('[data-testid=send-button]').inner_text())
        # edit & delete live
        await emu.call(T, "editMessageText", {"chat_id": res["id"], "message_id": 2, "text": "edited!"})
        await emu.call(T, "deleteMessage", {"chat_id": res["id"], "message_id": 3})
        await asyncio.sleep(0.3)
        print("edited bubble:", await p0.locator('[data-message-id="2"] [data-testid=message-text]').inner_text())
        print("deleted bubble:", await p0.locator('[data-message-id="3"]').inner_text())
        await page.screenshot(path="/tmp/page.png")
        # mobile
        m = await browser.new_page(viewport={"width": 390, "height": 800}, locale="zh-CN")
        await m.goto(running.url + "/")
        await m.wait_for_selector('[data-testid=pane-tab]')
        print("tabs:", await m.locator('[data-testid=pane-tab]').count(), "visible panes:", sum([await m.locator('[data-testid=pane]').nth(i).is_visible() for i in range(await m.locator('[data-testid=pane]').count())]))
        await m.screenshot(path="/tmp/mobile.png")
        print("errors:", errors)
        print("violations:", emu.violations)
        await browser.close()
    await running.stop()
asyncio.run(main())
