"""The texture score: 0 for the flat image, 1 for another piece of the target, high for an
independent simulation of the same texture, low for another texture."""

import numpy as np
import pytest

from nca_jax.style import score
from nca_jax.style import vgg
from nca_jax.targets.textures import load_texture


@pytest.fixture(scope="module")
def params(tmp_path_factory):
    return vgg.load_vgg16_params(cache=tmp_path_factory.mktemp("vggcache"))


def test_score_is_zero_for_flat_one_for_another_piece_and_low_for_another_texture(params):
    target = load_texture("grayscott:spots", 32, seed=0)
    s = score.scorer(target, params)
    assert s.loss_flat > 10 * s.loss_reference > 0
    assert s.score(score.flat(target)[None]) == pytest.approx(0.0, abs=1e-5)
    assert s.score(score.reference(target)[None]) == pytest.approx(1.0, abs=1e-5)
    # an independent simulation of spots: not calibrated on, still a good piece of spots
    assert s.score(load_texture("grayscott:spots", 32, seed=2)[None]) > 0.7
    assert s.score(target[None]) > 0.99  # the target itself
    assert s.score(load_texture("grayscott:maze", 32, seed=0)[None]) < 0.5
    assert s.score(np.full((1, 32, 32, 3), 0.5, np.float32)) < 0.05  # grey is flat too


def test_reference_flat_and_tile_by_hand():
    rng = np.random.default_rng(0)
    target = rng.uniform(0, 1, (6, 8, 3)).astype(np.float32)
    ref = score.reference(target)
    np.testing.assert_array_equal(ref[3:, 4:], target[:3, :4])
    np.testing.assert_array_equal(ref[:3, :4], target[3:, 4:])
    np.testing.assert_allclose(score.flat(target)[5, 7], target.reshape(-1, 3).mean(0), rtol=1e-6)
    t = score.tile(target[None])
    assert t.shape == (1, 12, 16, 3)
    np.testing.assert_array_equal(t[0, 6:, 8:], target)
