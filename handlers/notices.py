"""Policy notices: staff compose them (/notice), residents read them (/notices, "Read"),
and a contact point's Telegram group is linked to receive them (/link in the group)."""

from __future__ import annotations

import contextlib
from datetime import datetime
from typing import Any

from aiogram import F, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import (
    IS_NOT_MEMBER,
    ChatMemberUpdatedFilter,
    Command,
    CommandObject,
    StateFilter,
)
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, ChatMemberUpdated, InlineKeyboardMarkup, Message

from bot.callbacks import Act
from bot.filters import HasRole, MenuButton, Registered
from bot.keyboards import buttons, inline
from bot.notice_states import NoticeCompose
from bot.replies import shown
from handlers.common import LANGUAGE_NAMES
from handlers.flow import cancel_button, pager
from locales import LOCALES
from models.enums import Role
from services.app import Services
from services.errors import Invalid, NotAllowed
from services.notices import (
    CANCELLED,
    SCHEDULED,
    SENDING,
    SENT,
    Audience,
    NoticeDraft,
    NoticeLine,
    NoticeMedia,
)
from services.outbox import Button
from services.people import Actor
from services.texts import Translator, cut, esc

router = Router(name="notices")

# Anyone registered, in private: /notice (the use case refuses residents), /notices, "Read".
readers = Router(name="notices_readers")
readers.message.filter(F.chat.type == "private", Registered())
readers.callback_query.filter(Registered())

# The compose wizard and a notice's card: cadres and administrators, in private.
compose = Router(name="notices_compose")
compose.message.filter(F.chat.type == "private", HasRole(Role.CADRE, Role.ADMIN))
compose.callback_query.filter(HasRole(Role.CADRE, Role.ADMIN))

# Groups: /link and /unlink, and the bot being removed.
groups = Router(name="notices_groups")
groups.message.filter(F.chat.type.in_({"group", "supergroup"}))
groups.my_chat_member.filter(F.chat.type.in_({"group", "supergroup"}))

router.include_routers(readers, compose, groups)

PAGE = 8
STATUS = {
    SCHEDULED: "notices.status_scheduled",
    SENDING: "notices.status_sending",
    SENT: "notices.status_sent",
    CANCELLED: "notices.status_cancelled",
}


def _back(t: Translator, action: str) -> Button:
    return Button(t("btn.back"), action)


def _names(t: Translator, items: list[str]) -> str:
    return ("、" if t.locale == "zh_Hans" else ", ").join(items)


# ---- composing -------------------------------------------------------------------------


@readers.message(Command("notice"))
async def new_notice(
    message: Message, actor: Actor, t: Translator, services: Services, state: FSMContext
) -> None:
    await services.notices.compose_scope(actor.uid)  # refuses residents, and cadres without points
    await state.set_state(NoticeCompose.text)
    await state.set_data({"texts": {}, "media": None, "fallback": actor.locale})
    await message.answer(
        t("notices.ask_text", language=LANGUAGE_NAMES[actor.locale]),
        reply_markup=buttons([cancel_button(t)]),
    )


def _content(message: Message) -> tuple[str, NoticeMedia | None]:
    """The notice's words as HTML (formatting kept) and its photo or document, if any."""
    media = None
    where = (message.chat.id, message.message_id)
    if message.photo:
        media = NoticeMedia("photo", message.photo[-1].file_id, *where)
    elif message.document:
        media = NoticeMedia("document", message.document.file_id, *where)
    elif message.text is None:
        raise Invalid("notices.send_text")
    return message.html_text, media


@compose.message(NoticeCompose.text, ~F.text.startswith("/"))
async def text_given(
    message: Message, actor: Actor, t: Translator, services: Services, state: FSMContext
) -> None:
    html_text, media = _content(message)
    services.notices.check_text(html_text, with_media=media is not None)
    data = await state.get_data()
    texts = {**data["texts"], data["fallback"]: html_text}
    if media is not None:  # the other languages become captions: hold them to its limit
        for body in texts.values():
            services.notices.check_text(body, with_media=True)
    await state.update_data(texts=texts, media=media.to_json() if media else None)
    await _show_variants(message, t, state)


