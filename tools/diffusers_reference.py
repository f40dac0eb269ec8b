#!/usr/bin/python3
"""Expected values for DistillDiff's diffusers-class schedulers, from an independent numpy re-statement of diffusers'
scheduler formulas (diffusers 0.31-0.35: scheduling_ddpm.py, scheduling_ddim.py, scheduling_euler_discrete.py,
scheduling_heun_discrete.py, scheduling_dpmsolver_multistep.py), read from diffusers' sources; diffusers itself is
not installed here.

Everything is float64. diffusers keeps betas, alphas_cumprod and sigmas in float32, so its own numbers differ from
these (and from DistillDiff's) by float32 rounding, about 1e-7 relative; the formulas, the timesteps and the branches
are the same. The sinusoidal timestep embedding is computed with torch (float32, as diffusers does) when torch is
installed (Debian: apt-get install python3-torch python3-numpy).

Run once:  /usr/bin/python3 tools/diffusers_reference.py > tests/DistillDiff.Diffusion.Tests/Samplers/diffusers_reference.json
The JSON is committed; the tests read it (DiffusersParityTests).
"""
import json
import math

import numpy as np


# ---------------------------------------------------------------- schedules (diffusers' __init__)
def betas_for(cfg):
    n = cfg.get("num_train_timesteps", 1000)
    if cfg.get("trained_betas") is not None:
        return np.array(cfg["trained_betas"], dtype=np.float64)
    kind = cfg.get("beta_schedule", "linear")
    b0, b1 = cfg["beta_start"], cfg["beta_end"]
    if kind == "linear":
        return np.linspace(b0, b1, n)
    if kind == "scaled_linear":
        return np.linspace(b0 ** 0.5, b1 ** 0.5, n) ** 2
    if kind == "squaredcos_cap_v2":
        f = lambda t: math.cos((t + 0.008) / 1.008 * math.pi / 2) ** 2
        return np.array([min(1 - f((i + 1) / n) / f(i / n), 0.999) for i in range(n)])
    raise ValueError(kind)


def rescale_zero_terminal_snr(betas):
    a = np.cumprod(1 - betas)
    s = np.sqrt(a)
    s0, sT = s[0], s[-1]
    s = (s - sT) * s0 / (s0 - sT)
    a = s ** 2
    alphas = np.concatenate([a[:1], a[1:] / a[:-1]])
    return 1 - alphas


def alphas_cumprod(cfg, floor):
    betas = betas_for(cfg)
    if cfg.get("rescale_betas_zero_snr"):
        betas = rescale_zero_terminal_snr(betas)
    a = np.cumprod(1 - betas)
    if floor and cfg.get("rescale_betas_zero_snr"):
        a[-1] = 2.0 ** -24
    return a


def spacing(cfg, n, round_linspace):
    N = cfg.get("num_train_timesteps", 1000)
    sp = cfg["timestep_spacing"]
    if sp == "linspace":
        t = np.linspace(0, N - 1, n)
        if round_linspace:
            t = t.round()
        return t[::-1].copy()
    if sp == "leading":
        ratio = N // n
        return (np.arange(0, n) * ratio).round()[::-1].copy() + cfg.get("steps_offset", 0)
    if sp == "trailing":
        return np.arange(N, 0, -N / n).round() - 1
    raise ValueError(sp)


def sigma_to_t(sigma, log_sigmas):
    log_sigma = np.log(np.maximum(sigma, 1e-10))
    dists = log_sigma - log_sigmas[:, np.newaxis]
    low_idx = np.cumsum((dists >= 0), axis=0).argmax(axis=0).clip(max=log_sigmas.shape[0] - 2)
    high_idx = low_idx + 1
    low, high = log_sigmas[low_idx], log_sigmas[high_idx]
    w = np.clip((low - log_sigma) / (low - high), 0, 1)
    return ((1 - w) * low_idx + w * high_idx).reshape(np.shape(sigma))


def karras(smin, smax, n):
    ramp = np.linspace(0, 1, n)
    return (smax ** (1 / 7) + ramp * (smin ** (1 / 7) - smax ** (1 / 7))) ** 7


