"""`cpbot … --as <administrator>` acts within that administrator's rights, so the audit log
never shows them doing what they could not do in the bot."""

from __future__ import annotations

from pathlib import Path

from models.tables import Staff
from services.app import Services
from tests.factories import staff
from tests.unit.test_admin_cli import (  # noqa: F401  (fixtures)
    _wired,
    actions,
    county,
    cpbot,
    rows,
    with_services,
)


def test_as_a_regional_administrator_stays_in_their_region(
    county: dict[str, int],  # noqa: F811
    db_path: Path,
) -> None:
    async def seed(services: Services) -> int:
        return (await staff(services, "Ma Lin", "admin", None, region="Yijiang")).tg_id

    regional = with_services(db_path, seed)
    before = actions(db_path)
    result = cpbot("staff", "suspend", str(county["li"]), "--as", str(regional))
    assert result.exit_code != 0
    assert [s.active for s in rows(db_path, Staff) if s.id == county["li"]] == [True]
    assert actions(db_path) == before  # nothing done, nothing recorded in their name
    # The office itself (no --as) acts everywhere, recorded as the system.
    result = cpbot("staff", "suspend", str(county["li"]))
    assert result.exit_code == 0, result.output
    assert actions(db_path)[-1][2] is None
