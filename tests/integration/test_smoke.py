from __future__ import annotations

from tests.harness import World


async def test_start_shows_privacy_notice(world: World) -> None:
    alice = world.person("Alice")
    await alice.send("/start")
    assert "Privacy notice" in alice.last_text()
