"""/consult → ✏️ New: a consultation composed with buttons, one step at a time — title,
introduction, the draft as a document (optional), questions one by one, audience (as for
notices), opening and deadline, named or anonymous, variants in other languages, preview.
Send takes the same path as a consultation file (handlers/consultations/author.py).

Every step has Back and Cancel; a step answered with a button is redrawn in place, a step
answered by typing loses its buttons and the next step comes below it. The rules of each
step are in services/consultations/drafting.py."""

from __future__ import annotations

import contextlib
from typing import Any

from aiogram import F, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message

from bot.callbacks import Act
from bot.consult_states import ConsultCompose, ConsultWizard
from bot.filters import HasRole
from bot.keyboards import buttons
from bot.replies import shown
from handlers.common import LANGUAGE_NAMES
from handlers.consultations.author import summary
from handlers.flow import cancel_button, close_question, point_picker, region_picker
from locales import LOCALES
from models.enums import Role
from services.app import Services
from services.consultations import drafting
from services.consultations.form import KINDS, MAX_QUESTIONS
from services.errors import Invalid
from services.fanout.audience import Audience
from services.notices.text import parse_when
from services.outbox import Button
from services.people import Actor
from services.texts import Translator, esc

router = Router(name="consult_wizard")
router.message.filter(F.chat.type == "private", HasRole(Role.CADRE, Role.ADMIN))
router.callback_query.filter(HasRole(Role.CADRE, Role.ADMIN))

W = ConsultWizard
PAGE = 8
QUICK = drafting.QUICK_DEADLINES
KIND_NAMES = {
    "single": "consult.w_kind_single",
    "multiple": "consult.w_kind_multiple",
    "scale": "consult.w_kind_scale",
    "number": "consult.w_kind_number",
    "text": "consult.w_kind_text",
}
SLOT_KEYS = {
    "title": "consult.w_slot_title",
    "intro": "consult.w_slot_intro",
    "text": "consult.w_slot_text",
    "options": "consult.w_slot_options",
}
Rows = list[list[Button]]
Target = Message | CallbackQuery


def _back(t: Translator) -> Button:
    return Button(t("btn.back"), "cw_back")


def _nav(t: Translator, *, back: bool = True) -> list[Button]:
    return [_back(t), cancel_button(t)] if back else [cancel_button(t)]


def _keep(t: Translator, has: bool) -> Rows:
    return [[Button(t("consult.w_btn_keep"), "cw_keep")]] if has else []


async def _ask(target: Target, state: FSMContext, text: str, rows: Rows) -> None:
    """Show a step: a pressed button's message is redrawn in place; after a typed answer the
    previous step's buttons go and the step comes as a new message."""
    markup = buttons(*rows) if rows else None
    if isinstance(target, CallbackQuery):
        message = shown(target)
        with contextlib.suppress(TelegramBadRequest):  # the same view again
            await message.edit_text(text, reply_markup=markup)
        await state.update_data(prompt=message.message_id)
        return
    await close_question(target, (await state.get_data()).get("prompt"))
    sent = await target.answer(text, reply_markup=markup)
    await state.update_data(prompt=sent.message_id)


async def _draft(state: FSMContext) -> dict[str, Any]:
    draft = (await state.get_data()).get("w")
    if not isinstance(draft, dict):
        raise Invalid("consult.stale")
    return draft


# ---- the steps' views ------------------------------------------------------------------


