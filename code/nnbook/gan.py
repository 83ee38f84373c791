"""Generative adversarial networks: a generator and a discriminator trained against each other.

The generator turns random noise into samples; the discriminator scores how real a sample looks.
The adversarial loop (:func:`train_gan`) alternates one step of each, so it is its own algorithm
and lives here rather than in :mod:`nnbook.engine.fit`. All its randomness (noise, real batches)
comes from one seeded CPU generator, so a run on the CPU is reproducible bit for bit.

Two targets: a ring of Gaussian modes in the plane, where samples can be watched and measured
(:func:`mmd2`, :func:`mode_report`), and Fashion-MNIST.
"""

from __future__ import annotations

import copy
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from nnbook.engine.device import get_device, seeded
from nnbook.engine.plan import Plan, using_threads
from nnbook.engine.runs import (EntryError, RunRecord, RunStore, Trained, cached_run,
                               check_tensors, config_dict, expect_state, requested_plan,
                               state_tensors)
from nnbook.engine.tensor_data import tensor_digest

RealSampler = Callable[[int, torch.Generator], torch.Tensor]


@dataclass(frozen=True)
class GANConfig:
    """Hyperparameters of one adversarial run."""

    steps: int = 3000  # generator updates (each after one discriminator update)
    batch_size: int = 256
    latent_dim: int = 8  # size of the noise vector z fed to the generator
    hidden: int = 128  # width of the hidden layers
    lr_g: float = 1e-3
    lr_d: float = 1e-3
    beta1: float = 0.5  # Adam's first-moment decay; 0.5 is the usual choice for GANs
    seed: int = 0
    snapshot_every: int = 250  # steps between snapshots of the generator's samples
    n_snapshot: int = 1000  # samples per snapshot (drawn from one fixed noise batch)


# ---------------------------------------------------------------------------------------------
# The two-dimensional target


@dataclass(frozen=True)
class RingTarget:
    """``n_modes`` Gaussian blobs of width ``std`` evenly spaced on a circle of ``radius``."""

    n_modes: int = 8
    radius: float = 2.0
    std: float = 0.05

    @property
    def centres(self) -> torch.Tensor:
        angles = 2 * math.pi * torch.arange(self.n_modes, dtype=torch.float64) / self.n_modes
        return (self.radius * torch.stack([angles.cos(), angles.sin()], dim=1)).float()  # (n_modes, 2)

    def sample(self, n: int, generator: torch.Generator) -> torch.Tensor:
        """``n`` points (n, 2): a mode chosen uniformly, plus Gaussian noise."""
        modes = torch.randint(self.n_modes, (n,), generator=generator)
        return self.centres[modes] + self.std * torch.randn(n, 2, generator=generator)


class RingGenerator(nn.Module):
    """Noise z (B, latent_dim) -> a point (B, 2)."""

    def __init__(self, latent_dim: int = 8, hidden: int = 128):
        super().__init__()
        self.latent_dim = latent_dim
        self.net = nn.Sequential(
            nn.Linear(latent_dim, hidden), nn.ReLU(),
            nn.Linear(hidden, hidden), nn.ReLU(),
            nn.Linear(hidden, 2),
        )

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(z)


class RingDiscriminator(nn.Module):
    """A point (B, 2) -> one logit (B,): high for "real"."""

    def __init__(self, hidden: int = 128):
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(2, hidden), nn.LeakyReLU(0.2),
            nn.Linear(hidden, hidden), nn.LeakyReLU(0.2),
            nn.Linear(hidden, 1),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x).squeeze(1)


# ---------------------------------------------------------------------------------------------
# The adversarial loop


@dataclass
class GANHistory:
    """Losses per step and the generator's samples at regular steps."""

    config: dict
    d_losses: list[float] = field(default_factory=list)
    g_losses: list[float] = field(default_factory=list)
    snapshot_steps: list[int] = field(default_factory=list)
    snapshots: torch.Tensor | None = None  # (S, n_snapshot, ...) samples from one fixed noise batch
    wall_time: float = 0.0
    device: str = "cpu"


