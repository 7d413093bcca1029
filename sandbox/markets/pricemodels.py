"""Reference-price models for simulated markets: pure, seeded, deterministic.

A model turns (its parameters, the previous price, a random stream) into the next price. It never
keeps a random generator of its own: the caller derives one per tick from the run's seed and the
tick's number (`tick_random`), so tick 1,000 of a replay sees exactly the randomness it saw the
first time, whatever happened in between (a crash, a pause, a speed change).

Prices are floats here, because a price path is a simulation of a continuous process (logs,
exponentials, Gaussian shocks). They never touch a balance: bots quantise them to the market's
tick size as Decimals (`to_tick`) before placing an order.
"""

from __future__ import annotations

import hashlib
import math
import random
from dataclasses import dataclass, field, replace
from decimal import ROUND_HALF_EVEN, Decimal

SECONDS_PER_YEAR = 365 * 24 * 3600


def tick_random(seed: int, market: str, tick: int) -> random.Random:
    """The random stream of one market's tick: a function of the seed, market and tick only."""
    digest = hashlib.sha256(f"{seed}:{market}:{tick}".encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


def to_tick(price: float, tick_size: Decimal) -> Decimal:
    """The nearest price on the market's tick grid (never zero or negative)."""
    ticks = (Decimal(repr(price)) / tick_size).quantize(Decimal(1), rounding=ROUND_HALF_EVEN)
    return max(ticks, Decimal(1)) * tick_size


@dataclass(frozen=True)
class GeometricBrownian:
    """dS/S = drift dt + volatility dW; drift and volatility are annualised (0.5 = 50 %/year).
    `time_scale` compresses time: 3600 makes one real second one simulated hour."""

    drift: float = 0.0
    volatility: float = 0.6
    time_scale: float = 3600.0

    def step(self, price: float, dt: float, rng: random.Random) -> float:
        years = dt * self.time_scale / SECONDS_PER_YEAR
        shock = rng.gauss(0.0, 1.0)
        exponent = (self.drift - self.volatility**2 / 2) * years
        return price * math.exp(exponent + self.volatility * math.sqrt(years) * shock)


@dataclass(frozen=True)
class JumpDiffusion:
    """Geometric Brownian motion plus Poisson jumps (Merton): `jumps_per_year` on average, each
    multiplying the price by exp(N(jump_mean, jump_volatility))."""

    diffusion: GeometricBrownian = field(default_factory=GeometricBrownian)
    jumps_per_year: float = 50.0
    jump_mean: float = -0.05
    jump_volatility: float = 0.1

    def step(self, price: float, dt: float, rng: random.Random) -> float:
        price = self.diffusion.step(price, dt, rng)
        years = dt * self.diffusion.time_scale / SECONDS_PER_YEAR
        if rng.random() < 1 - math.exp(-self.jumps_per_year * years):
            price *= math.exp(rng.gauss(self.jump_mean, self.jump_volatility))
        return price


@dataclass(frozen=True)
class MeanReverting:
    """Ornstein-Uhlenbeck on the log price: pulled toward `target` at `speed` (per simulated
    year), shaken by `volatility`. A pegged stablecoin is one with a high speed; a depeg is a
    scenario moving the target and raising the volatility."""

    target: float = 1.0
    speed: float = 200.0
    volatility: float = 0.05
    time_scale: float = 3600.0

    def step(self, price: float, dt: float, rng: random.Random) -> float:
        years = dt * self.time_scale / SECONDS_PER_YEAR
        log_price, log_target = math.log(price), math.log(self.target)
        pull = (log_target - log_price) * (1 - math.exp(-self.speed * years))
        noise = self.volatility * math.sqrt(years) * rng.gauss(0.0, 1.0)
        return math.exp(log_price + pull + noise)


@dataclass(frozen=True)
class Replay:
    """A recorded series (from an instructor's CSV): the price at each elapsed second is the last
    recorded price at or before it. `points` are (seconds from the start, price), increasing."""

    points: tuple[tuple[float, float], ...]

    def price_at(self, elapsed: float) -> float:
        low, high = 0, len(self.points) - 1
        if elapsed <= self.points[0][0]:
            return self.points[0][1]
        while low < high:
            middle = (low + high + 1) // 2
            if self.points[middle][0] <= elapsed:
                low = middle
            else:
                high = middle - 1
        return self.points[low][1]

    def step(self, price: float, dt: float, rng: random.Random) -> float:
        raise TypeError("a replay is read with price_at(elapsed), not stepped")


PriceModel = GeometricBrownian | JumpDiffusion | MeanReverting | Replay


def with_changes(model: PriceModel, **changes: float) -> PriceModel:
    """The model with some parameters changed (a scenario's event); unknown names are refused."""
    if isinstance(model, JumpDiffusion):
        own = {
            k: v
            for k, v in changes.items()
            if k in ("jumps_per_year", "jump_mean", "jump_volatility")
        }
        rest = {k: v for k, v in changes.items() if k not in own}
        return replace(model, diffusion=replace(model.diffusion, **rest), **own)
    return replace(model, **changes)