# ---------------------------------------------------------------- the five classes
class Euler:
    defaults = dict(num_train_timesteps=1000, beta_start=1e-4, beta_end=0.02, beta_schedule="linear",
                    prediction_type="epsilon", interpolation_type="linear", use_karras_sigmas=False,
                    use_exponential_sigmas=False, sigma_min=None, sigma_max=None, timestep_spacing="linspace",
                    steps_offset=0, rescale_betas_zero_snr=False, final_sigmas_type="zero")

    def __init__(self, **kw):
        self.c = {**self.defaults, **kw}
        self.ac = alphas_cumprod(self.c, floor=True)

    def set_timesteps(self, n):
        c = self.c
        ts = spacing(c, n, round_linspace=False)
        table = ((1 - self.ac) / self.ac) ** 0.5
        log_sigmas = np.log(table)
        if c["interpolation_type"] == "linear":
            s = np.interp(ts, np.arange(len(table)), table)
        else:
            s = np.exp(np.linspace(np.log(table[-1]), np.log(table[0]), n + 1))
        if c["use_karras_sigmas"] or c["use_exponential_sigmas"]:
            smin = c["sigma_min"] if c["sigma_min"] is not None else s[-1]
            smax = c["sigma_max"] if c["sigma_max"] is not None else s[0]
            s = karras(smin, smax, n) if c["use_karras_sigmas"] else np.exp(np.linspace(math.log(smax), math.log(smin), n))
            ts = np.array([sigma_to_t(x, log_sigmas) for x in s])
        last = table[0] if c["final_sigmas_type"] == "sigma_min" else 0.0
        self.sigmas = np.concatenate([s, [last]])
        self.timesteps = ts
        self.i = 0

    @property
    def init_noise_sigma(self):
        m = self.sigmas.max()
        return m if self.c["timestep_spacing"] in ("linspace", "trailing") else (m ** 2 + 1) ** 0.5

    def scale(self, x, t):
        return x / (self.sigmas[self.i] ** 2 + 1) ** 0.5

    def x0(self, out, x, sigma):
        p = self.c["prediction_type"]
        if p == "epsilon":
            return x - sigma * out
        if p == "v_prediction":
            return out * (-sigma / (sigma ** 2 + 1) ** 0.5) + x / (sigma ** 2 + 1)
        return out

    def step(self, out, t, x):
        sigma = self.sigmas[self.i]
        d = (x - self.x0(out, x, sigma)) / sigma
        prev = x + d * (self.sigmas[self.i + 1] - sigma)
        self.i += 1
        return prev


class Heun(Euler):
    defaults = dict(num_train_timesteps=1000, beta_start=0.00085, beta_end=0.012, beta_schedule="linear",
                    prediction_type="epsilon", use_karras_sigmas=False, use_exponential_sigmas=False,
                    clip_sample=False, clip_sample_range=1.0, timestep_spacing="linspace", steps_offset=0)

    def __init__(self, **kw):
        self.c = {**self.defaults, **kw}
        self.ac = alphas_cumprod(self.c, floor=False)

    def set_timesteps(self, n):
        c = self.c
        ts = spacing(c, n, round_linspace=False)
        table = ((1 - self.ac) / self.ac) ** 0.5
        log_sigmas = np.log(table)
        s = np.interp(ts, np.arange(len(table)), table)
        if c["use_karras_sigmas"] or c["use_exponential_sigmas"]:
            s = karras(s[-1], s[0], n) if c["use_karras_sigmas"] else np.exp(np.linspace(math.log(s[0]), math.log(s[-1]), n))
            ts = np.array([sigma_to_t(x, log_sigmas) for x in s])
        s = np.concatenate([s, [0.0]])
        self.sigmas = np.concatenate([s[:1], np.repeat(s[1:-1], 2), s[-1:]])
        self.timesteps = np.concatenate([ts[:1], np.repeat(ts[1:], 2)])
        self.i = 0
        self.dt = None

    def step(self, out, t, x):
        first = self.dt is None
        sigma, nxt = (self.sigmas[self.i], self.sigmas[self.i + 1]) if first else (self.sigmas[self.i - 1], self.sigmas[self.i])
        x0 = self.x0(out, x, sigma if first else nxt)
        if self.c["clip_sample"]:
            x0 = np.clip(x0, -self.c["clip_sample_range"], self.c["clip_sample_range"])
        if first:
            d = (x - x0) / sigma
            dt = nxt - sigma
            self.prev_d, self.dt, self.sample = d, dt, x
        else:
            d = ((x - x0) / nxt + self.prev_d) / 2
            dt, x = self.dt, self.sample
            self.prev_d = self.dt = self.sample = None
        self.i += 1
        return x + d * dt


