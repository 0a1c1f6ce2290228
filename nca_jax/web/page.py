"""Write the interactive page of trained NCAs: ``index.html`` and ``nca.js`` (package
files) and ``models.js`` (every model's weights and test vector, as a script, so the page
opens straight from disk: browsers refuse to fetch a JSON file beside a ``file://`` page).
"""

from __future__ import annotations

import json
import shutil
from importlib import resources
from pathlib import Path

from nca_jax.web import model as web_model

FILES = ("index.html", "nca.js")
PREFIX = "window.NCA_MODELS = "  # models.js: this, the models as JSON, ";"


def write(models: list[web_model.PageModel], out: str | Path) -> Path:
    """The page for ``models`` in folder ``out`` (created); returns ``out/index.html``."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    static = resources.files("nca_jax.web") / "static"
    for name in FILES:
        with resources.as_file(static / name) as src:
            shutil.copyfile(src, out / name)
    specs = [web_model.describe(m) for m in models]
    (out / "models.js").write_text(PREFIX + json.dumps(specs) + ";\n")
    return out / "index.html"