async def show(
    step: Any, target: Target, t: Translator, services: Services, actor: Actor, state: FSMContext
) -> None:
    """Enter ``step`` and show it."""
    await state.set_state(step)
    data = await state.get_data()
    draft: dict[str, Any] = data["w"]
    language = draft["language"]
    if step == W.title:
        text = t("consult.w_ask_title") + _now(t, draft["title"].get(language))
        rows = [*_keep(t, bool(draft["title"])), _nav(t, back=False)]
    elif step == W.intro:
        has = bool(draft["intro_html"])
        text = t("consult.w_ask_intro") + _now(t, draft["intro_html"].get(language), html=True)
        rows = [*_keep(t, has), [Button(t("consult.w_btn_no_intro"), "cw_no_intro")], _nav(t)]
    elif step == W.document:
        doc = draft.get("document")
        text = t("consult.w_ask_document")
        rows = []
        if doc:
            text += "\n\n" + t("consult.w_document_now", name=esc(doc.get("name") or "—"))
            rows.append([Button(t("consult.w_btn_keep"), "cw_keep")])
            rows.append([Button(t("consult.w_btn_drop_document"), "cw_drop_doc")])
        else:
            rows.append([Button(t("consult.w_btn_no_document"), "cw_keep")])
        rows.append(_nav(t))
    elif step == W.kind:
        text, rows = _kind_view(t, draft)
    elif step == W.q_text:
        cur = data["cur"]
        number = len(draft["questions"]) + 1
        kind = t(KIND_NAMES[cur["kind"]])
        text = t("consult.w_ask_question", number=number, kind=kind)
        text += _now(t, cur["text"].get(language))
        rows = [*_keep(t, bool(cur["text"])), _nav(t)]
    elif step == W.q_options:
        cur = data["cur"]
        text = t("consult.w_ask_options", most=10)
        now = cur.get("options", {}).get(language)
        text += _now(t, "\n".join(now) if now else None)
        rows = [*_keep(t, bool(now)), _nav(t)]
    elif step == W.q_required:
        text = t("consult.w_ask_required", text=esc(data["cur"]["text"][language]))
        rows = [
            [
                Button(t("consult.w_btn_required"), "cw_required", 1),
                Button(t("consult.w_btn_optional"), "cw_required", 0),
            ],
            _nav(t),
        ]
    elif step == W.audience:
        scope = await services.consultations.compose_scope(actor.uid)
        if not scope.is_admin:  # a cadre ticks among their own points
            await state.update_data(picked=[p.id for p in scope.points], page=0)
            await show(W.points, target, t, services, actor, state)
            return
        text = t("consult.w_ask_audience")
        rows = [
            [Button(t("notices.btn_everyone"), "cw_all")],
            [Button(t("notices.btn_by_region"), "cw_regions")] if scope.regions else [],
            [Button(t("notices.btn_by_point"), "cw_points")],
            _nav(t),
        ]
    elif step == W.regions:
        text = t("notices.ask_regions")
        rows = region_picker(data["regions"], data["picked"], "cw_region")
        rows += [[Button(t("notices.btn_next"), "cw_regions_done")], _nav(t)]
    elif step == W.points:
        scope = await services.consultations.compose_scope(actor.uid)
        rows = point_picker(t, scope.points, data["picked"], data.get("page"), "cw_point", PAGE)
        rows += [
            [Button(t("notices.btn_next"), "cw_points_done")],
            _nav(t),
        ]
        text = t("notices.ask_points")
    elif step == W.opens:
        text = t("consult.w_ask_opens", reach=_reach(t, data))
        rows = [
            [
                Button(t("consult.w_btn_open_now"), "cw_open_now"),
                Button(t("consult.w_btn_open_later"), "cw_open_later"),
            ],
            _nav(t),
        ]
    elif step == W.opens_at:
        text = t("consult.w_ask_opens_at", tz=data["tz"])
        rows = [_nav(t)]
    elif step == W.closes:
        text = t("consult.w_ask_closes", tz=data["tz"])
        rows = [
            [
                Button(t("consult.w_btn_days", days=d), "cw_days", d)
                for d in drafting.QUICK_DEADLINES
            ],
            _nav(t),
        ]
    elif step == W.privacy:
        text = t("consult.w_ask_privacy")
        rows = [
            [
                Button(t("consult.w_btn_named"), "cw_privacy", 0),
                Button(t("consult.w_btn_anonymous"), "cw_privacy", 1),
            ],
            _nav(t),
        ]
    elif step == W.variants:
        text, rows = _variants_view(t, draft)
    elif step == W.slot:
        text, rows = _slot_view(t, data)
    else:  # pragma: no cover - every step is listed above
        raise AssertionError(step)
    await _ask(target, state, text, rows)


def _now(t: Translator, value: str | None, *, html: bool = False) -> str:
    if not value:
        return ""
    return "\n\n" + t("consult.w_now", value=value if html else esc(value))


def _reach(t: Translator, data: dict[str, Any]) -> str:
    points, residents = data.get("reach", [0, 0])
    return t("consult.w_reach", points=points, residents=residents)


