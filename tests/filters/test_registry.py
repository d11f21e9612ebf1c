import json

import pytest

from filters import registry
from filters.base import MAX_PRICE, MIN_PRICE, Category, VideoFilter
from filters.params import ParamError


def test_every_category_has_effects() -> None:
    for category in Category:
        assert registry.all_filters(category), category


def test_ids_are_unique_and_namespaced() -> None:
    ids = registry.ids()
    assert len(ids) == len(set(ids))
    for cls in registry.all_filters():
        assert cls.id.startswith(cls.category.value + ".")


def test_descriptions_are_json_and_complete() -> None:
    described = registry.describe_all()
    assert json.loads(json.dumps(described)) == described
    keys = {"id", "name", "category", "version", "premium", "price", "tags", "parameters"}
    for item in described:
        assert keys <= set(item)
        assert item["parameters"], item["id"]


def test_prices() -> None:
    premium = [cls for cls in registry.all_filters() if cls.premium]
    assert premium
    for cls in registry.all_filters():
        if cls.premium:
            assert MIN_PRICE <= cls.price_coins <= MAX_PRICE
        else:
            assert cls.price_coins == 0


def test_spec_effects_exist() -> None:
    expected = {
        "beauty.smooth", "beauty.reshape", "beauty.brighten", "beauty.whiten",
        "makeup.lipstick", "makeup.eyeshadow", "makeup.blush", "makeup.eyeliner",
        "makeup.foundation", "makeup.contour", "ar.landmarks", "ar.mask",
        "ar.animated_sticker", "ar.particles", "color.vintage", "color.warm", "color.cool",
        "color.custom_lut", "background.blur", "background.replace", "background.chroma_key",
        "overlay.sticker", "overlay.text", "voice.pitch", "voice.robot", "voice.echo",
        "voice.reverb",
    }  # fmt: skip
    assert expected <= set(registry.ids())


def test_get_create_validate() -> None:
    lipstick = registry.create("makeup.lipstick", {"color": "#AA0011"})
    assert isinstance(lipstick, VideoFilter)
    assert lipstick.values["color"] == "#aa0011"
    assert registry.validate("beauty.smooth", {})["amount"] == 60.0
    with pytest.raises(registry.UnknownFilter):
        registry.get("nope")
    with pytest.raises(ParamError, match="amount"):
        registry.validate("beauty.smooth", {"amount": 500})
    with pytest.raises(ParamError, match="unknown parameter"):
        registry.validate("beauty.smooth", {"bogus": 1})


def test_update_is_atomic() -> None:
    effect = registry.create("makeup.lipstick")
    with pytest.raises(ParamError):
        effect.update(intensity=10.0, color="nope")
    assert effect.values["intensity"] == 60.0