def train_gan(
    generator: nn.Module,
    discriminator: nn.Module,
    sample_real: RealSampler,
    config: GANConfig,
    *,
    device: torch.device | None = None,
) -> GANHistory:
    """Train both networks in place, alternating one discriminator and one
    generator step.

    The discriminator minimises binary cross-entropy with real samples labelled
    1 and generated ones 0; the generator minimises the *non-saturating* loss,
    cross-entropy with its samples labelled 1, as Goodfellow et al. recommend.
    Snapshots are taken at step 0 (before training), every ``snapshot_every``
    steps and at the end, always from the same noise.
    """
    device = device if device is not None else get_device()
    generator.to(device).train()
    discriminator.to(device).train()
    rng = torch.Generator(device="cpu").manual_seed(config.seed)
    opt_g = torch.optim.Adam(
        generator.parameters(), lr=config.lr_g, betas=(config.beta1, 0.999)
    )
    opt_d = torch.optim.Adam(
        discriminator.parameters(), lr=config.lr_d, betas=(config.beta1, 0.999)
    )
    fixed_z = torch.randn(
        config.n_snapshot, config.latent_dim, generator=rng
    ).to(device)
    ones = torch.ones(config.batch_size, device=device)
    zeros = torch.zeros(config.batch_size, device=device)
    history = GANHistory(config=asdict(config), device=device.type)
    snapshots, d_losses, g_losses = [], [], []

    def snapshot(step: int) -> None:
        generator.eval()
        with torch.no_grad():
            snapshots.append(generator(fixed_z).cpu())
        generator.train()
        history.snapshot_steps.append(step)

    start = time.perf_counter()
    snapshot(0)
    for step in range(1, config.steps + 1):
        real = sample_real(config.batch_size, rng).to(device)
        z = torch.randn(config.batch_size, config.latent_dim, generator=rng).to(
            device
        )
        fake = generator(z)
        # Discriminator: tell real (1) from generated (0).
        # detach: this step leaves G alone.
        d_loss = F.binary_cross_entropy_with_logits(
            discriminator(real), ones
        ) + F.binary_cross_entropy_with_logits(
            discriminator(fake.detach()), zeros
        )
        opt_d.zero_grad(set_to_none=True)
        d_loss.backward()
        opt_d.step()
        # Generator: make the updated discriminator call its samples real.
        g_loss = F.binary_cross_entropy_with_logits(discriminator(fake), ones)
        opt_g.zero_grad(set_to_none=True)
        g_loss.backward()
        opt_g.step()
        d_losses.append(d_loss.detach())
        g_losses.append(g_loss.detach())
        if step % config.snapshot_every == 0 or step == config.steps:
            snapshot(step)
    history.wall_time = time.perf_counter() - start
    history.d_losses = torch.stack(d_losses).cpu().tolist()
    history.g_losses = torch.stack(g_losses).cpu().tolist()
    history.snapshots = torch.stack(snapshots)
    generator.eval()
    discriminator.eval()
    return history


@torch.no_grad()
def generate(generator: nn.Module, n: int, seed: int = 0) -> torch.Tensor:
    """``n`` fresh samples from the generator, on the CPU, from seeded noise."""
    param = next(generator.parameters())
    rng = torch.Generator(device="cpu").manual_seed(seed)
    z = torch.randn(n, generator.latent_dim, generator=rng).to(param.device)
    generator.eval()
    return generator(z).cpu()


# ---------------------------------------------------------------------------------------------
# How close are the samples to the target?


def mmd2(X: torch.Tensor, Y: torch.Tensor, bandwidths: tuple[float, ...] = (0.05, 0.2, 1.0)) -> float:
    """Squared maximum mean discrepancy between two samples (rows), with a sum of Gaussian
    kernels of the given widths: zero when the two samples coincide, larger the more their
    distributions differ. The biased (V-statistic) estimate of Gretton et al."""
    X, Y = X.double().flatten(1), Y.double().flatten(1)

    def k(A: torch.Tensor, B: torch.Tensor) -> torch.Tensor:
        d2 = torch.cdist(A, B).pow(2)
        return sum(torch.exp(-d2 / (2 * h * h)) for h in bandwidths)

    return float(k(X, X).mean() + k(Y, Y).mean() - 2 * k(X, Y).mean())


@dataclass(frozen=True)
class ModeReport:
    """Where generated points fall with respect to the modes of a :class:`RingTarget`."""

    counts: tuple[int, ...]  # points within ``n_std`` widths of each mode
    share_near: float  # share of all points near some mode ("high-quality" samples)
    modes_covered: int  # modes holding at least a fifth of the points a fair share would give
    n_modes: int

    @property
    def collapsed(self) -> bool:
        """Whether the generator misses modes: the sign of mode collapse."""
        return self.modes_covered < self.n_modes