def _kind_view(t: Translator, draft: dict[str, Any]) -> tuple[str, Rows]:
    language = draft["language"]
    lines = []
    for i, q in enumerate(draft["questions"], 1):
        need = "" if q["required"] else t("consult.optional")
        kind = t(KIND_NAMES[q["kind"]])
        lines.append(f"{i}. {esc(q['text'][language])} — {kind}{need}")
    so_far = "\n".join(lines) if lines else t("consult.w_no_questions")
    count = len(draft["questions"])
    text = t("consult.w_ask_kind", questions=so_far, number=count + 1)
    rows: Rows = []
    if count < MAX_QUESTIONS:
        kinds = [Button(t(KIND_NAMES[k]), "cw_kind", i) for i, k in enumerate(KINDS)]
        rows += [kinds[i : i + 2] for i in range(0, len(kinds), 2)]
    else:
        text += "\n" + t("consult.file_questions", most=MAX_QUESTIONS)
    if count:
        rows.append([Button(t("consult.w_btn_questions_done"), "cw_questions_done")])
    rows.append(_nav(t))
    return text, rows


def _variants_view(t: Translator, draft: dict[str, Any]) -> tuple[str, Rows]:
    language = draft["language"]
    have = [LANGUAGE_NAMES[loc] for loc in LOCALES if drafting.has_variant(draft, loc)]
    rows: Rows = []
    for i, loc in enumerate(LOCALES):
        if loc == language:
            continue
        key = (
            "consult.w_btn_replace_variant"
            if drafting.has_variant(draft, loc)
            else ("consult.w_btn_add_variant")
        )
        rows.append([Button(t(key, language=LANGUAGE_NAMES[loc]), "cw_variant", i)])
        if drafting.has_variant(draft, loc):
            rows.append(
                [
                    Button(
                        t("consult.w_btn_drop_variant", language=LANGUAGE_NAMES[loc]),
                        "cw_drop_variant",
                        i,
                    )
                ]
            )
    rows += [[Button(t("consult.w_btn_preview"), "cw_preview")], _nav(t)]
    text = t(
        "consult.w_ask_variants",
        languages=("、" if t.locale == "zh_Hans" else ", ").join(have),
        fallback=LANGUAGE_NAMES[language],
    )
    return text, rows


def _slot_view(t: Translator, data: dict[str, Any]) -> tuple[str, Rows]:
    draft, locale, index = data["w"], data["vloc"], int(data["slot"])
    slots = drafting.slots(draft)
    slot = slots[index]
    what, i = slot
    shown_original = drafting.original(draft, slot)
    original = shown_original if what == "intro" else esc(shown_original)
    text = t(
        SLOT_KEYS[what],
        language=LANGUAGE_NAMES[locale],
        step=index + 1,
        steps=len(slots),
        number=i + 1,
        original=original,
    )
    return text, [_nav(t)]


# ---- starting, Back and Keep -----------------------------------------------------------


@router.callback_query(ConsultCompose.file, Act.filter(F.do == "cw_new"))
async def start(
    query: CallbackQuery, actor: Actor, t: Translator, services: Services, state: FSMContext
) -> None:
    await services.consultations.compose_scope(actor.uid)  # refused without points
    await state.set_data({"w": drafting.new_draft(actor.locale)})
    await query.answer()
    await show(W.title, query, t, services, actor, state)


BACK = {
    W.intro.state: W.title,
    W.document.state: W.intro,
    W.q_text.state: W.kind,
    W.regions.state: W.audience,
    W.opens.state: W.audience,
    W.opens_at.state: W.opens,
    W.closes.state: W.opens,
    W.privacy.state: W.closes,
    W.variants.state: W.privacy,
    W.audience.state: W.kind,
}


