"""Every CLI's defaults are the library's: a flag takes its default from the config
dataclass (or, marked as a preset flag, from the library's named preset), the config a CLI
builds from no flags is the library's default config, ``--help`` lists every flag of the
CLI grouped one per line, and importing a CLI runs no JAX (its device options come first)."""

import json
import subprocess
import sys

import pytest

# CLI module, its spec, the library's default config (an expression)
CLIS = {
    "nca_jax.grow": ("SPEC", "nca_jax.jobs.grow.GrowConfig()"),
    "nca_jax.texture": ("SPEC", "nca_jax.jobs.texture.preset()"),
    "nca_jax.damage": ("SPEC", "nca_jax.robustness.battery.BatteryConfig()"),
    "nca_jax.hparam_search": ("SPEC", "nca_jax.hparams.trials.HparamSearchConfig()"),
    "nca_jax.export": ("SPEC", "nca_jax.jobs.export.ExportConfig(checkpoints=('x',))"),
    "ca_search.search": ("search_flags.SEARCH", "ca_search.search_config.SearchConfig()"),
    "ca_search.table1": ("search_flags.TABLE1", "ca_search.search_config.SearchConfig()"),
    "ca_search.evaluate": ("SPEC", "ca_search.measure.MeasureConfig()"),
    "ca_search.leaderboard": ("SPEC", "ca_search.jobs.leaderboard.LeaderboardConfig()"),
}

PROBE = r"""
import importlib, json, sys
name, spec_name, default = sys.argv[1:4]
module = importlib.import_module(name)
import jax._src.xla_bridge as xb
ran_jax = bool(xb._backends)
from absl import flags
from runio import flagdefs
import ca_search, nca_jax  # noqa: F401  (the default expressions' packages)
spec = module
for part in spec_name.split("."):
    spec = getattr(spec, part)
flags.FLAGS(["prog"] + [f"--{n}=x" for n in ("out", "checkpoint") if n in flags.FLAGS])
fixed = {"checkpoints": ("x",)} if name.endswith("export") else {}
base = module.preset() if name.endswith("texture") else None
built = spec.build(base, **fixed)
importlib.import_module(default.rsplit(".", 2)[0] if "(" in default else default)
expected = eval(default, {"nca_jax": nca_jax, "ca_search": ca_search,
                          **{k: importlib.import_module(k) for k in (
                              "nca_jax.jobs.grow", "nca_jax.jobs.texture", "nca_jax.jobs.export",
                              "nca_jax.robustness.battery", "nca_jax.hparams.trials",
                              "ca_search.search_config", "ca_search.measure",
                              "ca_search.jobs.leaderboard")}})
ours = {n for n, m in flags.FLAGS.flags_by_module_dict().items()
        if m and n in (name, "runio.flagdefs", "ca_search.search_flags")}
defined = {f.name for n in ours for f in flags.FLAGS.flags_by_module_dict()[n]}
listed = {f.name for f in spec.flags}
lines = spec.help().splitlines()
print(json.dumps({"ran_jax": ran_jax, "bad": flagdefs.check_defaults(spec),
                  "same": built == expected, "built": repr(built), "expected": repr(expected),
                  "unlisted": sorted(defined - listed), "lines": len(lines), "flags": len(listed), "defined": len(defined),
                  "groups": sum(not l.startswith(" ") for l in lines)}))
"""


@pytest.mark.parametrize("name", list(CLIS))
def test_cli_defaults_are_the_librarys_and_help_lists_every_flag(name):
    spec, default = CLIS[name]
    done = subprocess.run([sys.executable, "-c", PROBE, name, spec, default],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    r = json.loads(done.stdout.strip().splitlines()[-1])
    assert r["bad"] == [], r["bad"]
    assert r["same"], (r["built"], r["expected"])
    assert r["unlisted"] == [] and r["defined"] == r["flags"]  # help lists each, once
    assert r["groups"] >= 1 and r["lines"] == r["groups"] + r["flags"]  # a line per flag
    if name.startswith("nca_jax"):
        assert not r["ran_jax"], "importing the CLI ran JAX before its device options"


def test_the_texture_presets_differ_from_the_defaults_only_in_preset_fields():
    import dataclasses

    from nca_jax.jobs import texture

    def flat(c, prefix=""):
        out = {}
        for k, v in dataclasses.asdict(c).items():
            if isinstance(v, dict):
                out.update({f"{k}.{kk}": vv for kk, vv in v.items()})
            else:
                out[k] = v
        return out

    preset_fields = {"train_steps", "model.hidden", "train.lr", "train.batch_size",
                     "train.pool_size", "train.reset_every", "train.decay_steps",
                     "train.optimizer", "model.kind"}
    base = flat(texture.TextureConfig())
    assert flat(texture.preset()) == base  # the class defaults are Adam's preset
    for optimizer in ("adam", "es"):
        for model in ("niklasson", "srnca"):
            p = flat(texture.preset(optimizer, model))
            assert {k for k in p if p[k] != base[k]} <= preset_fields
    es = texture.preset("es")
    assert (es.train_steps, es.model.hidden, es.train.batch_size, es.train.pool_size,
            es.train.reset_every, es.train.lr) == (5000, 48, 1, 64, 16, 3e-3)
    assert texture.preset("adam", "srnca").train.lr == 1e-3
    assert texture.preset(lr_schedule="constant").train.decay_steps == 0