async def _variants_view(
    t: Translator, state: FSMContext
) -> tuple[str, InlineKeyboardMarkup | None]:
    await state.set_state(NoticeCompose.variants)
    data = await state.get_data()
    have = [loc for loc in LOCALES if loc in data["texts"]]
    rows = []
    for i, loc in enumerate(LOCALES):
        if loc == data["fallback"]:
            continue
        key = "notices.btn_replace_variant" if loc in have else "notices.btn_add_variant"
        rows.append([Button(t(key, language=LANGUAGE_NAMES[loc]), "nc_variant", i)])
    rows.append([Button(t("notices.btn_next"), "nc_audience")])
    rows.append([_back(t, "nc_retext"), cancel_button(t)])
    text = t(
        "notices.ask_variants",
        languages=_names(t, [LANGUAGE_NAMES[loc] for loc in have]),
        fallback=LANGUAGE_NAMES[data["fallback"]],
    )
    return text, buttons(*rows)


async def _show_variants(message: Message, t: Translator, state: FSMContext) -> None:
    text, markup = await _variants_view(t, state)
    await message.answer(text, reply_markup=markup)


@compose.callback_query(NoticeCompose.variants, Act.filter(F.do == "nc_retext"))
@compose.callback_query(NoticeCompose.preview, Act.filter(F.do == "nc_retext"))
async def retext(query: CallbackQuery, t: Translator, state: FSMContext) -> None:
    data = await state.get_data()
    await state.set_state(NoticeCompose.text)
    await query.answer()
    await shown(query).edit_text(
        t("notices.ask_text", language=LANGUAGE_NAMES[data["fallback"]]),
        reply_markup=buttons([cancel_button(t)]),
    )


@compose.callback_query(NoticeCompose.variants, Act.filter(F.do == "nc_variant"))
async def variant_chosen(
    query: CallbackQuery, callback_data: Act, t: Translator, state: FSMContext
) -> None:
    data = await state.get_data()
    if not 0 <= callback_data.ref < len(LOCALES) or LOCALES[callback_data.ref] == data["fallback"]:
        raise Invalid("button.stale")
    locale = LOCALES[callback_data.ref]
    await state.set_state(NoticeCompose.variant)
    await state.update_data(variant=locale)
    await query.answer()
    await shown(query).edit_text(
        t("notices.ask_variant", language=LANGUAGE_NAMES[locale]),
        reply_markup=buttons([_back(t, "nc_variants"), cancel_button(t)]),
    )


@compose.callback_query(NoticeCompose.variant, Act.filter(F.do == "nc_variants"))
@compose.callback_query(NoticeCompose.audience, Act.filter(F.do == "nc_variants"))
@compose.callback_query(NoticeCompose.points, Act.filter(F.do == "nc_variants"))
async def back_to_variants(query: CallbackQuery, t: Translator, state: FSMContext) -> None:
    text, markup = await _variants_view(t, state)
    await query.answer()
    await shown(query).edit_text(text, reply_markup=markup)


@compose.message(NoticeCompose.variant, ~F.text.startswith("/"))
async def variant_given(
    message: Message, t: Translator, services: Services, state: FSMContext
) -> None:
    data = await state.get_data()
    if message.text is None:
        raise Invalid("notices.variant_text_only")
    services.notices.check_text(message.html_text, with_media=data["media"] is not None)
    await state.update_data(texts={**data["texts"], data["variant"]: message.html_text})
    await _show_variants(message, t, state)