@router.callback_query(StateFilter(W), Act.filter(F.do == "cw_back"))
@router.callback_query(ConsultCompose.preview, Act.filter(F.do == "cw_back"))
async def back(
    query: CallbackQuery, actor: Actor, t: Translator, services: Services, state: FSMContext
) -> None:
    current = await state.get_state()
    data = await state.get_data()
    draft = await _draft(state)
    await query.answer()
    if current == ConsultCompose.preview.state:
        await shown(query).edit_reply_markup(reply_markup=None)
        await show(W.variants, shown(query), t, services, actor, state)
        return
    if current == W.kind.state:
        if not draft["questions"]:
            await show(W.document, query, t, services, actor, state)
            return
        cur = draft["questions"].pop()  # back into the last question, at its last step
        await state.update_data(w=draft, cur=cur)
        await show(W.q_required, query, t, services, actor, state)
        return
    if current == W.q_options.state:
        await show(W.q_text, query, t, services, actor, state)
        return
    if current == W.q_required.state:
        step = W.q_options if data["cur"]["kind"] in drafting.CHOICE else W.q_text
        await show(step, query, t, services, actor, state)
        return
    if current == W.points.state:
        scope = await services.consultations.compose_scope(actor.uid)
        await show(W.audience if scope.is_admin else W.kind, query, t, services, actor, state)
        return
    if current == W.slot.state:
        index = int(data["slot"])
        if index == 0:
            drafting.drop_variant(draft, data["vloc"])  # half-typed: nothing of it is kept
            await state.update_data(w=draft)
            await show(W.variants, query, t, services, actor, state)
            return
        await state.update_data(slot=index - 1)
        await show(W.slot, query, t, services, actor, state)
        return
    if current in BACK:
        await show(BACK[current], query, t, services, actor, state)
        return
    raise Invalid("button.stale")


@router.callback_query(
    StateFilter(W.title, W.intro, W.document, W.q_text, W.q_options), Act.filter(F.do == "cw_keep")
)
async def keep(
    query: CallbackQuery, actor: Actor, t: Translator, services: Services, state: FSMContext
) -> None:
    """Keep what was given before (coming back with Back) and go on."""
    current = await state.get_state()
    await query.answer()
    forward = {
        W.title.state: W.intro,
        W.intro.state: W.document,
        W.document.state: W.kind,
        W.q_text.state: None,
        W.q_options.state: W.q_required,
    }
    step = forward[str(current)]
    if step is None:
        cur = (await state.get_data())["cur"]
        step = W.q_options if cur["kind"] in drafting.CHOICE else W.q_required
    await show(step, query, t, services, actor, state)


# ---- title, introduction, document -----------------------------------------------------


@router.message(W.title, F.text & ~F.text.startswith("/"))
async def title_given(
    message: Message, actor: Actor, t: Translator, services: Services, state: FSMContext
) -> None:
    draft = await _draft(state)
    draft["title"][draft["language"]] = drafting.check_title(message.text)
    await state.update_data(w=draft)
    await show(W.intro, message, t, services, actor, state)


@router.message(W.intro, F.text & ~F.text.startswith("/"))
async def intro_given(
    message: Message, actor: Actor, t: Translator, services: Services, state: FSMContext
) -> None:
    draft = await _draft(state)
    with_document = draft.get("document") is not None
    draft["intro_html"][draft["language"]] = drafting.check_intro(
        message.html_text, with_document=with_document
    )
    await state.update_data(w=draft)
    await show(W.document, message, t, services, actor, state)


@router.callback_query(W.intro, Act.filter(F.do == "cw_no_intro"))
async def no_intro(
    query: CallbackQuery, actor: Actor, t: Translator, services: Services, state: FSMContext
) -> None:
    draft = await _draft(state)
    draft["intro_html"] = {}
    await state.update_data(w=draft)
    await query.answer()
    await show(W.document, query, t, services, actor, state)


@router.message(W.document, F.document)
async def document_given(
    message: Message, actor: Actor, t: Translator, services: Services, state: FSMContext
) -> None:
    assert message.document is not None
    draft = await _draft(state)
    doc = message.document
    drafting.check_document(doc.file_name, doc.file_size, draft)
    draft["document"] = {"file_id": doc.file_id, "name": (doc.file_name or "")[:120]}
    await state.update_data(w=draft)
    await show(W.kind, message, t, services, actor, state)


@router.callback_query(W.document, Act.filter(F.do == "cw_drop_doc"))
async def drop_document(
    query: CallbackQuery, actor: Actor, t: Translator, services: Services, state: FSMContext
) -> None:
    draft = await _draft(state)
    draft["document"] = None
    await state.update_data(w=draft)
    await query.answer()
    await show(W.document, query, t, services, actor, state)


# ---- questions -------------------------------------------------------------------------


