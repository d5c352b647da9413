"""Getting updates: long polling, and the webhook settings that replace it."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from emulator.errors import bad_request, conflict
from emulator.methods.registry import Described, method
from emulator.params import Params
from emulator.updates import PollSuperseded
from emulator.world import BotState, WebhookSettings, World

WEBHOOK_ACTIVE = (
    "can't use getUpdates method while webhook is active; use deleteWebhook to delete the "
    "webhook first"
)
TERMINATED = (
    "terminated by other getUpdates request; make sure that only one bot instance is running"
)
_SECRET = re.compile(r"^[A-Za-z0-9_-]{1,256}$")


@method("getUpdates")
async def get_updates(world: World, bot: BotState, p: Params) -> list[dict[str, Any]]:
    queue = bot.updates
    # A new request ends any waiting one, which answers 409 as on Telegram.
    queue.supersede()
    if bot.webhook is not None:
        raise conflict(WEBHOOK_ACTIVE)
    offset = p.integer("offset") or 0
    limit = min(100, max(1, p.integer("limit") or 100))
    timeout = max(0, p.integer("timeout") or 0)
    queue.set_allowed(p.array("allowed_updates"))
    if offset:
        queue.confirm(offset)
    batch = queue.take(offset, limit)
    if not batch and timeout:
        try:
            await queue.wait(timeout)
        except PollSuperseded:
            raise conflict(WEBHOOK_ACTIVE if bot.webhook else TERMINATED) from None
        batch = queue.take(offset, limit)
    return [update.to_api() for update in batch]


@method("setWebhook")
def set_webhook(world: World, bot: BotState, p: Params) -> Described:
    url = p.string("url") or ""
    if not url:
        return _delete(world, bot, p)
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        # Telegram insists on HTTPS; a local emulator accepts plain HTTP too.
        raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
    max_connections = p.integer("max_connections") or 40
    if not 1 <= max_connections <= 100:
        raise bad_request("bad webhook: max_connections must be between 1 and 100")
    secret = p.string("secret_token")
    if secret is not None and not _SECRET.match(secret):
        raise bad_request("secret token contains unallowed characters")
    bot.updates.set_allowed(p.array("allowed_updates"))
    dropped = p.flag("drop_pending_updates")
    if dropped:
        bot.updates.drop_pending()
    settings = WebhookSettings(url, secret, max_connections, p.string("ip_address"))
    if bot.webhook is not None and bot.webhook.same_target(settings) and not dropped:
        return Described(True, "Webhook is already set")
    bot.webhook = settings
    bot.updates.supersede()
    world.webhook_changed(bot)
    return Described(True, "Webhook was set")


@method("deleteWebhook")
def delete_webhook(world: World, bot: BotState, p: Params) -> Described:
    return _delete(world, bot, p)


def _delete(world: World, bot: BotState, p: Params) -> Described:
    if p.flag("drop_pending_updates"):
        bot.updates.drop_pending()
    if bot.webhook is None:
        return Described(True, "Webhook is already deleted")
    bot.webhook = None
    world.webhook_changed(bot)
    return Described(True, "Webhook was deleted")


@method("getWebhookInfo")
def get_webhook_info(world: World, bot: BotState, p: Params) -> dict[str, Any]:
    webhook = bot.webhook
    info: dict[str, Any] = {
        "url": webhook.url if webhook else "",
        "has_custom_certificate": False,
        "pending_update_count": bot.updates.pending_count,
    }
    if webhook is None:
        return info
    info["max_connections"] = webhook.max_connections
    if webhook.ip_address:
        info["ip_address"] = webhook.ip_address
    if webhook.last_error_date is not None:
        info["last_error_date"] = webhook.last_error_date
        info["last_error_message"] = webhook.last_error_message or ""
    if bot.updates.allowed is not None:
        info["allowed_updates"] = sorted(bot.updates.allowed)
    return info