def mode_report(samples: torch.Tensor, target: RingTarget, n_std: float = 3.0) -> ModeReport:
    """Assign each point to its nearest mode if it lies within ``n_std`` standard deviations."""
    d = torch.cdist(samples.float(), target.centres)  # (n, n_modes)
    nearest = d.argmin(dim=1)
    near = d.min(dim=1).values <= n_std * target.std
    counts = torch.bincount(nearest[near], minlength=target.n_modes)
    fair = len(samples) / target.n_modes
    return ModeReport(counts=tuple(int(c) for c in counts), share_near=float(near.float().mean()),
                      modes_covered=int((counts >= 0.2 * fair).sum()), n_modes=target.n_modes)


# ---------------------------------------------------------------------------------------------
# The game's theory, on densities we can write down


Density = Callable[[np.ndarray], np.ndarray]


def gaussian_density(mean: float, std: float = 1.0) -> Density:
    """The density of a one-dimensional Gaussian."""
    return lambda x: np.exp(-0.5 * ((x - mean) / std) ** 2) / (std * math.sqrt(2 * math.pi))


def optimal_discriminator(p_data: Density, p_g: Density) -> Density:
    """The discriminator that maximises the game's value for a fixed generator:
    ``D*(x) = p_data(x) / (p_data(x) + p_g(x))``."""
    return lambda x: p_data(x) / (p_data(x) + p_g(x))


def js_divergence(p: Density, q: Density, grid: np.ndarray) -> float:
    """The Jensen-Shannon divergence (in nats) between two densities, integrated on ``grid``."""
    P, Q = p(grid), q(grid)
    M = (P + Q) / 2

    def kl(A: np.ndarray) -> np.ndarray:  # A log(A / M), zero where A is
        return np.where(A > 0, A * np.log(np.where(A > 0, A, 1.0) / M), 0.0)

    return float(np.trapezoid(0.5 * kl(P) + 0.5 * kl(Q), grid))


def game_value(discriminator: Density, p_data: Density, p_g: Density, grid: np.ndarray) -> float:
    """The value ``E_data log D(x) + E_g log(1 - D(x))`` of the game, integrated on ``grid``.
    Far in a tail, where a density is negligible, D rounds to 0 or 1: it is kept a rounding
    error inside, so that a negligible density times the log of a rounding error stays
    negligible instead of becoming infinite."""
    tiny = np.finfo(np.float64).eps / 2
    D = np.clip(discriminator(grid), tiny, 1 - tiny)
    return float(np.trapezoid(p_data(grid) * np.log(D) + p_g(grid) * np.log1p(-D), grid))


# ---------------------------------------------------------------------------------------------
# Cached runs


@dataclass(frozen=True)
class GANRun:
    generator: nn.Module
    history: GANHistory
    from_cache: bool


def _cached_gan(name: str, config: GANConfig, parts: dict,
                make: Callable[[], tuple[nn.Module, nn.Module]], sample_real: RealSampler,
                store: RunStore | None, device: torch.device) -> GANRun:
    """The generator of the pair ``make()`` builds (with torch seeded by ``config.seed``),
    trained against its discriminator by :func:`train_gan` or loaded from the run store."""
    with seeded(config.seed, device):
        generator, discriminator = make()
    expected = expect_state(generator)

    def check(record: RunRecord) -> None:
        check_tensors(record, expected)
        _check_history(record.history, record.tensors.get("snapshots"), config)
        if record.metrics != {"d_loss": record.history["d_losses"][-1],
                              "g_loss": record.history["g_losses"][-1]}:
            raise EntryError("its metrics disagree with its history")

    def train() -> Trained:
        history = train_gan(generator, discriminator, sample_real, config, device=device)
        meta = {k: v for k, v in asdict(history).items() if k != "snapshots"}
        return Trained({"d_loss": history.d_losses[-1], "g_loss": history.g_losses[-1]}, meta,
                       {**state_tensors(generator), "snapshots": history.snapshots},
                       history.wall_time)

    cached = cached_run(name, code=(generator, discriminator, sample_real, train_gan),
                        parts={**parts, "config": config_dict(config)}, plan=requested_plan(),
                        device=device, train=train, check=check, store=store)
    if cached.from_cache:
        generator.load_state_dict(cached.record.subset("weights"))
    history = GANHistory(**cached.record.history, snapshots=cached.record.tensors["snapshots"])
    return GANRun(generator.to(device).eval(), history, cached.from_cache)