@router.callback_query(W.kind, Act.filter(F.do == "cw_kind"))
async def kind_chosen(
    query: CallbackQuery,
    callback_data: Act,
    actor: Actor,
    t: Translator,
    services: Services,
    state: FSMContext,
) -> None:
    draft = await _draft(state)
    if not 0 <= callback_data.ref < len(KINDS):
        raise Invalid("button.stale")
    kind = drafting.check_kind(KINDS[callback_data.ref], draft)
    await state.update_data(cur={"kind": kind, "required": True, "text": {}, "options": {}})
    await query.answer()
    await show(W.q_text, query, t, services, actor, state)


@router.message(W.q_text, F.text & ~F.text.startswith("/"))
async def question_given(
    message: Message, actor: Actor, t: Translator, services: Services, state: FSMContext
) -> None:
    data = await state.get_data()
    draft, cur = await _draft(state), data["cur"]
    cur["text"] = {draft["language"]: drafting.check_question(message.text)}
    await state.update_data(cur=cur)
    step = W.q_options if cur["kind"] in drafting.CHOICE else W.q_required
    await show(step, message, t, services, actor, state)


@router.message(W.q_options, F.text & ~F.text.startswith("/"))
async def options_given(
    message: Message, actor: Actor, t: Translator, services: Services, state: FSMContext
) -> None:
    data = await state.get_data()
    draft, cur = await _draft(state), data["cur"]
    cur["options"] = {draft["language"]: drafting.check_options(message.text)}
    await state.update_data(cur=cur)
    await show(W.q_required, message, t, services, actor, state)


@router.callback_query(W.q_required, Act.filter(F.do == "cw_required"))
async def required_chosen(
    query: CallbackQuery,
    callback_data: Act,
    actor: Actor,
    t: Translator,
    services: Services,
    state: FSMContext,
) -> None:
    data = await state.get_data()
    draft, cur = await _draft(state), dict(data["cur"])
    cur["required"] = bool(callback_data.ref)
    if cur["kind"] not in drafting.CHOICE:
        cur["options"] = {}
    if len(draft["questions"]) >= MAX_QUESTIONS:
        raise Invalid("consult.file_questions", most=MAX_QUESTIONS)
    draft["questions"].append(cur)
    await state.update_data(w=draft, cur=None)
    await query.answer()
    await show(W.kind, query, t, services, actor, state)


@router.callback_query(W.kind, Act.filter(F.do == "cw_questions_done"))
async def questions_done(
    query: CallbackQuery, actor: Actor, t: Translator, services: Services, state: FSMContext
) -> None:
    if not (await _draft(state))["questions"]:
        raise Invalid("consult.file_questions", most=MAX_QUESTIONS)
    await query.answer()
    await show(W.audience, query, t, services, actor, state)


# ---- the audience (as for notices) -----------------------------------------------------


async def _audience_chosen(
    query: CallbackQuery,
    actor: Actor,
    t: Translator,
    services: Services,
    state: FSMContext,
    audience: Audience,
) -> None:
    # The use case checks every id again: buttons can be forged.
    points, residents, tz = await services.consultations.reach(actor.uid, audience)
    draft = await _draft(state)
    draft["audience"] = audience.to_json()
    await state.update_data(w=draft, tz=tz, reach=[points, residents])
    await query.answer()
    await show(W.opens, query, t, services, actor, state)


@router.callback_query(W.audience, Act.filter(F.do == "cw_all"))
async def everyone(
    query: CallbackQuery, actor: Actor, t: Translator, services: Services, state: FSMContext
) -> None:
    await _audience_chosen(query, actor, t, services, state, Audience("all"))


@router.callback_query(W.audience, Act.filter(F.do == "cw_regions"))
async def regions(
    query: CallbackQuery, actor: Actor, t: Translator, services: Services, state: FSMContext
) -> None:
    scope = await services.consultations.compose_scope(actor.uid)
    await state.update_data(regions=scope.regions, picked=[])
    await query.answer()
    await show(W.regions, query, t, services, actor, state)


@router.callback_query(W.regions, Act.filter(F.do == "cw_region"))
async def region_ticked(
    query: CallbackQuery,
    callback_data: Act,
    actor: Actor,
    t: Translator,
    services: Services,
    state: FSMContext,
) -> None:
    data = await state.get_data()
    if not 0 <= callback_data.ref < len(data["regions"]):
        raise Invalid("button.stale")
    await state.update_data(picked=sorted(set(data["picked"]) ^ {callback_data.ref}))
    await query.answer()
    await show(W.regions, query, t, services, actor, state)


