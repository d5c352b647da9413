"""The emulator: Telegram's Bot API answered from memory, plus the people who use the bot.

``Emulator.call`` is the whole Bot API (the HTTP server only carries it); the other methods are
what simulated people do and what tests and the web page observe.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from emulator.config import EmulatorConfig
from emulator.contents import AlbumItem, Attachment
from emulator.errors import NOT_FOUND, UNAUTHORIZED, ApiError, ApiResponse, bad_request
from emulator.faults import Fault, FaultInjector, FaultKind
from emulator.methods import Described
from emulator.methods import method as registry
from emulator.params import Params, UploadedFile, decode, require
from emulator.people import People
from emulator.spec import MethodSpec, Spec
from emulator.webhook import WebhookManager
from emulator.world import BotState, World

__all__ = ["AlbumItem", "ApiResponse", "Attachment", "Emulator", "UploadedFile", "Violation"]


@dataclass(frozen=True, slots=True)
class Violation:
    """A request or result outside the documented Bot API."""

    kind: str  # unknown_method | unknown_parameter | unknown_field | result
    method: str
    detail: str

    def to_dict(self) -> dict[str, str]:
        return asdict(self)


class Emulator:
    def __init__(self, config: EmulatorConfig | None = None) -> None:
        self.config = config or EmulatorConfig()
        self.spec = Spec.load(self.config.spec_path)
        self.world = World(self.config)
        self.people = People(self.world)
        self.faults = FaultInjector()
        self.violations: list[Violation] = []
        self.unsupported: Counter[str] = Counter()
        self.webhooks = WebhookManager(self.world, self.config.webhook, self.call)
        self.world.on_webhook_change = self.webhooks.sync

    # -- the Bot API --------------------------------------------------------------------------

    async def call(
        self,
        token: str,
        method: str,
        params: Mapping[str, Any],
        files: Mapping[str, UploadedFile] | None = None,
    ) -> ApiResponse:
        """Answer one Bot API request exactly as Telegram's envelope and HTTP status would."""
        bot = self.world.bots.get(token)
        if bot is None:
            return UNAUTHORIZED.response()
        spec = self.spec.method(method)
        name = spec.name if spec is not None else method
        self.world.counters.request(name)
        response = await self._dispatch(bot, name, spec, params, files or {})
        if response.drop:
            self.world.counters.connections_dropped += 1
        else:
            self.world.counters.response(response.status)
        return response

    async def _dispatch(
        self,
        bot: BotState,
        name: str,
        spec: MethodSpec | None,
        params: Mapping[str, Any],
        files: Mapping[str, UploadedFile],
    ) -> ApiResponse:
        drop_after = False
        for fault in self.faults.fire(name):
            if fault.kind == "delay":
                await asyncio.sleep(fault.delay)
            elif fault.kind == "error":
                return fault.error().response()
            elif not fault.after:
                return ApiResponse(0, {}, drop=True)
            else:
                drop_after = True
        response = await self._answer(bot, name, spec, params, files)
        return ApiResponse(response.status, response.body, drop=True) if drop_after else response

    async def _answer(
        self,
        bot: BotState,
        name: str,
        spec: MethodSpec | None,
        params: Mapping[str, Any],
        files: Mapping[str, UploadedFile],
    ) -> ApiResponse:
        if spec is None:
            self._violate("unknown_method", name, f"{name} is not a Bot API method")
            return NOT_FOUND.response()
        entry = registry.get(name)
        if entry is None:
            self.unsupported[name] += 1
            return bad_request(f"method {name} is not supported by the emulator").response()
        try:
            decoded, unknown = decode(spec, params, files)
            for parameter in unknown:
                self._violate("unknown_parameter", name, f"{parameter} is not a parameter")
            self._check_fields(spec, decoded)
            require(spec, decoded)
            result = await entry.run(self.world, bot, decoded)
        except ApiError as error:
            return error.response()
        description = None
        if isinstance(result, Described):
            result, description = result.result, result.description
        if self.config.check_results:
            for problem in self.spec.check(spec.returns, result, f"{name}()"):
                self._violate("result", name, problem)
        body: dict[str, Any] = {"ok": True, "result": result}
        if description:
            body["description"] = description
        return ApiResponse(200, body)

    def _check_fields(self, spec: MethodSpec, params: Params) -> None:
        """Record field names of structured parameters (markup, reply_parameters, ...) that
        the spec does not define."""
        for name, value in params.values.items():
            field = spec.fields.get(name)
            if field is not None and field.is_structured and isinstance(value, dict | list):
                for problem in self.spec.unknown_fields(field.types, value):
                    self._violate("unknown_field", spec.name, f"{field.name}: {problem}")

    def _violate(self, kind: str, method: str, detail: str) -> None:
        self.violations.append(Violation(kind, method, detail))

    # -- simulated people ---------------------------------------------------------------------

    def create_user(
        self,
        first_name: str,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "zh-hans",
        *,
        started: bool = False,
    ) -> dict[str, Any]:
        """A simulated person; ``started`` when they have already written to the bot before."""
        return self.people.create_user(
            first_name, last_name, username, language_code, started=started
        )

    def create_group(
        self,
        title: str,
        member_ids: Sequence[int],
        bot_is_admin: bool = True,
        *,
        supergroup: bool = False,
        bot: str | int | None = None,
    ) -> dict[str, Any]:
        return self.people.create_group(
            title, member_ids, bot_is_admin, supergroup=supergroup, bot=bot
        )

    def user_send(
        self,
        user_id: int,
        chat_id: int | None = None,
        *,
        text: str | None = None,
        entities: list[dict[str, Any]] | None = None,
        caption: str | None = None,
        photo: Attachment | None = None,
        video: Attachment | None = None,
        voice: Attachment | None = None,
        audio: Attachment | None = None,
        document: Attachment | None = None,
        sticker: Attachment | str | None = None,
        poll: dict[str, Any] | None = None,
        location: tuple[float, float] | None = None,
        venue: dict[str, Any] | None = None,
        contact: dict[str, Any] | None = None,
        reply_to_message_id: int | None = None,
        bot: str | int | None = None,
    ) -> dict[str, Any]:
        """A person sends one message (the private chat with the bot unless ``chat_id``)."""
        return self.people.send(
            user_id,
            chat_id,
            text=text,
            entities=entities,
            caption=caption,
            photo=photo,
            video=video,
            voice=voice,
            audio=audio,
            document=document,
            sticker=sticker,
            poll=poll,
            location=location,
            venue=venue,
            contact=contact,
            reply_to_message_id=reply_to_message_id,
            bot=bot,
        )

    def user_send_album(
        self,
        user_id: int,
        items: Sequence[AlbumItem],
        chat_id: int | None = None,
        *,
        reply_to_message_id: int | None = None,
        bot: str | int | None = None,
    ) -> list[dict[str, Any]]:
        """A person sends an album: one message and one update per item, one media_group_id."""
        return self.people.send_album(
            user_id, items, chat_id, reply_to_message_id=reply_to_message_id, bot=bot
        )

    def user_press(
        self,
        user_id: int,
        chat_id: int | None,
        message_id: int,
        callback_data: str,
        *,
        bot: str | int | None = None,
    ) -> dict[str, Any]:
        return self.people.press(user_id, chat_id, message_id, callback_data, bot=bot)

    def user_vote(
        self,
        user_id: int,
        chat_id: int,
        message_id: int,
        option_ids: Sequence[int],
        *,
        bot: str | int | None = None,
    ) -> dict[str, Any]:
        """A person votes in a bot's poll (no options: retracts); the poll as it now reads."""
        from emulator.methods.polls import vote

        return vote(self.world, self.world.bot(bot), user_id, chat_id, message_id, list(option_ids))

    def user_block_bot(self, user_id: int, bot: str | int | None = None) -> None:
        self.people.block_bot(user_id, bot)

    def user_unblock_bot(self, user_id: int, bot: str | int | None = None) -> None:
        self.people.unblock_bot(user_id, bot)

    def history(self, chat_id: int, bot: str | int | None = None) -> list[dict[str, Any]]:
        return self.people.history(chat_id, bot)

    def keyboard(self, chat_id: int, bot: str | int | None = None) -> dict[str, Any]:
        return self.people.keyboard(chat_id, bot)

    def callback_answers(self, user_id: int, bot: str | int | None = None) -> list[dict[str, Any]]:
        return self.people.callback_answers(user_id, bot)

    # -- observation and control --------------------------------------------------------------

    def counters(self) -> dict[str, Any]:
        snapshot = self.world.counters.snapshot(len(self.violations))
        snapshot["unsupported_methods"] = dict(self.unsupported)
        return snapshot

    def reset_counters(self) -> None:
        self.world.counters.reset()
        self.unsupported.clear()

    def set_limits(
        self,
        *,
        enabled: bool | None = None,
        global_per_second: int | None = None,
        per_chat_per_second: int | None = None,
        per_group_per_minute: int | None = None,
    ) -> dict[str, Any]:
        limits = self.config.limits
        if enabled is not None:
            limits.enabled = enabled
        for name, value in (
            ("global_per_second", global_per_second),
            ("per_chat_per_second", per_chat_per_second),
            ("per_group_per_minute", per_group_per_minute),
        ):
            if value is not None:
                if value < 1:
                    raise ValueError(f"{name} must be at least 1")
                setattr(limits, name, value)
        for bot in self.world.bots.values():
            bot.limiter.reset()
        return asdict(limits)

    def add_fault(
        self,
        method: str,
        kind: FaultKind,
        *,
        count: int | None = None,
        every: int = 1,
        delay: float = 0.0,
        status: int = 502,
        after: bool = False,
    ) -> Fault:
        return self.faults.add(
            method, kind, count=count, every=every, delay=delay, status=status, after=after
        )

    def set_webhook_targets(self, targets: Sequence[str]) -> None:
        self.webhooks.targets = list(targets)

    def bots(self) -> list[dict[str, Any]]:
        return [
            {
                **bot.user.to_api(),
                "webhook": bot.webhook.url if bot.webhook else None,
                # For developers who call the bot's API by hand: the emulator is local.
                "token": bot.config.token,
            }
            for bot in self.world.bots.values()
        ]

    async def reset(self) -> None:
        """Back to a fresh start: no people, chats, updates, webhooks, faults or violations."""
        for bot in self.world.bots.values():
            bot.updates.supersede()
            if bot.webhook is not None:
                bot.webhook = None
                self.webhooks.sync(bot)
        await self.webhooks.aclose()
        self.world.reset()
        self.faults.clear()
        self.violations.clear()
        self.unsupported.clear()
        self.world.events.publish("reset")

    async def aclose(self) -> None:
        """Stop webhook deliveries, end waiting long polls and event streams."""
        for bot in self.world.bots.values():
            bot.updates.supersede()
        await self.webhooks.aclose()
        self.world.events.close()
