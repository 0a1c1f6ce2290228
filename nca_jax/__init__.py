"""Neural cellular automata in JAX: the growing NCA (Mordvintsev et al. 2020) and texture
NCAs (Niklasson et al. 2021), trained with optax Adam or evosax evolution strategies.

    import jax, nca_jax as nca
    target = nca.load_target("carrot", size=9)
    trainer = nca.make_adam(nca.ModelConfig(), nca.AdamConfig(), target)
    result = nca.fit(trainer, jax.random.PRNGKey(0), loop=nca.LoopConfig(max_iterations=300))

Names are imported on first use (``import nca_jax`` computes nothing).
"""

from runio.lazy import exports

__version__ = "0.2.0"

_NAMES = {
    # models
    "ModelConfig": "nca_jax.nca.growing:ModelConfig",
    "growing": "nca_jax.nca.growing",
    "TextureModelConfig": "nca_jax.nca.texture:TextureModelConfig",
    "texture_model": "nca_jax.nca.texture",
    "perception": "nca_jax.nca.perception",
    "fresh_loss": "nca_jax.nca.losses:fresh_loss",
    # targets
    "load_target": "nca_jax.targets.growing:load_target",
    "load_texture": "nca_jax.targets.textures:load_texture",
    # trainers: (init, step, params) triples, and the loop that runs any of them
    "Trainer": "nca_jax.train.base:Trainer",
    "AdamConfig": "nca_jax.train.adam:AdamConfig",
    "make_adam": "nca_jax.train.adam:make",
    "ESConfig": "nca_jax.train.es:ESConfig",
    "make_es": "nca_jax.train.es:make",
    "STRATEGIES": "nca_jax.train.strategies:STRATEGIES",
    "TextureTrainConfig": "nca_jax.train.texture:TextureTrainConfig",
    "make_texture_trainer": "nca_jax.train.texture:make",
    "style_loss": "nca_jax.style.losses:make_style_loss",
    "LoopConfig": "runio.driver:LoopConfig",
    "fit": "runio.driver:train",  # (nca_jax.train is the sub-package)
    "Result": "runio.driver:Result",
    # jobs: what the CLIs run, into a run folder
    "GrowConfig": "nca_jax.jobs.grow:GrowConfig",
    "run_grow": "nca_jax.jobs.grow:run",
    "TextureConfig": "nca_jax.jobs.texture:TextureConfig",
    "run_texture": "nca_jax.jobs.texture:run",
    "BatteryConfig": "nca_jax.robustness.battery:BatteryConfig",
    "run_damage": "nca_jax.jobs.damage:run",
    # run folders
    "Run": "nca_jax.runs:Run",
    "load_run": "nca_jax.runs:load_run",
    "load_runs": "nca_jax.runs:load_runs",
}

__all__ = ["__version__", *_NAMES]
__getattr__, __dir__ = exports(__name__, _NAMES)