def _check_history(history: dict, snapshots: torch.Tensor | None, config: GANConfig) -> None:
    """Raise :class:`EntryError` unless a stored GAN history reads back, holds ``config.steps``
    steps of both losses and as many snapshots as snapshot steps."""
    try:
        GANHistory(**history)
    except TypeError as err:
        raise EntryError(f"its history does not read back ({err})") from None
    n_snapshots = len(history.get("snapshot_steps", []))
    if snapshots is None or len(snapshots) != n_snapshots or n_snapshots < 2:
        raise EntryError("its snapshots do not match its snapshot steps")
    if any(len(history.get(k, [])) != config.steps for k in ("g_losses", "d_losses")):
        raise EntryError(f"its history does not hold {config.steps} steps")


# The ring the chapters train on, and its two runs: one at the usual rates, one whose generator
# learns five times faster than its discriminator (the closing quotes both).
RING = RingTarget(n_modes=8, radius=2.0, std=0.05)
RING_RUN = GANConfig(steps=3000)
COLLAPSING_RUN = GANConfig(steps=3000, lr_g=5e-3)
RING_SEEDS = tuple(range(6))  # a GAN's run is chaotic: the chapters look at several seeds


def train_ring_gan(config: GANConfig, target: RingTarget = RingTarget(), *,
                   store: RunStore | None = None, device: torch.device | None = None) -> GANRun:
    """The two-dimensional GAN on ``target``, trained or loaded from the run store."""
    device = device if device is not None else get_device()

    def make() -> tuple[nn.Module, nn.Module]:
        return RingGenerator(config.latent_dim, config.hidden), RingDiscriminator(config.hidden)

    return _cached_gan("ring-gan", config, {"target": config_dict(target)}, make, target.sample,
                       store, device)


# ---------------------------------------------------------------------------------------------
# A small GAN for Fashion-MNIST


class ImageGenerator(nn.Module):
    """Noise z (B, latent_dim) -> an image (B, 1, 28, 28) in [-1, 1]. Fully connected layers:
    on a CPU they learn far more per second than transposed convolutions of the same quality."""

    def __init__(self, latent_dim: int = 64, hidden: int = 256):
        super().__init__()
        self.latent_dim = latent_dim
        self.net = nn.Sequential(
            nn.Linear(latent_dim, hidden), nn.BatchNorm1d(hidden), nn.ReLU(),
            nn.Linear(hidden, 2 * hidden), nn.BatchNorm1d(2 * hidden), nn.ReLU(),
            nn.Linear(2 * hidden, 28 * 28), nn.Tanh(),  # (B, 784)
            nn.Unflatten(1, (1, 28, 28)),  # (B, 1, 28, 28)
        )

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(z)