@router.callback_query(W.regions, Act.filter(F.do == "cw_regions_done"))
async def regions_done(
    query: CallbackQuery, actor: Actor, t: Translator, services: Services, state: FSMContext
) -> None:
    data = await state.get_data()
    if not data["picked"]:
        raise Invalid("notices.pick_one")
    chosen = tuple(data["regions"][i] for i in data["picked"])
    await _audience_chosen(query, actor, t, services, state, Audience("regions", regions=chosen))


@router.callback_query(W.audience, Act.filter(F.do == "cw_points"))
async def points(
    query: CallbackQuery, actor: Actor, t: Translator, services: Services, state: FSMContext
) -> None:
    await state.update_data(picked=[], page=0)
    await query.answer()
    await show(W.points, query, t, services, actor, state)


@router.callback_query(W.points, Act.filter(F.do.in_({"cw_point", "cw_points_page"})))
async def point_ticked(
    query: CallbackQuery,
    callback_data: Act,
    actor: Actor,
    t: Translator,
    services: Services,
    state: FSMContext,
) -> None:
    data = await state.get_data()
    if callback_data.do == "cw_point":
        await state.update_data(picked=sorted(set(data["picked"]) ^ {callback_data.ref}))
    else:
        await state.update_data(page=callback_data.ref)
    await query.answer()
    await show(W.points, query, t, services, actor, state)


@router.callback_query(W.points, Act.filter(F.do == "cw_points_done"))
async def points_done(
    query: CallbackQuery, actor: Actor, t: Translator, services: Services, state: FSMContext
) -> None:
    data = await state.get_data()
    if not data["picked"]:
        raise Invalid("notices.pick_one")
    chosen = Audience("points", point_ids=tuple(int(i) for i in data["picked"]))
    await _audience_chosen(query, actor, t, services, state, chosen)


# ---- opening, deadline, privacy --------------------------------------------------------


@router.callback_query(W.opens, Act.filter(F.do.in_({"cw_open_now", "cw_open_later"})))
async def opens_chosen(
    query: CallbackQuery,
    callback_data: Act,
    actor: Actor,
    t: Translator,
    services: Services,
    state: FSMContext,
) -> None:
    await query.answer()
    if callback_data.do == "cw_open_later":
        await show(W.opens_at, query, t, services, actor, state)
        return
    draft = await _draft(state)
    draft["opens"] = None
    await state.update_data(w=draft)
    await show(W.closes, query, t, services, actor, state)


@router.message(W.opens_at, F.text & ~F.text.startswith("/"))
async def opens_given(
    message: Message, actor: Actor, t: Translator, services: Services, state: FSMContext
) -> None:
    data = await state.get_data()
    draft = await _draft(state)
    when = parse_when(message.text or "", data["tz"], services.ctx.clock.now())
    draft["opens"] = _typed(when, data["tz"])
    await state.update_data(w=draft)
    await show(W.closes, message, t, services, actor, state)


def _typed(moment: Any, tz: str) -> str:
    from zoneinfo import ZoneInfo

    return str(moment.astimezone(ZoneInfo(tz)).strftime("%Y-%m-%d %H:%M"))


async def _closes(
    target: Target,
    text: str,
    actor: Actor,
    t: Translator,
    services: Services,
    state: FSMContext,
) -> None:
    data = await state.get_data()
    draft = await _draft(state)
    now = services.ctx.clock.now()
    closes = parse_when(text, data["tz"], now)
    opens = parse_when(draft["opens"], data["tz"], now) if draft.get("opens") else now
    if closes <= opens:
        raise Invalid("consult.file_closes_first")
    draft["closes"] = _typed(closes, data["tz"])
    await state.update_data(w=draft)
    await show(W.privacy, target, t, services, actor, state)


@router.message(W.closes, F.text & ~F.text.startswith("/"))
async def closes_given(
    message: Message, actor: Actor, t: Translator, services: Services, state: FSMContext
) -> None:
    await _closes(message, message.text or "", actor, t, services, state)