class Dpm:
    defaults = dict(num_train_timesteps=1000, beta_start=1e-4, beta_end=0.02, beta_schedule="linear", solver_order=2,
                    prediction_type="epsilon", thresholding=False, algorithm_type="dpmsolver++",
                    solver_type="midpoint", lower_order_final=True, euler_at_final=False, use_karras_sigmas=False,
                    use_lu_lambdas=False, final_sigmas_type="zero", lambda_min_clipped=-math.inf,
                    timestep_spacing="linspace", steps_offset=0, rescale_betas_zero_snr=False)

    def __init__(self, **kw):
        self.c = {**self.defaults, **kw}
        self.ac = alphas_cumprod(self.c, floor=True)
        self.lambda_t = np.log(np.sqrt(self.ac)) - np.log(np.sqrt(1 - self.ac))
        self.init_noise_sigma = 1.0

    def set_timesteps(self, n):
        c = self.c
        N = c["num_train_timesteps"]
        clipped_idx = np.searchsorted(np.flip(self.lambda_t), c["lambda_min_clipped"])
        last = N - clipped_idx
        if c["timestep_spacing"] == "linspace":
            ts = np.linspace(0, last - 1, n + 1).round()[::-1][:-1].copy().astype(np.int64)
        elif c["timestep_spacing"] == "leading":
            ratio = last // (n + 1)
            ts = (np.arange(0, n + 1) * ratio).round()[::-1][:-1].copy().astype(np.int64) + c["steps_offset"]
        else:
            ts = np.arange(last, 0, -N / n).round().copy().astype(np.int64) - 1
        table = ((1 - self.ac) / self.ac) ** 0.5
        log_sigmas = np.log(table)
        if c["use_karras_sigmas"]:
            s = karras(table[0], table[-1], n)
            ts = np.array([sigma_to_t(x, log_sigmas) for x in s]).round().astype(np.int64)
        elif c["use_lu_lambdas"]:
            lam = np.flip(log_sigmas.copy())
            s = np.exp(lam[0] + np.linspace(0, 1, n) * (lam[-1] - lam[0]))
            ts = np.array([sigma_to_t(x, log_sigmas) for x in s]).round().astype(np.int64)
        else:
            s = np.interp(ts, np.arange(len(table)), table)
        last_sigma = table[0] if c["final_sigmas_type"] == "sigma_min" else 0.0
        self.sigmas = np.concatenate([s, [last_sigma]])
        self.timesteps = ts.astype(np.float64)
        self.i = 0
        self.lower = 0
        self.outs = [None, None]

    def scale(self, x, t):
        return x

    @staticmethod
    def ab(s):
        a = 1 / (s ** 2 + 1) ** 0.5
        return a, s * a

    def step(self, out, t, x):
        c, n, i = self.c, len(self.timesteps), self.i
        lof = i == n - 1 and (c["euler_at_final"] or (c["lower_order_final"] and n < 15) or c["final_sigmas_type"] == "zero")
        a_s, s_s = self.ab(self.sigmas[i])
        p = c["prediction_type"]
        x0 = (x - s_s * out) / a_s if p == "epsilon" else a_s * x - s_s * out if p == "v_prediction" else out
        self.outs = [self.outs[1], x0]
        a_t, s_t = self.ab(self.sigmas[i + 1])
        with np.errstate(divide="ignore"):
            l_t = np.log(a_t) - np.log(s_t)
        l_s = np.log(a_s) - np.log(s_s)
        h = l_t - l_s
        if c["solver_order"] == 1 or self.lower < 1 or lof:
            prev = (s_t / s_s) * x - (a_t * (np.exp(-h) - 1.0)) * x0
        else:
            a_p, s_p = self.ab(self.sigmas[i - 1])
            h0 = l_s - (np.log(a_p) - np.log(s_p))
            r0 = h0 / h
            D0, D1 = x0, (1.0 / r0) * (x0 - self.outs[0])
            prev = (s_t / s_s) * x - (a_t * (np.exp(-h) - 1.0)) * D0
            if c["solver_type"] == "midpoint":
                prev = prev - 0.5 * (a_t * (np.exp(-h) - 1.0)) * D1
            else:
                prev = prev + (a_t * ((np.exp(-h) - 1.0) / h + 1.0)) * D1
        self.lower = min(self.lower + 1, c["solver_order"])
        self.i += 1
        return prev


