import numpy as np

from bench.filters import Sampling, _timed, steady_tail


def test_a_slow_spell_in_one_pass_is_left_out_of_the_steady_tail() -> None:
    wall = np.full((3, 100), 10.0)
    wall[1, 40:44] = 16.0  # the machine ran slow for four frames of one pass
    assert steady_tail(wall) == 1.0
    assert np.percentile(wall, 99) == 16.0


def test_a_frame_slow_in_every_pass_counts_in_the_steady_tail() -> None:
    wall = np.full((3, 100), 10.0)
    wall[:, 70:72] = 15.0  # these frames' content costs more
    wall[0, 70] = 18.0
    assert steady_tail(wall) == 1.5


def test_every_pass_runs_every_frame_in_order() -> None:
    seen: list[int] = []
    wall, cpu = _timed(seen.append, Sampling(frames=4, passes=2))
    assert seen == [0, 1, 2, 3, 4, 5, 6, 7, 8, 5, 6, 7, 8]  # warm-up, then two passes
    assert wall.shape == cpu.shape == (2, 4)