@compose.message(
    StateFilter(
        NoticeCompose.variants,
        NoticeCompose.audience,
        NoticeCompose.regions,
        NoticeCompose.points,
        NoticeCompose.when,
        NoticeCompose.preview,
    ),
    ~F.text.startswith("/"),
)
async def use_the_buttons(message: Message, t: Translator) -> None:
    """A message where a button is expected (the second photo of an album, say)."""
    await message.answer(t("notices.use_buttons"))


# ---- the audience ----------------------------------------------------------------------


@compose.callback_query(NoticeCompose.variants, Act.filter(F.do == "nc_audience"))
@compose.callback_query(NoticeCompose.regions, Act.filter(F.do == "nc_audience"))
@compose.callback_query(NoticeCompose.points, Act.filter(F.do == "nc_audience"))
@compose.callback_query(NoticeCompose.when, Act.filter(F.do == "nc_audience"))
@compose.callback_query(NoticeCompose.preview, Act.filter(F.do == "nc_audience"))
async def audience(
    query: CallbackQuery, actor: Actor, t: Translator, services: Services, state: FSMContext
) -> None:
    scope = await services.notices.compose_scope(actor.uid)
    await query.answer()
    if not scope.is_admin:  # a cadre ticks among their own points
        await state.update_data(picked=[p.id for p in scope.points], page=0)
        await _show_points(query, t, services, state, actor)
        return
    await state.set_state(NoticeCompose.audience)
    rows = [
        [Button(t("notices.btn_everyone"), "nc_all")],
        [Button(t("notices.btn_by_region"), "nc_regions")] if scope.regions else [],
        [Button(t("notices.btn_by_point"), "nc_points")],
        [_back(t, "nc_variants"), cancel_button(t)],
    ]
    await shown(query).edit_text(t("notices.ask_audience"), reply_markup=buttons(*rows))


@compose.callback_query(NoticeCompose.audience, Act.filter(F.do == "nc_all"))
async def everyone(
    query: CallbackQuery, actor: Actor, t: Translator, services: Services, state: FSMContext
) -> None:
    await state.update_data(audience=Audience("all").to_json())
    await _ask_when(query, actor, t, services, state)


@compose.callback_query(NoticeCompose.audience, Act.filter(F.do == "nc_regions"))
async def regions(
    query: CallbackQuery, actor: Actor, t: Translator, services: Services, state: FSMContext
) -> None:
    scope = await services.notices.compose_scope(actor.uid)
    await state.update_data(regions=scope.regions, picked=[])
    await query.answer()
    await _show_regions(query, t, state)


async def _show_regions(query: CallbackQuery, t: Translator, state: FSMContext) -> None:
    await state.set_state(NoticeCompose.regions)
    data = await state.get_data()
    rows = [
        [Button(("✅ " if i in data["picked"] else "▫️ ") + cut(name, 40), "nc_region", i)]
        for i, name in enumerate(data["regions"])
    ]
    rows.append([Button(t("notices.btn_next"), "nc_regions_done")])
    rows.append([_back(t, "nc_audience"), cancel_button(t)])
    with contextlib.suppress(TelegramBadRequest):  # the same ticks again: nothing to redraw
        await shown(query).edit_text(t("notices.ask_regions"), reply_markup=buttons(*rows))


@compose.callback_query(NoticeCompose.regions, Act.filter(F.do == "nc_region"))
async def region_ticked(
    query: CallbackQuery, callback_data: Act, t: Translator, state: FSMContext
) -> None:
    data = await state.get_data()
    if not 0 <= callback_data.ref < len(data["regions"]):
        raise Invalid("button.stale")
    picked = set(data["picked"]) ^ {callback_data.ref}
    await state.update_data(picked=sorted(picked))
    await query.answer()
    await _show_regions(query, t, state)


