"""The studio's video effect chain as other parts of the studio change it: every change of
which effects are on reaches the listeners (the effects panel follows the keep-up banner's
"Turn off effects"), and copies for measuring leave the chain's own effects alone."""

from __future__ import annotations

from studio.core.effects_chain import EffectsChain


def test_listeners_hear_every_change_of_the_enabled_set() -> None:
    chain = EffectsChain()
    heard: list[list[str]] = []
    chain.on_change(lambda: heard.append(chain.enabled))
    chain.set_enabled("beauty.smooth", True)
    chain.set_enabled("beauty.smooth", True)  # no change, nothing to hear
    chain.set_enabled("color.cinematic", True)
    chain.switch_all_off()
    chain.switch_all_off()
    assert heard == [["beauty.smooth"], ["beauty.smooth", "color.cinematic"], []]
    chain.close()


def test_copies_are_fresh_effects_with_the_same_values() -> None:
    chain = EffectsChain()
    chain.set_enabled("beauty.smooth", True)
    chain.set_value("beauty.smooth", "amount", 0.25)
    (copy,) = chain.copies()
    assert copy.id == "beauty.smooth" and copy.values == chain.values("beauty.smooth")
    assert copy is not chain.pipeline.filters[0]
    chain.close()
