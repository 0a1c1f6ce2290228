import imageio.v3 as iio
import numpy as np
import pytest

from nca_jax.targets import grayscott
from nca_jax.targets.textures import check_texture, load_texture
from runio.errors import ConfigError


def test_image_center_crop_exact(tmp_path):
    img = np.random.default_rng(0).integers(0, 256, (60, 80, 3), dtype=np.uint8)
    path = tmp_path / "t.png"
    iio.imwrite(path, img)
    got = load_texture(str(path), 60)
    assert got.shape == (60, 60, 3) and got.dtype == np.float32
    np.testing.assert_allclose(got, img[:, 10:70] / 255.0, atol=1e-6)


def test_image_resized_keeps_colour(tmp_path):
    img = np.zeros((100, 120, 3), np.uint8)
    img[..., 0], img[..., 1], img[..., 2] = 255, 128, 0
    path = tmp_path / "c.png"
    iio.imwrite(path, img)
    got = load_texture(path, (32, 48))
    assert got.shape == (32, 48, 3)
    np.testing.assert_allclose(got, np.broadcast_to([1.0, 128 / 255, 0.0], got.shape), atol=1e-3)


def test_grey_and_rgba(tmp_path):
    grey = np.full((20, 20), 51, np.uint8)
    iio.imwrite(tmp_path / "g.png", grey)
    np.testing.assert_allclose(load_texture(tmp_path / "g.png", 20), 0.2, atol=1e-6)
    rgba = np.zeros((20, 20, 4), np.uint8)
    rgba[..., 0] = 255
    rgba[:, :10, 3] = 255  # left half opaque red, right half transparent -> white
    iio.imwrite(tmp_path / "a.png", rgba)
    got = load_texture(tmp_path / "a.png", 20)
    np.testing.assert_allclose(got[:, :10], np.broadcast_to([1, 0, 0], (20, 10, 3)), atol=1e-6)
    np.testing.assert_allclose(got[:, 10:], 1.0, atol=1e-6)


def test_grayscott_spec_matches_simulator():
    got = load_texture("grayscott:maze", 32, seed=3)
    np.testing.assert_array_equal(got, grayscott.texture("maze", 32, seed=3))


def test_bad_inputs(tmp_path):
    small = tmp_path / "small.png"
    iio.imwrite(small, np.zeros((30, 50, 3), np.uint8))
    with pytest.raises(ConfigError, match="smaller than the 32x32 grid"):
        load_texture(small, 32)
    text = tmp_path / "notes.png"
    text.write_text("this is not an image\n")
    with pytest.raises(ConfigError, match="cannot read an image from"):
        load_texture(text, 16)
    with pytest.raises(ConfigError, match="neither an image file, grayscott"):
        load_texture(tmp_path / "missing.png", 16)
    with pytest.raises(ConfigError, match="unknown Gray-Scott preset 'dots'"):
        load_texture("grayscott:dots", 16)
    with pytest.raises(ConfigError, match="empty"):
        load_texture("  ", 16)
    with pytest.raises(ConfigError, match="positive"):
        load_texture("grayscott:spots", 0)


def test_check_refuses_what_load_refuses_without_simulating(tmp_path, monkeypatch):
    def no_simulation(*args, **kwargs):
        raise AssertionError("check_texture simulated")

    monkeypatch.setattr(grayscott, "simulate", no_simulation)
    for spec, words in [("grayscott:dots", "unknown Gray-Scott preset 'dots'"),
                        (str(tmp_path / "missing.png"), "neither an image file, grayscott"),
                        ("  ", "empty")]:
        with pytest.raises(ConfigError, match=words) as e:
            check_texture(spec, field="textures")
        assert e.value.field == "textures"
    iio.imwrite(tmp_path / "ok.png", np.zeros((8, 8, 3), np.uint8))
    for spec in ("grayscott:spots", "paving", str(tmp_path / "ok.png")):
        check_texture(spec)  # accepted


def test_the_shipped_paving_texture_is_the_generator_s_output_and_loads_by_name():
    from nca_jax.targets import paving

    shipped = iio.imread(paving.PATH)
    np.testing.assert_array_equal(shipped, paving.paving())
    img = load_texture("paving", 32)
    assert img.shape == (32, 32, 3) and img.dtype == np.float32
    assert 0.05 < img.std() and 0 <= img.min() and img.max() <= 1  # a texture, not flat
