"""Consultation results (issue 15): a chart per choice and scale question drawn by the monthly
report's helpers with words from the catalogs, free-text answers grouped into themes as the
weekly digest groups cases, with masked excerpts; matplotlib and scikit-learn stay unloaded
until a result is shown."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from services.app import Services
from services.consultations import results
from services.texts import Texts
from tests.unit.test_consultations import county, opened, services  # noqa: F401

ROOT = Path(__file__).resolve().parents[2]

LAMPS = [
    "The street lamps near the school are broken",
    "Broken street lamps by the school gate, it is dark",
    "Please repair the lamps near the school",
]
BENCHES = ["More benches in the park for old people", "We need benches in the park"]


def test_free_text_answers_group_into_themes_with_masked_excerpts() -> None:
    texts = [*LAMPS, *BENCHES, "Call me on 13812345678, Zhang San, about the school lamps"]
    found = results.themes([*texts, "Parking fees are too high"], names=["Zhang San"])
    sizes = sorted(theme["size"] for theme in found["themes"])
    assert sizes == [2, 4]  # the lamps (with the masked one) and the benches
    lamps = next(theme for theme in found["themes"] if theme["size"] == 4)
    assert "lamp" in lamps["words"] and "school" in lamps["words"]
    assert 2 <= len(lamps["excerpts"]) <= 3
    every = json.dumps(found, ensure_ascii=False)
    assert "13812345678" not in every and "Zhang" not in every
    assert found["alone"] == 1 and found["grouped"] == 7


def test_chinese_answers_group_too() -> None:
    found = results.themes(
        ["学校门口的路灯坏了", "路灯坏了晚上很黑", "公园需要更多长椅", "公园的长椅太少，需要长椅"]
    )
    assert sorted(theme["size"] for theme in found["themes"]) == [2, 2]


def test_no_text_answers_no_themes() -> None:
    assert results.themes(["", "  "]) == {"themes": [], "alone": 0, "grouped": 0}


async def test_results_show_charts_and_themes_in_the_readers_language(
    services: Services,  # noqa: F811
    county: dict,  # noqa: F811
) -> None:
    consult, cid = await opened(services, county["cadre"])
    people = [county["en"], county["zh"]]
    for person, text in zip(people, LAMPS[:2], strict=True):
        await consult.submit(person.user_id, cid, {"0": 0, "1": [0, 1], "2": 4, "4": text})
    view = await consult.results_view(county["cadre"].user_id, cid, "en", charts=True)
    names = [c.name for c in view.charts]
    assert names == ["q01", "q02", "q03"]  # single, multiple, scale; not number or text
    assert all(c.png.startswith(b"\x89PNG") for c in view.charts)
    first, _, scale = view.charts
    assert first.labels == ["Lamps", "Benches", "Trees"]
    assert first.series["Answers"] == [2.0, 0.0, 0.0]
    assert first.title.startswith("1. What first?")
    assert scale.labels == ["1 of 5", "2 of 5", "3 of 5", "4 of 5", "5 of 5"]
    assert scale.series["Answers"] == [0.0, 0.0, 0.0, 2.0, 0.0]
    assert "Theme 1:" in view.text and "2 answers" in view.text
    assert "«" in view.text
    zh = await consult.results_view(county["admin"].user_id, cid, "zh_Hans", charts=True)
    assert zh.charts[0].labels == ["路灯", "长椅", "树木"]
    assert zh.charts[2].labels[0] == "1 分" and "回答数" in zh.charts[0].series
    assert "主题1" in zh.text
    # Without the flag nothing is drawn (the CLI's text).
    assert (await consult.results_view(None, cid, "en")).charts == []


async def test_a_question_nobody_answered_has_an_empty_chart(
    services: Services,  # noqa: F811
    county: dict,  # noqa: F811
) -> None:
    consult, cid = await opened(services, county["cadre"])
    await consult.submit(county["en"].user_id, cid, {"0": 1, "2": 2})
    view = await consult.results_view(county["cadre"].user_id, cid, "en", charts=True)
    assert view.charts[0].series["Answers"] == [0.0, 1.0, 0.0]
    assert view.charts[1].series == {}  # the optional multiple choice: "No answers yet"


def test_the_bundled_font_has_every_character_the_consultation_charts_use() -> None:
    from matplotlib.ft2font import FT2Font

    from services.posters import BUNDLED_FONT

    texts = Texts()
    charmap = FT2Font(str(BUNDLED_FONT)).get_charmap()
    keys = ("consult.chart_answers", "consult.chart_axis", "consult.chart_none")
    keys += ("consult.chart_polls", "consult.chart_polls_axis", "consult.chart_polls_none")
    keys += ("consult.chart_polls_axis_anonymous", "consult.chart_polls_title")
    for key in keys:
        for ch in texts("zh_Hans", key, count=12, groups=2, question="问题"):
            if not ch.isspace():
                assert ord(ch) in charmap, (key, ch)
    assert all(ord(ch) in charmap for ch in texts("zh_Hans", "consult.chart_scale", value=3))


@pytest.mark.parametrize("module", ["services.consultations", "handlers.consultations"])
def test_results_code_loads_neither_matplotlib_nor_scikit_learn(module: str) -> None:
    probe = f"import sys, json, {module}; print(json.dumps(sorted(sys.modules)))"
    done = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=ROOT,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    loaded = {m.split(".")[0] for m in json.loads(done.stdout.strip().splitlines()[-1])}
    assert not loaded & {"matplotlib", "sklearn", "jieba", "scipy"}
