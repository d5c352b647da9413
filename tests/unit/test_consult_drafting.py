"""The step-by-step composer's rules (services/consultations/drafting.py): each typed step
checked, a variant's fields in order, the quick deadlines in the point's zone, and a draft
read by the same checks as a consultation file."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from services.consultations import drafting, parse_form
from services.consultations.form import form_from_data
from services.errors import Invalid
from services.fanout.audience import Audience

NOW = datetime(2026, 3, 1, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai


def draft() -> dict:
    made = drafting.new_draft("en")
    made["title"]["en"] = "Lamps"
    made["intro_html"]["en"] = "<b>200,000</b> yuan"
    made["questions"] = [
        {"kind": "single", "required": True, "text": {"en": "What?"},
         "options": {"en": ["A", "B"]}},
        {"kind": "text", "required": False, "text": {"en": "Else?"}, "options": {}},
    ]  # fmt: skip
    made["closes"] = "2026-03-08 18:00"
    return made


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("A", "consult.w_options_bad"),
        ("\n".join("abcdefghijk"), "consult.w_options_bad"),
        ("A\n" + "x" * 61, "consult.w_options_bad"),
        ("Lamps\n lamps ", "consult.w_options_twice"),
    ],
)
def test_bad_options_are_refused(text: str, key: str) -> None:
    with pytest.raises(Invalid) as refused:
        drafting.check_options(text)
    assert refused.value.key == key


def test_good_input_is_tidied() -> None:
    assert drafting.check_options("  Lamps \n\n Benches  ") == ["Lamps", "Benches"]
    assert drafting.check_title("  Street   lamps ") == "Street lamps"
    with pytest.raises(Invalid):
        drafting.check_title("")
    with pytest.raises(Invalid):
        drafting.check_intro("x" * 601, with_document=True)
    assert drafting.check_intro("x" * 601, with_document=False)


def test_a_variant_fills_every_field_in_order_with_as_many_options() -> None:
    made = draft()
    assert drafting.slots(made) == [("title", 0), ("intro", 0), ("text", 0), ("options", 0),
                                    ("text", 1)]  # fmt: skip
    with pytest.raises(Invalid) as refused:
        drafting.fill_slot(made, ("options", 0), "zh_Hans", "甲")
    assert refused.value.key == "consult.w_options_count"
    drafting.fill_slot(made, ("options", 0), "zh_Hans", "甲\n乙")
    drafting.fill_slot(made, ("title", 0), "zh_Hans", "路灯")
    assert drafting.has_variant(made, "zh_Hans")
    drafting.drop_variant(made, "zh_Hans")
    assert (
        not drafting.has_variant(made, "zh_Hans")
        and "zh_Hans" not in made["questions"][0]["options"]
    )


def test_quick_deadlines_are_at_six_in_the_evening_at_the_point() -> None:
    assert drafting.quick_deadline(7, None, NOW, "Asia/Shanghai") == "2026-03-08 18:00"
    opens = datetime(2026, 3, 10, 1, 0, tzinfo=UTC)
    assert drafting.quick_deadline(3, opens, NOW, "Asia/Shanghai") == "2026-03-13 18:00"


def test_a_draft_goes_through_the_checks_of_a_file() -> None:
    made = draft()
    made["document"] = {"file_id": "F1", "name": "draft.pdf"}
    form = form_from_data(
        drafting.form_data(made), "en", "Asia/Shanghai", NOW,
        audience=Audience("all"), document=made["document"],
    )  # fmt: skip
    assert form.intro == {"en": "<b>200,000</b> yuan"}  # HTML kept as Telegram gave it
    assert [q.kind for q in form.questions] == ["single", "text"]
    assert form.document == {"file_id": "F1", "name": "draft.pdf"}
    made["closes"] = "2026-02-01 18:00"
    with pytest.raises(Invalid):
        form_from_data(drafting.form_data(made), "en", "Asia/Shanghai", NOW, audience=Audience())


def test_a_file_cannot_smuggle_raw_html_into_the_introduction() -> None:
    source = (
        'title = "T"\nintro = "plain"\nintro_html = { en = "<script>x</script>" }\n'
        'closes = "2026-03-20 18:00"\n[[questions]]\nkind = "text"\ntext = "Q"\n'
    )
    form = parse_form(source, "en", "Asia/Shanghai", NOW)
    assert "script" not in str(form.intro)