@router.callback_query(W.closes, Act.filter(F.do == "cw_days"))
async def closes_in_days(
    query: CallbackQuery,
    callback_data: Act,
    actor: Actor,
    t: Translator,
    services: Services,
    state: FSMContext,
) -> None:
    if callback_data.ref not in drafting.QUICK_DEADLINES:
        raise Invalid("button.stale")
    data = await state.get_data()
    draft = await _draft(state)
    now = services.ctx.clock.now()
    opens = parse_when(draft["opens"], data["tz"], now) if draft.get("opens") else None
    moment = drafting.quick_deadline(callback_data.ref, opens, now, data["tz"])
    await query.answer()
    await _closes(query, moment, actor, t, services, state)


@router.callback_query(W.privacy, Act.filter(F.do == "cw_privacy"))
async def privacy_chosen(
    query: CallbackQuery,
    callback_data: Act,
    actor: Actor,
    t: Translator,
    services: Services,
    state: FSMContext,
) -> None:
    draft = await _draft(state)
    draft["anonymous"] = bool(callback_data.ref)
    await state.update_data(w=draft)
    await query.answer()
    await show(W.variants, query, t, services, actor, state)


# ---- variants in other languages -------------------------------------------------------


@router.callback_query(W.variants, Act.filter(F.do.in_({"cw_variant", "cw_drop_variant"})))
async def variant_chosen(
    query: CallbackQuery,
    callback_data: Act,
    actor: Actor,
    t: Translator,
    services: Services,
    state: FSMContext,
) -> None:
    draft = await _draft(state)
    if not 0 <= callback_data.ref < len(LOCALES) or LOCALES[callback_data.ref] == draft["language"]:
        raise Invalid("button.stale")
    locale = LOCALES[callback_data.ref]
    drafting.drop_variant(draft, locale)  # replaced whole, or dropped
    await state.update_data(w=draft, vloc=locale, slot=0)
    await query.answer()
    step = W.slot if callback_data.do == "cw_variant" else W.variants
    await show(step, query, t, services, actor, state)


@router.message(W.slot, F.text & ~F.text.startswith("/"))
async def slot_given(
    message: Message, actor: Actor, t: Translator, services: Services, state: FSMContext
) -> None:
    data = await state.get_data()
    draft = await _draft(state)
    slots = drafting.slots(draft)
    index = int(data["slot"])
    what = slots[index][0]
    typed = message.html_text if what == "intro" else message.text
    drafting.fill_slot(draft, slots[index], data["vloc"], typed)
    await state.update_data(w=draft, slot=index + 1)
    if index + 1 < len(slots):
        await show(W.slot, message, t, services, actor, state)
    else:
        await show(W.variants, message, t, services, actor, state)


# ---- preview -----------------------------------------------------------------------------


@router.callback_query(W.variants, Act.filter(F.do == "cw_preview"))
async def preview(
    query: CallbackQuery, actor: Actor, t: Translator, services: Services, state: FSMContext
) -> None:
    """The invitation as residents will read it and what Send will do; the same checks as a
    consultation file's."""
    draft = await _draft(state)
    form = await services.consultations.read_draft(
        actor.uid,
        drafting.form_data(draft),
        Audience.from_json(draft["audience"]),
        draft.get("document"),
    )
    made = await services.consultations.preview(actor.uid, form, actor.locale)
    await query.answer()
    message = shown(query)
    await message.edit_reply_markup(reply_markup=None)
    await state.set_state(ConsultCompose.preview)
    if draft.get("document"):
        await message.answer_document(draft["document"]["file_id"], caption=made.text)
    else:
        await message.answer(made.text)
    text, rows = summary(t, made, back=True)
    await message.answer(text, reply_markup=buttons(*rows))


# ---- bad input -------------------------------------------------------------------------


@router.message(
    StateFilter(W.title, W.intro, W.q_text, W.q_options, W.opens_at, W.closes, W.slot),
    ~F.text.startswith("/"),
)
async def text_expected(message: Message) -> None:
    """A photo, a sticker or a file where words are asked for."""
    raise Invalid("consult.w_text_only")


@router.message(W.document, ~F.text.startswith("/"))
async def document_expected(message: Message) -> None:
    raise Invalid("consult.w_send_document")


@router.message(
    StateFilter(
        W.kind, W.q_required, W.audience, W.regions, W.points, W.opens, W.privacy, W.variants
    ),
    ~F.text.startswith("/"),
)
async def buttons_expected(message: Message) -> None:
    raise Invalid("consult.w_use_buttons")