class Ddim:
    defaults = dict(num_train_timesteps=1000, beta_start=1e-4, beta_end=0.02, beta_schedule="linear", clip_sample=True,
                    set_alpha_to_one=True, steps_offset=0, prediction_type="epsilon", clip_sample_range=1.0,
                    timestep_spacing="leading", rescale_betas_zero_snr=False)

    def __init__(self, **kw):
        self.c = {**self.defaults, **kw}
        self.ac = alphas_cumprod(self.c, floor=False)
        self.final = 1.0 if self.c["set_alpha_to_one"] else self.ac[0]
        self.init_noise_sigma = 1.0

    def set_timesteps(self, n):
        self.n = n
        self.timesteps = spacing(self.c, n, round_linspace=True)

    def scale(self, x, t):
        return x

    def step(self, out, t, x):
        t = int(t)
        prev = t - self.c["num_train_timesteps"] // self.n
        a_t = self.ac[t]
        a_p = self.ac[prev] if prev >= 0 else self.final
        p = self.c["prediction_type"]
        if p == "epsilon":
            x0, eps = (x - (1 - a_t) ** 0.5 * out) / a_t ** 0.5, out
        elif p == "sample":
            x0 = out
            eps = (x - a_t ** 0.5 * x0) / (1 - a_t) ** 0.5
        else:
            x0 = a_t ** 0.5 * x - (1 - a_t) ** 0.5 * out
            eps = a_t ** 0.5 * out + (1 - a_t) ** 0.5 * x
        if self.c["clip_sample"]:
            x0 = np.clip(x0, -self.c["clip_sample_range"], self.c["clip_sample_range"])
        return a_p ** 0.5 * x0 + (1 - a_p) ** 0.5 * eps


def model(z, t):
    """The stand-in network of the trajectory tests (the C# test computes the same)."""
    return 0.5 * z + 0.0005 * t - 0.1


X_INIT = np.array([1.0, -0.5, 0.25, 2.0])


def trajectory(sched, n):
    sched.set_timesteps(n)
    x = X_INIT * sched.init_noise_sigma
    for t in sched.timesteps:
        x = sched.step(model(sched.scale(x, t), t), t, x)
    return x


CLASSES = {"EulerDiscreteScheduler": Euler, "HeunDiscreteScheduler": Heun, "DPMSolverMultistepScheduler": Dpm,
           "DDIMScheduler": Ddim}


def case(cls, cfg, n):
    s = CLASSES[cls](**cfg)
    x = trajectory(s, n)
    return dict(class_name=cls, config=cfg, steps=n, timesteps=list(map(float, s.timesteps)),
                sigmas=list(map(float, getattr(s, "sigmas", []))), init_noise_sigma=float(s.init_noise_sigma),
                final=list(map(float, x)))


