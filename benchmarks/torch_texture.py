"""A PyTorch twin of the texture NCA and its training step, for ``benchmarks.texture_speed``.

The same model as :mod:`nca_jax.nca.texture` (Niklasson kind: fixed kernels with circular
padding, filter-major perception, hidden layer with bias and ReLU, output without bias,
one update draw per cell, image = RGB + 0.5), the same loss as
:mod:`nca_jax.style.losses` (VGG16 Gram matrices at relu1_1 … relu5_1, optionally with
circular padding in every conv, plus the overflow penalty) and the same step as
:func:`nca_jax.train.texture.adam_step` (a batch from a pool, a random rollout length,
per-variable gradient normalisation, Adam). Weights are copied from the JAX model, so
both compute the same loss on the same input and masks (checked before timing).
Not library code: the texture study's stack, to measure ours against.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from nca_jax.style import vgg as jvgg

STYLE_CONVS = (0, 2, 4, 7, 10)  # relu1_1, relu2_1, relu3_1, relu4_1, relu5_1


def _t(a) -> torch.Tensor:
    return torch.from_numpy(np.array(a, np.float32))


class TextureNCA(torch.nn.Module):
    """Channels-last state ``(B, H, W, C)``, as the JAX model."""

    def __init__(self, params, kernels: np.ndarray, channels: int, update_rate: float):
        super().__init__()
        self.c, self.rate = channels, update_rate
        n_filters = kernels.shape[0]
        # depthwise conv weight (C * F, 1, 3, 3): output c * F + f is kernel f on channel c
        w = np.tile(kernels[None], (channels, 1, 1, 1)).reshape(channels * n_filters, 1, 3, 3)
        self.register_buffer("kernels", _t(w))
        self.n_filters = n_filters
        self.w1 = torch.nn.Parameter(_t(params["hidden"]["kernel"]))
        self.b1 = torch.nn.Parameter(_t(params["hidden"]["bias"]))
        self.w2 = torch.nn.Parameter(_t(params["out"]["kernel"]))

    def perceive(self, x: torch.Tensor) -> torch.Tensor:
        b, h, w, c = x.shape
        y = F.conv2d(F.pad(x.permute(0, 3, 1, 2), (1, 1, 1, 1), mode="circular"),
                     self.kernels, groups=c)  # (B, C*F, H, W), channel-major
        y = y.reshape(b, c, self.n_filters, h, w).transpose(1, 2)  # filter-major
        return y.reshape(b, self.n_filters * c, h, w).permute(0, 2, 3, 1)

    def step(self, x: torch.Tensor, fire: torch.Tensor) -> torch.Tensor:
        dx = torch.relu(self.perceive(x) @ self.w1 + self.b1) @ self.w2
        return x + dx * fire

    def rollout(self, x: torch.Tensor, fires) -> torch.Tensor:
        for fire in fires:
            x = self.step(x, fire)
        return x


class VGGGramLoss(torch.nn.Module):
    """Gatys' style loss on ImageNet VGG16 (the same weights as the JAX loss)."""

    def __init__(self, vgg_params: dict, target: np.ndarray, periodic: bool):
        super().__init__()
        self.periodic = periodic
        convs = vgg_params["params"]
        self.weights = [(_t(np.transpose(np.asarray(convs[f"Conv_{i}"]["kernel"]), (3, 2, 0, 1))),
                         _t(convs[f"Conv_{i}"]["bias"])) for i in range(max(STYLE_CONVS) + 1)]
        self.mean = torch.tensor(jvgg.IMAGENET_MEAN).view(1, 3, 1, 1)
        self.std = torch.tensor(jvgg.IMAGENET_STD).view(1, 3, 1, 1)
        with torch.no_grad():
            self.target = self.grams(_t(target)[None])

    def grams(self, images: torch.Tensor) -> list[torch.Tensor]:
        x = (images.permute(0, 3, 1, 2) - self.mean) / self.std
        out, i = [], 0
        for b, block in enumerate(jvgg.BLOCKS):
            if b > 0:
                x = F.max_pool2d(x, 2)
            for _ in block:
                w, bias = self.weights[i]
                if self.periodic:
                    x = F.conv2d(F.pad(x, (1, 1, 1, 1), mode="circular"), w, bias)
                else:
                    x = F.conv2d(x, w, bias, padding=1)
                x = torch.relu(x)
                if i in STYLE_CONVS:
                    n = x.shape[2] * x.shape[3]
                    f = x.flatten(2)
                    out.append(f @ f.transpose(1, 2) / n)
                if i == max(STYLE_CONVS):
                    return out
                i += 1
        raise AssertionError("unreachable")

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return sum(((g - t) ** 2).mean(dim=(1, 2)) for g, t in zip(self.grams(images),
                                                                 self.target))


def overflow(x: torch.Tensor) -> torch.Tensor:
    return (x - x.clamp(-1.0, 1.0)).abs().sum(dim=(1, 2, 3))


def batch_loss(model: TextureNCA, style: VGGGramLoss, x, fires, overflow_weight: float):
    y = model.rollout(x, fires)
    loss = style(y[..., :3] + 0.5) + overflow_weight * overflow(y)
    return loss.mean(), y


class Trainer:
    """The JAX Adam step's twin: pool batch (item 0 a fresh seed), rollout length uniform in
    ``[lo, hi]``, per-variable gradient normalisation, Adam."""

    def __init__(self, model: TextureNCA, style: VGGGramLoss, hw, lr: float, batch: int,
                 lo: int, hi: int, pool_size: int, overflow_weight: float, seed: int = 0):
        self.model, self.style, self.batch = model, style, batch
        self.lo, self.hi, self.overflow_weight = lo, hi, overflow_weight
        self.gen = torch.Generator().manual_seed(seed)
        self.pool = torch.zeros(pool_size, *hw, model.c)
        self.opt = torch.optim.Adam(model.parameters(), lr=lr)

    def step(self) -> float:
        idx = torch.randint(0, self.pool.shape[0], (self.batch,), generator=self.gen)
        x = self.pool[idx].clone()
        x[0] = 0.0  # a fresh seed
        n = int(torch.randint(self.lo, self.hi + 1, (), generator=self.gen))
        b, h, w, _ = x.shape
        fires = [(torch.rand(b, h, w, 1, generator=self.gen) < self.model.rate).float()
                 for _ in range(n)]
        self.opt.zero_grad()
        loss, y = batch_loss(self.model, self.style, x, fires, self.overflow_weight)
        loss.backward()
        with torch.no_grad():
            for p in self.model.parameters():
                p.grad /= p.grad.norm() + 1e-8
        self.opt.step()
        self.pool[idx] = y.detach()
        return float(loss)
