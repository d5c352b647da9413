"""services/tipoffs is a package split by what its users know (issue 17): each part small, and
the names the rest of the code uses handed on by the package."""

from __future__ import annotations

from pathlib import Path

import services.tipoffs as tipoffs

PACKAGE = Path(tipoffs.__file__).parent


def test_each_part_is_small_and_named_for_what_it_holds() -> None:
    parts = {p.stem: len(p.read_text(encoding="utf-8").splitlines()) for p in PACKAGE.glob("*.py")}
    for wanted in ("routing", "anonymity", "relaying", "acknowledgement"):
        assert wanted in parts
    assert max(parts.values()) <= 500, parts


def test_the_package_hands_on_the_names_others_use() -> None:
    for name in ("TipOffs", "TipView", "tipoff_card", "choose_inspector"):
        assert hasattr(tipoffs, name)
    # Handlers, the scheduler and staff changes reach every use case through TipOffs.
    assert {"file", "by_receipt", "reply", "accept", "close", "route_waiting"} <= set(
        dir(tipoffs.TipOffs)
    )