@compose.callback_query(NoticeCompose.regions, Act.filter(F.do == "nc_regions_done"))
async def regions_done(
    query: CallbackQuery, actor: Actor, t: Translator, services: Services, state: FSMContext
) -> None:
    data = await state.get_data()
    if not data["picked"]:
        await query.answer(t("notices.pick_one"), show_alert=True)
        return
    chosen = tuple(data["regions"][i] for i in data["picked"])
    await state.update_data(audience=Audience("regions", regions=chosen).to_json())
    await _ask_when(query, actor, t, services, state)


@compose.callback_query(NoticeCompose.audience, Act.filter(F.do == "nc_points"))
async def points(
    query: CallbackQuery, actor: Actor, t: Translator, services: Services, state: FSMContext
) -> None:
    await state.update_data(picked=[], page=0)
    await query.answer()
    await _show_points(query, t, services, state, actor)


async def _show_points(
    query: CallbackQuery, t: Translator, services: Services, state: FSMContext, actor: Actor
) -> None:
    scope = await services.notices.compose_scope(actor.uid)
    await state.set_state(NoticeCompose.points)
    data = await state.get_data()
    pages = max(1, -(-len(scope.points) // PAGE))
    page = min(max(int(data.get("page", 0)), 0), pages - 1)
    rows = [
        [
            Button(
                ("✅ " if p.id in data["picked"] else "▫️ ") + cut(f"{p.code} {p.name}", 40),
                "nc_point",
                p.id,
            )
        ]
        for p in scope.points[page * PAGE : (page + 1) * PAGE]
    ]
    rows.append(pager(t, "nc_points_page", page, pages))
    rows.append([Button(t("notices.btn_next"), "nc_points_done")])
    rows.append([_back(t, "nc_audience" if scope.is_admin else "nc_variants"), cancel_button(t)])
    with contextlib.suppress(TelegramBadRequest):
        await shown(query).edit_text(t("notices.ask_points"), reply_markup=buttons(*rows))


@compose.callback_query(NoticeCompose.points, Act.filter(F.do == "nc_point"))
async def point_ticked(
    query: CallbackQuery,
    callback_data: Act,
    actor: Actor,
    t: Translator,
    services: Services,
    state: FSMContext,
) -> None:
    data = await state.get_data()
    picked = set(data["picked"]) ^ {callback_data.ref}
    await state.update_data(picked=sorted(picked))
    await query.answer()
    await _show_points(query, t, services, state, actor)


@compose.callback_query(NoticeCompose.points, Act.filter(F.do == "nc_points_page"))
async def points_page(
    query: CallbackQuery,
    callback_data: Act,
    actor: Actor,
    t: Translator,
    services: Services,
    state: FSMContext,
) -> None:
    await state.update_data(page=callback_data.ref)
    await query.answer()
    await _show_points(query, t, services, state, actor)


@compose.callback_query(NoticeCompose.points, Act.filter(F.do == "nc_points_done"))
async def points_done(
    query: CallbackQuery, actor: Actor, t: Translator, services: Services, state: FSMContext
) -> None:
    data = await state.get_data()
    if not data["picked"]:
        await query.answer(t("notices.pick_one"), show_alert=True)
        return
    # The use case checks every id again: buttons can be forged.
    chosen = Audience("points", point_ids=tuple(data["picked"]))
    await services.notices.estimate(actor.uid, chosen)
    await state.update_data(audience=chosen.to_json())
    await _ask_when(query, actor, t, services, state)


# ---- when ------------------------------------------------------------------------------


async def _ask_when(
    query: CallbackQuery, actor: Actor, t: Translator, services: Services, state: FSMContext
) -> None:
    await state.set_state(NoticeCompose.when)
    await query.answer()
    rows = [
        [Button(t("notices.btn_now"), "nc_now"), Button(t("notices.btn_later"), "nc_later")],
        [_back(t, "nc_audience"), cancel_button(t)],
    ]
    await shown(query).edit_text(t("notices.ask_when"), reply_markup=buttons(*rows))


@compose.callback_query(NoticeCompose.preview, Act.filter(F.do == "nc_when"))
@compose.callback_query(NoticeCompose.when_at, Act.filter(F.do == "nc_when"))
async def back_to_when(
    query: CallbackQuery, actor: Actor, t: Translator, services: Services, state: FSMContext
) -> None:
    await _ask_when(query, actor, t, services, state)


@compose.callback_query(NoticeCompose.when, Act.filter(F.do == "nc_now"))
async def now(
    query: CallbackQuery, actor: Actor, t: Translator, services: Services, state: FSMContext
) -> None:
    await state.update_data(send_at=None)
    await query.answer()
    await shown(query).edit_reply_markup(reply_markup=None)
    await _preview(shown(query), actor, t, services, state)


@compose.callback_query(NoticeCompose.when, Act.filter(F.do == "nc_later"))
async def later(
    query: CallbackQuery, actor: Actor, t: Translator, services: Services, state: FSMContext
) -> None:
    estimate = await services.notices.estimate(actor.uid, _draft(await state.get_data()).audience)
    await state.set_state(NoticeCompose.when_at)
    await state.update_data(tz=estimate.tz)
    await query.answer()
    await shown(query).edit_text(
        t("notices.ask_time", tz=estimate.tz),
        reply_markup=buttons([_back(t, "nc_when"), cancel_button(t)]),
    )


@compose.message(NoticeCompose.when_at, F.text & ~F.text.startswith("/"))
async def time_given(
    message: Message, actor: Actor, t: Translator, services: Services, state: FSMContext
) -> None:
    data = await state.get_data()
    when = services.notices.when(message.text or "", data["tz"])
    await state.update_data(send_at=when.isoformat())
    await _preview(message, actor, t, services, state)


# ---- preview and confirmation ----------------------------------------------------------


def _draft(data: dict[str, Any]) -> NoticeDraft:
    send_at = data.get("send_at")
    return NoticeDraft(
        texts=dict(data["texts"]),
        fallback_locale=data["fallback"],
        audience=Audience.from_json(data.get("audience") or {"kind": "all"}),
        media=NoticeMedia.from_json(data.get("media")),
        send_at=datetime.fromisoformat(send_at) if send_at else None,
    )


async def _preview(
    message: Message, actor: Actor, t: Translator, services: Services, state: FSMContext
) -> None:
    """The notice exactly as residents will see it, then a summary to confirm."""
    await state.set_state(NoticeCompose.preview)
    data = await state.get_data()
    draft = _draft(data)
    estimate = await services.notices.estimate(actor.uid, draft.audience)
    text = await services.notices.preview(actor.uid, draft, t.locale)
    sample = buttons([Button(t("notices.btn_read"), "nc_sample")])
    await _show_notice(message, text, draft.media, sample)
    kind = draft.audience.kind
    if kind == "all":
        who = t("notices.audience_all", points=estimate.points)
    else:
        names = list(draft.audience.regions) if kind == "regions" else estimate.point_names
        who = esc(cut(_names(t, names), 300))
    when = (
        services.texts.when(t.locale, draft.send_at, estimate.tz)
        if draft.send_at
        else t("notices.when_now")
    )
    summary = t(
        "notices.summary",
        audience=who,
        residents=estimate.residents - estimate.unreachable,
        unreachable=estimate.unreachable,
        groups=estimate.groups,
        languages=_names(t, [LANGUAGE_NAMES[loc] for loc in LOCALES if loc in draft.texts]),
        when=when,
    )
    confirm = "notices.btn_schedule" if draft.send_at else "notices.btn_send"
    await message.answer(
        summary,
        reply_markup=buttons(
            [Button(t(confirm), "nc_confirm")],
            [
                Button(t("notices.btn_edit_text"), "nc_retext"),
                Button(t("notices.btn_edit_audience"), "nc_audience"),
                Button(t("notices.btn_edit_time"), "nc_when"),
            ],
            [cancel_button(t)],
        ),
    )


async def _show_notice(
    message: Message, text: str, media: NoticeMedia | None, markup: InlineKeyboardMarkup | None
) -> None:
    """Show a notice in this chat; its photo or document goes by file id, never re-uploaded."""
    if media is None:
        await message.answer(text, reply_markup=markup)
    elif media.kind == "photo":
        await message.answer_photo(media.file_id, caption=text, reply_markup=markup)
    else:
        await message.answer_document(media.file_id, caption=text, reply_markup=markup)


@compose.callback_query(Act.filter(F.do == "nc_sample"))
async def sample_pressed(query: CallbackQuery, t: Translator) -> None:
    await query.answer(t("notices.sample_button"))


@compose.callback_query(NoticeCompose.preview, Act.filter(F.do == "nc_confirm"))
async def confirm(
    query: CallbackQuery, actor: Actor, t: Translator, services: Services, state: FSMContext
) -> None:
    message = shown(query)
    created = await services.notices.create(
        actor.uid,
        _draft(await state.get_data()),
        origin=f"bot:{message.chat.id}:{message.message_id}",
        progress_message_id=message.message_id,
    )
    await state.clear()
    key = "notices.scheduled_toast" if created.status == SCHEDULED else "notices.sending_toast"
    await query.answer(t(key, id=created.notice_id))
    # This message now shows the progress; the scheduler keeps it current.
    with contextlib.suppress(TelegramBadRequest):
        await message.edit_text(created.text, reply_markup=inline(created.buttons))


# ---- a notice's card and cancelling ----------------------------------------------------


@compose.callback_query(Act.filter(F.do.in_({"notice_open", "notice_refresh"})))
async def open_card(
    query: CallbackQuery, callback_data: Act, actor: Actor, t: Translator, services: Services
) -> None:
    text, keyboard = await services.notices.details(actor.uid, callback_data.ref, t.locale)
    await query.answer()
    message = shown(query)
    if callback_data.do == "notice_refresh":
        with contextlib.suppress(TelegramBadRequest):  # nothing changed since
            await message.edit_text(text, reply_markup=inline(keyboard))
    else:
        await message.answer(text, reply_markup=inline(keyboard))


@compose.callback_query(Act.filter(F.do == "notice_cancel"))
async def cancel_asked(
    query: CallbackQuery, callback_data: Act, actor: Actor, t: Translator, services: Services
) -> None:
    await services.notices.progress(actor.uid, callback_data.ref)  # theirs to cancel?
    await query.answer()
    await shown(query).answer(
        t("notices.cancel_confirm", id=callback_data.ref),
        reply_markup=buttons(
            [Button(t("notices.btn_cancel_yes"), "notice_cancel_yes", callback_data.ref)],
            [Button(t("notices.btn_cancel_no"), "notice_cancel_no", callback_data.ref)],
        ),
    )


@compose.callback_query(Act.filter(F.do == "notice_cancel_yes"))
async def cancel_confirmed(
    query: CallbackQuery, callback_data: Act, actor: Actor, t: Translator, services: Services
) -> None:
    progress = await services.notices.cancel(actor.uid, callback_data.ref)
    await query.answer()
    await shown(query).edit_text(
        t("notices.cancelled", id=progress.notice_id, sent=progress.tally.sent)
    )


@compose.callback_query(Act.filter(F.do == "notice_cancel_no"))
async def cancel_dropped(query: CallbackQuery, callback_data: Act, t: Translator) -> None:
    await query.answer()
    await shown(query).edit_text(t("notices.cancel_kept", id=callback_data.ref))


# ---- reading ---------------------------------------------------------------------------


@readers.message(Command("notices"))
@readers.message(MenuButton("menu.notices"))
async def list_notices(message: Message, actor: Actor, t: Translator, services: Services) -> None:
    if actor.is_staff and actor.role != Role.INSPECTOR:
        lines = await services.notices.of_author(actor.uid)
        action, title, none = "notice_open", "notices.list_staff", "notices.none_staff"
    else:
        lines = await services.notices.for_resident(actor.uid)
        action, title, none = "notice_show", "notices.list_resident", "notices.none_resident"
    if not lines:
        await message.answer(t(none))
        return
    staff = action == "notice_open"
    text = "\n".join([t(title), *(_line(t, services, n, staff=staff) for n in lines)])
    rows = [[Button(f"#{n.id} " + n.title, action, n.id)] for n in lines]
    await message.answer(text, reply_markup=buttons(*rows))


def _line(t: Translator, services: Services, line: NoticeLine, *, staff: bool) -> str:
    date = services.texts.date(t.locale, line.when, line.tz)
    if staff:
        return f"#{line.id} · {date} · {t(STATUS[line.status])} · {esc(line.title)}"
    mark = "✔️" if line.read else "🆕"
    return f"{mark} #{line.id} · {date} · {esc(line.title)}"


@readers.callback_query(Act.filter(F.do == "notice_show"))
async def show(query: CallbackQuery, callback_data: Act, actor: Actor, services: Services) -> None:
    notice = await services.notices.open_for_resident(actor.uid, callback_data.ref)
    await query.answer()
    await _show_notice(shown(query), notice.text, notice.media, inline(notice.buttons))


@readers.callback_query(Act.filter(F.do == "notice_read"))
async def read(
    query: CallbackQuery, callback_data: Act, actor: Actor, t: Translator, services: Services
) -> None:
    first = await services.notices.mark_read(actor.uid, callback_data.ref)
    await query.answer(t("notices.read_thanks" if first else "notices.read_already"))
    if isinstance(query.message, Message):
        done = services.notices.read_button(t.locale, callback_data.ref, read=True)
        with contextlib.suppress(TelegramBadRequest):  # already shows it
            await query.message.edit_reply_markup(reply_markup=inline([[done]]))


# ---- groups ----------------------------------------------------------------------------


def _join(t: Translator, name: str, link: str) -> InlineKeyboardMarkup | None:
    return inline([[Button(t("notices.btn_register", point=name), url=link)]])


@groups.message(Command("link"))
async def link(
    message: Message,
    command: CommandObject,
    t: Translator,
    services: Services,
    actor: Actor | None = None,
) -> None:
    if actor is None or not actor.registered:
        raise NotAllowed("notices.link_staff_only")
    code = (command.args or "").strip()
    if not code:
        await message.answer(t("notices.link_usage"))
        return
    # A notice posted by a plain member can be lost to the group's restrictions; Telegram
    # guarantees an administrator can post, so that is what linking asks for.
    assert message.bot is not None
    me = await message.bot.get_chat_member(message.chat.id, message.bot.id)
    if me.status not in {"administrator", "creator"}:
        await message.answer(t("notices.link_needs_admin"))
        return
    linked = await services.notices.link_group(actor.uid, code, message.chat.id)
    await message.answer(
        t("notices.linked", point=esc(linked.point_name)),
        reply_markup=_join(t, linked.point_name, linked.link),
    )


@groups.message(Command("unlink"))
async def unlink(
    message: Message, t: Translator, services: Services, actor: Actor | None = None
) -> None:
    if actor is None or not actor.registered:
        raise NotAllowed("notices.link_staff_only")
    name = await services.notices.unlink_group(actor.uid, message.chat.id)
    await message.answer(t("notices.unlinked", point=esc(name)))


@groups.message(F.migrate_to_chat_id)
async def moved(message: Message, services: Services) -> None:
    assert message.migrate_to_chat_id is not None
    await services.notices.group_moved(message.chat.id, message.migrate_to_chat_id)


@groups.my_chat_member(ChatMemberUpdatedFilter(member_status_changed=IS_NOT_MEMBER))
async def removed(event: ChatMemberUpdated, services: Services) -> None:
    await services.notices.group_gone(event.chat.id)
