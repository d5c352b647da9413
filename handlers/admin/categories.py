"""Case categories in the menu: deadline tiers, names in both languages, retiring and restoring."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message

from bot.admin_states import AdminFlow
from bot.callbacks import Act
from bot.keyboards import buttons
from handlers.admin.common import (
    TIER_KEYS,
    TIERS,
    TYPED,
    View,
    ask_typed,
    back_button,
    browse,
    kept,
    office,
    send_fresh,
    show,
)
from models.enums import Tier
from services.app import Services
from services.categories import CategoryLine, clean_name
from services.errors import Invalid
from services.outbox import Button
from services.people import Actor
from services.texts import Translator, esc

router = Router(name="admin:categories")


# ---- categories ----------------------------------------------------------------------------


@router.callback_query(Act.filter(F.do == "adm_cats"))
async def categories(
    query: CallbackQuery, actor: Actor, t: Translator, services: Services, state: FSMContext
) -> None:
    await browse(state)
    rows = await office(services).categories.all(actor.uid)
    lines = [t("admin.categories.title")]
    for c in rows:
        lines.append(
            t(
                "admin.categories.line",
                name=esc(c.name(t.locale)),
                tier=t(TIER_KEYS[Tier(c.tier)]),
                deadline=_deadline(t, services, c.tier),
            )
            + ("" if c.active else " " + t("admin.categories.retired_mark"))
        )
    names = [
        [Button((("🗄 " if not c.active else "") + c.name(t.locale))[:60], "adm_cat_open", c.id)]
        for c in rows
    ]
    await show(
        query,
        (
            "\n".join(lines),
            buttons(
                *names,
                [Button(t("admin.btn.add_category"), "adm_cat_add")]
                if actor.region is None
                else [],
                [back_button(t, "adm_home")],
            ),
        ),
    )


def _deadline(t: Translator, services: Services, tier: str) -> str:
    unit, n = services.ctx.config.deadlines.resolve.get(tier, ("workdays", 0))
    if unit == "minutes":  # a trial's deadlines
        return t("admin.deadline_minutes", n=n)
    return t("admin.deadline_hours", n=n) if unit == "hours" else t("admin.deadline_workdays", n=n)


def _category_view(actor: Actor, t: Translator, services: Services, c: CategoryLine) -> View:
    """One category; an administrator of a region sees it but cannot change it."""
    lines = [
        t("admin.category.title", zh=esc(c.name_zh), en=esc(c.name_en), code=esc(c.code)),
        t(
            "admin.category.tier",
            tier=t(TIER_KEYS[Tier(c.tier)]),
            deadline=_deadline(t, services, c.tier),
        ),
        t("admin.category.offered") if c.active else t("admin.category.retired"),
        t("admin.category.cases", count=c.cases),
    ]
    if actor.region is not None:
        return "\n".join(lines), buttons([back_button(t, "adm_cats")])
    switch = (
        Button(t("admin.btn.retire"), "adm_cat_retire", c.id)
        if c.active
        else Button(t("admin.btn.restore"), "adm_cat_restore", c.id)
    )
    return "\n".join(lines), buttons(
        [
            Button(t("admin.btn.rename"), "adm_cat_rename", c.id),
            Button(t("admin.btn.tier"), "adm_cat_tier", c.id),
        ],
        [switch],
        [back_button(t, "adm_cats")],
    )


@router.callback_query(Act.filter(F.do == "adm_cat_open"))
async def category_open(
    query: CallbackQuery,
    callback_data: Act,
    actor: Actor,
    t: Translator,
    services: Services,
    state: FSMContext,
) -> None:
    await browse(state)
    c = await office(services).categories.get(actor.uid, callback_data.ref)
    await show(query, _category_view(actor, t, services, c))


@router.callback_query(Act.filter(F.do.in_({"adm_cat_retire", "adm_cat_restore"})))
async def category_switch(
    query: CallbackQuery, callback_data: Act, actor: Actor, t: Translator, services: Services
) -> None:
    cats = office(services).categories
    if callback_data.do == "adm_cat_retire":
        c = await cats.retire(actor.uid, callback_data.ref)
    else:
        c = await cats.restore(actor.uid, callback_data.ref)
    await show(query, _category_view(actor, t, services, c), t("admin.saved"))


def _tier_view(t: Translator, services: Services, action: str, back: Button, head: str) -> View:
    rows = [
        [Button(f"{t(TIER_KEYS[tier])} · {_deadline(t, services, tier)}", action, i)]
        for i, tier in enumerate(TIERS)
    ]
    return head, buttons(*rows, [back])


@router.callback_query(Act.filter(F.do == "adm_cat_tier"))
async def category_tier(
    query: CallbackQuery,
    callback_data: Act,
    actor: Actor,
    t: Translator,
    services: Services,
    state: FSMContext,
) -> None:
    c = await office(services).categories.get(actor.uid, callback_data.ref)
    await state.update_data(cat=c.id)
    head = t("admin.category.ask_tier", name=esc(c.name(t.locale)))
    back = back_button(t, "adm_cat_open", c.id)
    await show(query, _tier_view(t, services, "adm_cat_tier_set", back, head))


@router.callback_query(Act.filter(F.do == "adm_cat_tier_set"))
async def category_tier_set(
    query: CallbackQuery,
    callback_data: Act,
    actor: Actor,
    t: Translator,
    services: Services,
    state: FSMContext,
) -> None:
    category_id = int(await kept(state, "cat"))
    tier = TIERS[callback_data.ref % len(TIERS)]
    c = await office(services).categories.set_tier(actor.uid, category_id, tier)
    await show(query, _category_view(actor, t, services, c), t("admin.saved"))


@router.callback_query(Act.filter(F.do == "adm_cat_rename"))
async def category_rename(
    query: CallbackQuery,
    callback_data: Act,
    actor: Actor,
    t: Translator,
    services: Services,
    state: FSMContext,
) -> None:
    c = await office(services).categories.get(actor.uid, callback_data.ref)
    view = (
        t("admin.category.ask_zh", now=esc(c.name_zh)),
        buttons([back_button(t, "adm_cat_open", c.id)]),
    )
    await ask_typed(query, state, AdminFlow.category_name_zh, view, cat=c.id, cat_new=None)


@router.callback_query(Act.filter(F.do == "adm_cat_add"))
async def category_add(
    query: CallbackQuery, actor: Actor, t: Translator, services: Services, state: FSMContext
) -> None:
    await office(services).categories.may_change(actor.uid)
    view = (t("admin.category.ask_code"), buttons([back_button(t, "adm_cats")]))
    await ask_typed(query, state, AdminFlow.category_code, view, cat=None, cat_new={})


@router.message(AdminFlow.category_code, *TYPED)
async def category_code(
    message: Message, actor: Actor, t: Translator, services: Services, state: FSMContext
) -> None:
    code = await office(services).categories.check_code(actor.uid, message.text or "")
    await state.set_state(AdminFlow.category_name_zh)
    await state.update_data(cat_new={"code": code})
    view = (t("admin.category.ask_zh_new"), buttons([back_button(t, "adm_cats")]))
    await send_fresh(message, state, view)


@router.message(AdminFlow.category_name_zh, *TYPED)
async def category_name_zh(
    message: Message, t: Translator, services: Services, state: FSMContext
) -> None:
    name = clean_name(message.text or "")
    data = await state.get_data()
    await state.set_state(AdminFlow.category_name_en)
    await state.update_data(zh=name)
    back = (
        back_button(t, "adm_cat_open", int(data["cat"]))
        if data.get("cat")
        else back_button(t, "adm_cats")
    )
    await send_fresh(message, state, (t("admin.category.ask_en"), buttons([back])))


@router.message(AdminFlow.category_name_en, *TYPED)
async def category_name_en(
    message: Message, actor: Actor, t: Translator, services: Services, state: FSMContext
) -> None:
    data = await state.get_data()
    cats = office(services).categories
    if data.get("cat"):
        c = await cats.rename(actor.uid, int(data["cat"]), str(data["zh"]), message.text or "")
        await state.set_state(None)
        await send_fresh(message, state, _category_view(actor, t, services, c))
        return
    new = dict(data.get("cat_new") or {})
    new.update(zh=str(data["zh"]), en=clean_name(message.text or ""))
    await state.set_state(None)
    await state.update_data(cat_new=new)
    head = t("admin.category.ask_tier", name=esc(new["zh"] if t.locale == "zh_Hans" else new["en"]))
    await send_fresh(
        message,
        state,
        _tier_view(t, services, "adm_cat_new_tier", back_button(t, "adm_cats"), head),
    )


@router.callback_query(Act.filter(F.do == "adm_cat_new_tier"))
async def category_created(
    query: CallbackQuery,
    callback_data: Act,
    actor: Actor,
    t: Translator,
    services: Services,
    state: FSMContext,
) -> None:
    new = dict(await kept(state, "cat_new"))
    if not {"code", "zh", "en"} <= set(new):
        raise Invalid("button.stale")
    tier = TIERS[callback_data.ref % len(TIERS)]
    c = await office(services).categories.add(actor.uid, new["code"], new["zh"], new["en"], tier)
    await state.update_data(cat_new=None)
    await show(query, _category_view(actor, t, services, c), t("admin.saved"))
