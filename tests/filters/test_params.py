import json

import pytest

from filters.params import Param, ParamError, ParamType, amount, choice, color, file, hex_to_bgr


def test_numbers_are_range_checked() -> None:
    param = amount("amount", "Amount", 50.0)
    assert param.coerce(0) == 0.0
    assert param.coerce(100) == 100.0
    for bad in (-1, 101, "50", True, float("nan"), 10**400, -(10**400)):
        with pytest.raises(ParamError):
            param.coerce(bad)


def test_int_rejects_fractions() -> None:
    param = Param("n", ParamType.INT, 1, min=0, max=10)
    assert param.coerce(3.0) == 3
    with pytest.raises(ParamError, match="integer"):
        param.coerce(2.5)


def test_colors_choices_files() -> None:
    assert color("c", "C", "#FF0000").coerce("#00FF7f") == "#00ff7f"
    with pytest.raises(ParamError):
        color("c", "C", "#ff0000").coerce("red")
    with pytest.raises(ParamError):
        choice("s", "S", "a", ("a", "b")).coerce("c")
    cube = file("cube", "LUT", "vintage", (".cube",))
    assert cube.coerce("/tmp/x.CUBE") == "/tmp/x.CUBE"
    assert cube.coerce("warm") == "warm"
    with pytest.raises(ParamError):
        cube.coerce("/tmp/x.png")


def test_describe_is_json() -> None:
    described = amount("amount", "Amount", 40.0, "help text").describe()
    assert json.loads(json.dumps(described)) == described
    assert described["min"] == 0.0 and described["max"] == 100.0 and described["neutral"] == 0.0
    assert described["unit"] == "%" and described["type"] == "float"


def test_invalid_default_is_caught_at_declaration() -> None:
    with pytest.raises(ParamError):
        amount("amount", "Amount", 150.0)


def test_hex_to_bgr() -> None:
    assert hex_to_bgr("#102030") == (0x30, 0x20, 0x10)