class ImageDiscriminator(nn.Module):
    """An image (B, 1, 28, 28) -> one logit (B,)."""

    def __init__(self, hidden: int = 256):
        super().__init__()
        self.net = nn.Sequential(
            nn.Flatten(),  # (B, 784)
            nn.Linear(28 * 28, hidden), nn.LeakyReLU(0.2),
            nn.Linear(hidden, hidden // 2), nn.LeakyReLU(0.2),
            nn.Linear(hidden // 2, 1),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x).squeeze(1)


def image_sampler(X: torch.Tensor) -> RealSampler:
    """Random batches of uint8 images (N, 28, 28), scaled to [-1, 1] like the generator's output."""
    def sample(n: int, rng: torch.Generator) -> torch.Tensor:
        idx = torch.randint(len(X), (n,), generator=rng)
        return X[idx].float().div(127.5).sub(1.0).unsqueeze(1)  # (n, 1, 28, 28)
    return sample


def to_unit(images: torch.Tensor) -> torch.Tensor:
    """Generator output in [-1, 1] -> pixel intensities in [0, 1]."""
    return images.add(1.0).div(2.0).clamp(0.0, 1.0)


def train_fashion_gan(config: GANConfig, X_train: torch.Tensor, *, store: RunStore | None = None,
                      device: torch.device | None = None) -> GANRun:
    """The small GAN on uint8 images ``X_train``, trained or loaded from the run store (keyed on
    the images' content)."""
    device = device if device is not None else get_device()

    def make() -> tuple[nn.Module, nn.Module]:
        return ImageGenerator(config.latent_dim, config.hidden), ImageDiscriminator(config.hidden)

    return _cached_gan("fashion-gan", config, {"data": tensor_digest(X_train)}, make,
                       image_sampler(X_train), store, device)


# ---------------------------------------------------------------------------------------------
# Several seeds of one adversarial run, trained side by side


def train_gans(pairs: list[tuple[nn.Module, nn.Module]], sample_real: RealSampler,
               configs: list[GANConfig], *, device: torch.device | None = None,
               ) -> list[GANHistory]:
    """:func:`train_gan` for each (generator, discriminator) pair with its configuration, all
    at once: the pairs' parameters stacked (``torch.func.stack_module_state``), every member's
    networks called on its own batch in one batched call (``vmap`` over ``functional_call``),
    its losses summed so that one backward pass gives each member its own gradients, one Adam
    per network over the stacked tensors. Each member draws its real batches and noise from a
    generator of its own seeded as its single run's, so it trains as :func:`train_gan` would
    train it alone, to rounding (``tests/unit/test_gan.py``). The configurations may differ
    only in their seed; networks with batch normalisation (which keeps statistics of its own
    across members) are refused. The trained numbers are copied back into the pairs."""
    from dataclasses import replace

    from torch.func import functional_call, stack_module_state, vmap

    device = device if device is not None else get_device()
    if not pairs or len(pairs) != len(configs):
        raise ValueError(f"give one configuration per pair, not {len(configs)} for {len(pairs)}")
    first = replace(configs[0], seed=0)
    if any(replace(c, seed=0) != first for c in configs):
        raise ValueError("the runs of a GAN ensemble may differ only in their seed")
    if any(isinstance(m, nn.modules.batchnorm._BatchNorm) for g, d in pairs
           for m in (*g.modules(), *d.modules())):
        raise ValueError("a GAN ensemble cannot train networks with batch normalisation")
    config = configs[0]

    def stacked(modules: list[nn.Module]) -> tuple[nn.Module, dict[str, torch.Tensor]]:
        params, _ = stack_module_state([m.to(device) for m in modules])
        holder = nn.ParameterDict({k.replace(".", "_"): nn.Parameter(v.detach().clone())
                                   for k, v in params.items()})
        return holder, {k: holder[k.replace(".", "_")] for k in params}

    g_holder, g_params = stacked([g for g, _ in pairs])
    d_holder, d_params = stacked([d for _, d in pairs])
    g_base, d_base = (copy.deepcopy(pairs[0][0]).to("meta"), copy.deepcopy(pairs[0][1]).to("meta"))

    def generate(params: dict, z: torch.Tensor) -> torch.Tensor:  # z (M, B, latent)
        return vmap(lambda p, x: functional_call(g_base, p, (x,)))(params, z)

    def judge(params: dict, x: torch.Tensor) -> torch.Tensor:  # x (M, B, ...) -> (M, B)
        return vmap(lambda p, x_: functional_call(d_base, p, (x_,)))(params, x)

    opt_g = torch.optim.Adam(g_holder.parameters(), lr=config.lr_g, betas=(config.beta1, 0.999))
    opt_d = torch.optim.Adam(d_holder.parameters(), lr=config.lr_d, betas=(config.beta1, 0.999))
    rngs = [torch.Generator(device="cpu").manual_seed(c.seed) for c in configs]
    latent = pairs[0][0].latent_dim
    fixed_z = torch.stack([torch.randn(config.n_snapshot, latent, generator=r)
                           for r in rngs]).to(device)
    ones = torch.ones(len(pairs), config.batch_size, device=device)
    zeros = torch.zeros_like(ones)
    histories = [GANHistory(config=asdict(c), device=device.type) for c in configs]
    snapshots, d_losses, g_losses, steps = [], [], [], []

    def bce(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:  # (M, B) -> (M,)
        return F.binary_cross_entropy_with_logits(logits, target, reduction="none").mean(1)

    def snapshot(step: int) -> None:
        with torch.no_grad():  # no layer of these networks acts differently in eval mode
            snapshots.append(generate(g_params, fixed_z).cpu())
        steps.append(step)

    start = time.perf_counter()
    snapshot(0)
    for step in range(1, config.steps + 1):
        real, z = [], []
        for rng in rngs:  # in each member's single-run order: its real batch, then its noise
            real.append(sample_real(config.batch_size, rng))
            z.append(torch.randn(config.batch_size, latent, generator=rng))
        real, z = torch.stack(real).to(device), torch.stack(z).to(device)
        fake = generate(g_params, z)
        d_loss = bce(judge(d_params, real), ones) + bce(judge(d_params, fake.detach()), zeros)
        opt_d.zero_grad(set_to_none=True)
        d_loss.sum().backward()
        opt_d.step()
        g_loss = bce(judge(d_params, fake), ones)
        opt_g.zero_grad(set_to_none=True)
        g_loss.sum().backward()
        opt_g.step()
        d_losses.append(d_loss.detach())
        g_losses.append(g_loss.detach())
        if step % config.snapshot_every == 0 or step == config.steps:
            snapshot(step)
    seconds = (time.perf_counter() - start) / len(pairs)
    d_all, g_all = torch.stack(d_losses, 1).cpu(), torch.stack(g_losses, 1).cpu()
    shots = torch.stack(snapshots, 1)  # (M, S, n_snapshot, ...)
    for i, (history, (generator, discriminator)) in enumerate(zip(histories, pairs)):
        history.d_losses, history.g_losses = d_all[i].tolist(), g_all[i].tolist()
        history.snapshot_steps, history.snapshots = list(steps), shots[i]
        history.wall_time = seconds
        for module, params in ((generator, g_params), (discriminator, d_params)):
            module.to_empty(device=device)
            module.load_state_dict({k: v[i].detach().clone() for k, v in params.items()})
            module.eval()
    return histories


def train_ring_gans(config: GANConfig, target: RingTarget = RING,
                    seeds: Sequence[int] = RING_SEEDS, *, store: RunStore | None = None,
                    device: torch.device | None = None) -> list[GANRun]:
    """The two-dimensional GAN on ``target`` from each of ``seeds`` (``config`` with its seed
    replaced), trained side by side (:func:`train_gans`) or loaded from the run store, where the
    seeds are kept together."""
    from dataclasses import replace

    device = device if device is not None else get_device()
    configs = [replace(config, seed=seed) for seed in seeds]
    pairs = []
    for c in configs:
        with seeded(c.seed, device):
            pairs.append((RingGenerator(c.latent_dim, c.hidden), RingDiscriminator(c.hidden)))
    expected = {k: v for i, (g, _) in enumerate(pairs)
                for k, v in expect_state(g, f"m{i}.weights").items()}

    def check(record: RunRecord) -> None:
        check_tensors(record, expected)
        members = record.history.get("members")
        if not isinstance(members, list) or len(members) != len(configs):
            raise EntryError(f"it does not hold {len(configs)} runs")
        for i, (history, c) in enumerate(zip(members, configs)):
            _check_history(history, record.tensors.get(f"m{i}.snapshots"), c)

    plan = Plan("float32", False, threads=1, how="requested")  # small networks: one thread

    def train() -> Trained:
        with using_threads(plan.threads):
            histories = train_gans(pairs, target.sample, configs, device=device)
        tensors, metrics = {}, {}
        for i, (history, (generator, _)) in enumerate(zip(histories, pairs)):
            tensors.update(state_tensors(generator, f"m{i}.weights"))
            tensors[f"m{i}.snapshots"] = history.snapshots
            metrics[f"m{i}.g_loss"] = history.g_losses[-1]
        return Trained(metrics, {"members": [{k: v for k, v in asdict(h).items()
                                              if k != "snapshots"} for h in histories]},
                       tensors, sum(h.wall_time for h in histories))

    generator, discriminator = pairs[0]
    cached = cached_run("ring-gans", code=(generator, discriminator, target.sample, train_gans),
                        parts={"target": config_dict(target),
                               "configs": [config_dict(c) for c in configs]},
                        plan=plan, device=device, train=train, check=check, store=store)
    runs, record = [], cached.record
    for i, ((generator, _), history) in enumerate(zip(pairs, record.history["members"])):
        generator.load_state_dict(record.subset(f"m{i}.weights"))
        snapshots = record.tensors[f"m{i}.snapshots"]
        runs.append(GANRun(generator.to(device).eval(), GANHistory(**history, snapshots=snapshots),
                           cached.from_cache))
    return runs
