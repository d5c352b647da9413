"""What the person sees when something goes wrong: a refusal's reason, or a plain apology."""

from __future__ import annotations

import logging
from typing import Any

from aiogram import Dispatcher
from aiogram.filters import ExceptionTypeFilter
from aiogram.types import CallbackQuery, ErrorEvent, Message
from redis.exceptions import LockNotOwnedError

from bot.dedupe import UpdateInHand
from bot.replies import refusal_text, tell
from services.app import Services
from services.errors import Refusal
from services.texts import Translator

log = logging.getLogger(__name__)


def _translator(data: dict[str, Any]) -> Translator | None:
    t = data.get("t")
    if isinstance(t, Translator):
        return t
    services: Services | None = data.get("services")
    if services is None:
        return None
    return Translator(services.texts, services.ctx.config.default_locale)


def _target(event: ErrorEvent) -> Message | CallbackQuery | None:
    update = event.update
    return update.message or update.callback_query


async def on_refusal(event: ErrorEvent, **data: Any) -> bool:
    assert isinstance(event.exception, Refusal)
    t, target = _translator(data), _target(event)
    if t is not None and target is not None:
        await tell(target, refusal_text(t, event.exception))
    return True


async def on_error(event: ErrorEvent, **data: Any) -> bool:
    # The exception type and update id only: the message itself may hold personal data.
    log.error(
        "handling update %s failed: %s",
        event.update.update_id,
        type(event.exception).__name__,
        exc_info=event.exception,
    )
    t, target = _translator(data), _target(event)
    if t is not None and target is not None:
        try:
            await tell(target, t("error.unexpected"))
        except Exception:
            log.exception("could not tell the user about the failure")
    return True


def _not_in_hand(event: ErrorEvent) -> bool:
    return not isinstance(event.exception, UpdateInHand)


async def on_lock_lapsed(event: ErrorEvent, **data: Any) -> bool:
    """The chat's lock lapsed while a slow update was being handled: the work is done, only
    the lock could not be given back. Nothing for the person to hear."""
    log.warning("update %s outlived its chat lock", event.update.update_id)
    return True


def register_error_handlers(dp: Dispatcher) -> None:
    dp.errors.register(on_refusal, ExceptionTypeFilter(Refusal))
    dp.errors.register(on_lock_lapsed, ExceptionTypeFilter(LockNotOwnedError))
    # An update another replica is handling is re-raised, so the webhook answers an error
    # and Telegram delivers it again later.
    dp.errors.register(on_error, _not_in_hand)
