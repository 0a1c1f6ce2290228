import numpy as np
import pytest
from PIL import Image

from nca_jax.targets.growing import load_target
from runio.errors import ConfigError


@pytest.mark.parametrize("char,name", [("🥕", "carrot"), ("🐰", "rabbit_face"), ("🦎", "lizard")])
def test_emoji_by_character_equals_by_name(char, name):
    a = load_target(char, 9)
    b = load_target(name, 9)
    np.testing.assert_array_equal(a, b)
    assert a.shape == (9, 9, 4) and a.dtype == np.float32
    assert a[..., 3].max() > 0.9 and a[..., 3].min() == 0.0  # opaque inside, empty corners
    assert np.all(a[..., :3] <= a[..., 3:] + 1e-6)  # premultiplied


def test_carrot_is_orange_and_sizes_padding():
    t = load_target("carrot", 15, padding=2)
    assert t.shape == (19, 19, 4)
    assert not t[:2].any() and not t[:, -2:].any()
    opaque = t[..., 3] > 0.9
    r, g, b = (t[..., i][opaque].mean() for i in range(3))
    assert r > g > b  # orange
    assert load_target("rabbit face", 40).shape == (40, 40, 4)


def test_image_file_is_premultiplied(tmp_path):
    px = np.array(
        [[[255, 0, 0, 255], [0, 255, 0, 128], [0, 0, 255, 0]]] * 3, np.uint8
    )
    path = tmp_path / "t.png"
    Image.fromarray(px, "RGBA").save(path)
    t = load_target(str(path), 3)
    np.testing.assert_allclose(t[0, 0], [1, 0, 0, 1], atol=1e-6)
    np.testing.assert_allclose(t[0, 1], [0, 128 / 255, 0, 128 / 255], atol=1e-6)
    np.testing.assert_allclose(t[0, 2], [0, 0, 0, 0], atol=1e-6)
    rgb = tmp_path / "rgb.png"
    Image.fromarray(px[..., :3], "RGB").save(rgb)
    assert np.all(load_target(str(rgb), 3)[..., 3] == 1.0)  # no alpha: opaque


def test_bad_targets_name_the_field(tmp_path):
    with pytest.raises(ConfigError, match="no such emoji name") as e:
        load_target("no such emoji name", 9)
    assert e.value.field == "target"
    junk = tmp_path / "junk.png"
    junk.write_text("not an image")
    with pytest.raises(ConfigError) as e:
        load_target(str(junk), 9)
    assert e.value.field == "target"
    with pytest.raises(ConfigError) as e:
        load_target(str(tmp_path / "missing.png"), 9)
    assert e.value.field == "target"
    with pytest.raises(ConfigError) as e:
        load_target("carrot", 2)
    assert e.value.field == "size"
