"""The false-alarm budget of a "k bad of the last n" gate, and the choice of k and n from it.

If each healthy sample is called bad by accident with probability ``p`` (measured on healthy text: the dev split
of data/realworld/ for v4), and samples are independent, then at any one sample the window of the last ``n``
holds at least ``k`` bad ones with probability

    P(Bin(n, p) >= k) = sum_{j=k..n} C(n, j) p^j (1-p)^(n-j)

so over ``samples`` samples the expected number of samples at which the gate would halt a healthy run is
``samples`` times that, which is also an upper bound on the chance of at least one false alarm (the union
bound). ``choose_window`` picks the k and n that catch a partial collapse best, where a fraction ``q`` of samples
is bad, within a false-alarm budget. Independence is an assumption: a healthy run's bad samples may cluster
(one hard source), so the budget should leave a margin.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

__all__ = ["tail_probability", "false_alarms_per", "WindowChoice", "choose_window", "rate_upper_bound"]


def _check_prob(name: str, p: float) -> float:
    if isinstance(p, bool) or not isinstance(p, (int, float)) or not 0.0 <= p <= 1.0 or math.isnan(p):
        raise ValueError(f"{name} must be a probability in [0, 1], got {p!r}")
    return float(p)


def _check_kn(k: int, n: int) -> None:
    for name, v in (("k", k), ("n", n)):
        if isinstance(v, bool) or not isinstance(v, int) or v < 1:
            raise ValueError(f"{name} must be a positive int, got {v!r}")
    if k > n:
        raise ValueError(f"k ({k}) cannot exceed n ({n})")


def tail_probability(p: float, k: int, n: int) -> float:
    """P(at least k of n independent samples are bad), each bad with probability p."""
    p = _check_prob("p", p)
    _check_kn(k, n)
    return min(1.0, sum(math.comb(n, j) * p**j * (1 - p) ** (n - j) for j in range(k, n + 1)))


def false_alarms_per(p: float, k: int, n: int, samples: int = 1000) -> float:
    """Expected samples, among ``samples``, at which a healthy run's window holds >= k bad of the last n (an upper
    bound on the chance of at least one false alarm in that many samples)."""
    if isinstance(samples, bool) or not isinstance(samples, int) or samples < 1:
        raise ValueError(f"samples must be a positive int, got {samples!r}")
    return samples * tail_probability(p, k, n)


@dataclass(frozen=True)
class WindowChoice:
    k: int
    n: int
    false_alarms: float  # expected per ``samples`` healthy samples (upper bound on P(any false alarm))
    detection: float  # P(one window of a collapse with bad-sample rate q holds >= k bad)


def choose_window(p: float, q: float = 0.7, budget: float = 0.01, samples: int = 1000, max_n: int = 20,
                  min_detection: float = 0.95) -> WindowChoice:  # fmt: skip
    """The smallest k >= 2 (one sample must never halt a run; a full collapse halts after k samples), with the n
    <= ``max_n`` that detects best, such that a healthy run's false alarms per ``samples`` stay within ``budget``
    and one window of a collapse whose samples are bad with probability ``q`` holds k bad with probability at
    least ``min_detection``. Ties go to the smaller n. Raises ValueError when no window qualifies."""
    p, q = _check_prob("p", p), _check_prob("q", q)
    for k in range(2, max_n + 1):
        best: WindowChoice | None = None
        for n in range(k, max_n + 1):
            fa = false_alarms_per(p, k, n, samples)
            if fa > budget * (1 + 1e-9):  # 1000 x 0.001 is 1.0000000000000002 in floats
                continue
            c = WindowChoice(k, n, fa, tail_probability(q, k, n))
            if c.detection >= min_detection and (best is None or c.detection > best.detection + 1e-12):
                best = c
        if best is not None:
            return best
    raise ValueError(f"no window with n <= {max_n} keeps false alarms per {samples} within {budget} at p={p} "
                     f"and detects q={q} with probability {min_detection}")


def rate_upper_bound(bad: int, total: int, z: float = 1.645) -> float:
    """A one-sided 95% upper bound on a bad-sample rate seen as ``bad`` of ``total`` (Wilson score interval), so
    a budget is not planned on "0 of 80 means never": 0 of 80 gives 0.033."""
    if isinstance(bad, bool) or isinstance(total, bool) or not isinstance(bad, int) or not isinstance(total, int):
        raise TypeError("bad and total must be ints")
    if total < 1 or not 0 <= bad <= total:
        raise ValueError(f"need 0 <= bad <= total and total >= 1, got bad={bad}, total={total}")
    phat = bad / total
    centre = phat + z * z / (2 * total)
    spread = z * math.sqrt(phat * (1 - phat) / total + z * z / (4 * total * total))
    return min(1.0, (centre + spread) / (1 + z * z / total))