def cases():
    out = []
    # 1. squaredcos_cap_v2: timesteps and sigmas under each spacing and step count (Euler, Heun, DPM-Solver++).
    for cls in ("EulerDiscreteScheduler", "HeunDiscreteScheduler", "DPMSolverMultistepScheduler"):
        for sp in ("linspace", "leading", "trailing"):
            for n in (1, 2, 4, 10, 50):
                out.append(case(cls, dict(beta_schedule="squaredcos_cap_v2", timestep_spacing=sp), n))
    # 2. keys that change the result.
    more = [
        ("EulerDiscreteScheduler", dict(final_sigmas_type="sigma_min"), 10),
        ("EulerDiscreteScheduler", dict(interpolation_type="log_linear"), 10),
        ("EulerDiscreteScheduler", dict(use_karras_sigmas=True), 10),
        ("EulerDiscreteScheduler", dict(use_karras_sigmas=True, sigma_min=0.1, sigma_max=50.0), 6),
        ("EulerDiscreteScheduler", dict(use_exponential_sigmas=True, prediction_type="v_prediction"), 8),
        ("EulerDiscreteScheduler", dict(rescale_betas_zero_snr=True, prediction_type="v_prediction", timestep_spacing="trailing"), 4),
        ("EulerDiscreteScheduler", dict(prediction_type="sample", timestep_spacing="leading", steps_offset=1), 7),
        ("HeunDiscreteScheduler", dict(), 5),
        ("HeunDiscreteScheduler", dict(clip_sample=True, clip_sample_range=0.5, prediction_type="v_prediction"), 4),
        ("HeunDiscreteScheduler", dict(use_karras_sigmas=True, beta_schedule="scaled_linear"), 6),
        ("DPMSolverMultistepScheduler", dict(solver_type="heun"), 10),
        ("DPMSolverMultistepScheduler", dict(final_sigmas_type="sigma_min"), 20),
        ("DPMSolverMultistepScheduler", dict(final_sigmas_type="sigma_min"), 10),
        ("DPMSolverMultistepScheduler", dict(final_sigmas_type="sigma_min", lower_order_final=False), 10),
        ("DPMSolverMultistepScheduler", dict(use_lu_lambdas=True), 10),
        ("DPMSolverMultistepScheduler", dict(use_karras_sigmas=True, prediction_type="v_prediction"), 10),
        ("DPMSolverMultistepScheduler", dict(lambda_min_clipped=-5.1, beta_schedule="squaredcos_cap_v2"), 10),
        ("DPMSolverMultistepScheduler", dict(rescale_betas_zero_snr=True, prediction_type="v_prediction", timestep_spacing="trailing"), 5),
        ("DPMSolverMultistepScheduler", dict(solver_order=1, timestep_spacing="leading", steps_offset=1), 6),
        ("DDIMScheduler", dict(timestep_spacing="linspace", clip_sample=False), 4),
        ("DDIMScheduler", dict(timestep_spacing="trailing", prediction_type="v_prediction"), 3),
        ("DDIMScheduler", dict(timestep_spacing="leading", steps_offset=1, set_alpha_to_one=False, clip_sample=False), 10),
    ]
    out += [case(cls, cfg, n) for cls, cfg, n in more]
    return out


def embedding():
    try:
        import torch
    except ImportError:
        return None
    res = []
    for dim, flip, shift, t in ((32, False, 1.0, [0.0, 3.0, 499.5, 999.0]), (64, True, 0.0, [1.0, 250.25, 999.0])):
        half = dim // 2
        ts = torch.tensor(t, dtype=torch.float32)
        # diffusers' get_timestep_embedding, step by step, in its order.
        exponent = -math.log(10000) * torch.arange(start=0, end=half, dtype=torch.float32)
        exponent = exponent / (half - shift)
        emb = torch.exp(exponent)
        emb = ts[:, None].float() * emb[None, :]
        emb = 1 * emb
        emb = torch.cat([torch.sin(emb), torch.cos(emb)], dim=-1)
        if flip:
            emb = torch.cat([emb[:, half:], emb[:, :half]], dim=-1)
        # The folded order this project used before: arange * (-ln(10000) / (half - shift)).
        folded = torch.exp(torch.arange(0, half, dtype=torch.float32) * (-math.log(10000) / (half - shift)))
        res.append(dict(dim=dim, flip=flip, shift=shift, timesteps=t,
                        bits=[int(b) for b in emb.flatten().view(torch.int32).tolist()],
                        frequencies_differing_when_folded=int((folded != torch.exp(exponent)).sum())))
    return res


if __name__ == "__main__":
    print(json.dumps(dict(generator="tools/diffusers_reference.py", cases=cases(), embedding=embedding()), indent=1))
