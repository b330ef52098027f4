"""Textures for the synthetic scenes: procedural patterns, a bank of photo crops, and a mip-mapped atlas.

Every texture is a square, **periodic** RGB tile (``L x L`` texels, values in [0, 1]): the renderer maps
surface coordinates (metres in a surface's own frame divided by a tile size in metres) into it with
wrap-around, so tiles repeat without seams.

* :func:`procedural_texture` draws one tile from a numpy ``Generator``: band-limited fractal noise
  (spectral synthesis with integer frequencies, hence periodic), stripes, checkers, polka dots,
  Voronoi cells, bricks, marble/wood rings, plaid and gradients, combined with a random palette,
  optional overlays and always some fine detail noise (so every surface can be tracked).
* :func:`photo_bank` returns real photographs: the 10 Sintel PNGs (``sintel-frames/``) and 16 evenly
  spaced frames of each ``videos/*.mp4`` (decoded with ffmpeg) of the shared data folder
  (``$D4RT_SHARED_DATA`` or ``<repo>/../shared/data``), resized to a height of 192 and cached as
  ``training/.cache/texture_bank.npz`` (about 8 MB, gitignored) on first use, once per process.
  :func:`photo_texture` cuts a random square crop and makes it periodic (cross-fade with a
  half-tile-shifted copy, or mirroring). When both source folders are absent the bank is ``None``,
  one warning is printed to stderr and scenes use procedural textures only -- the only fallback.
* :class:`TextureAtlas` holds all tiles of one scene with their mip pyramids in one image and samples
  them with trilinear (bilinear at two mip levels) filtering and wrap-around addressing in torch.

The evaluation sets ``pi3-room`` and ``open3d-rgbd`` are never read.
"""
from __future__ import annotations

import math
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import torch

# ----------------------------------------------------------------------------------------------
# colour helpers

def _hsv_to_rgb(h, s, v) -> np.ndarray:
    """HSV (each in [0, 1], broadcastable) -> RGB [..., 3]."""
    h = np.asarray(h, np.float64) % 1.0
    s = np.asarray(s, np.float64)
    v = np.asarray(v, np.float64)
    i = np.floor(h * 6.0)
    f = h * 6.0 - i
    p, q, t = v * (1 - s), v * (1 - s * f), v * (1 - s * (1 - f))
    i = i.astype(int) % 6
    r = np.choose(i, [v, q, p, p, t, v])
    g = np.choose(i, [t, v, v, q, p, p])
    b = np.choose(i, [p, p, t, v, v, q])
    return np.stack([r, g, b], -1)


def random_palette(rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` RGB colours [n, 3]: a base hue with analogous / complementary / random companions,
    varied saturation and value (muted most of the time, sometimes vivid or near-grey)."""
    base = rng.random()
    scheme = rng.integers(0, 4)
    hues = []
    for k in range(n):
        if scheme == 0:      # analogous
            hues.append(base + rng.uniform(-0.08, 0.08))
        elif scheme == 1:    # complementary pairs
            hues.append(base + 0.5 * (k % 2) + rng.uniform(-0.05, 0.05))
        elif scheme == 2:    # triadic-ish
            hues.append(base + k / 3.0 + rng.uniform(-0.05, 0.05))
        else:                # random
            hues.append(rng.random())
    sat_scale = rng.choice([0.15, 0.5, 0.8, 1.0], p=[0.2, 0.35, 0.3, 0.15])
    sats = np.clip(rng.uniform(0.1, 1.0, n) * sat_scale, 0, 1)
    vals = rng.uniform(0.15, 0.95, n)
    # make sure the palette has some contrast in value
    if n >= 2 and np.ptp(vals) < 0.25:
        vals[0] = np.clip(vals[0] + rng.choice([-0.35, 0.35]), 0.08, 0.97)
    return _hsv_to_rgb(np.array(hues), sats, vals)


def _ramp(s: np.ndarray, colours: np.ndarray) -> np.ndarray:
    """Map a scalar field ``s`` in [0, 1] to colours by piecewise-linear interpolation -> [..., 3]."""
    s = np.clip(s, 0.0, 1.0)
    k = len(colours)
    if k == 1:
        return np.broadcast_to(colours[0], s.shape + (3,)).copy()
    x = s * (k - 1)
    i = np.minimum(np.floor(x).astype(int), k - 2)
    f = (x - i)[..., None]
    return colours[i] * (1 - f) + colours[i + 1] * f


# ----------------------------------------------------------------------------------------------
# periodic scalar fields on the unit torus, sampled at L x L

def _grid(L: int):
    c = ((np.arange(L) + 0.5) / L).astype(np.float32)
    return np.meshgrid(c, c, indexing='xy')   # x (columns), y (rows), in [0, 1)


_FREQ: dict[int, np.ndarray] = {}


def fbm(rng: np.random.Generator, L: int, beta: float = 2.0, f_lo: float = 1.0,
        f_hi: float | None = None) -> np.ndarray:
    """Periodic fractal noise [L, L] (float32), zero mean, unit std: a random complex spectrum with
    amplitude ``f^(-beta/2)`` (power spectrum ``1/f^beta``) on the integer frequencies in
    [f_lo, f_hi], transformed back with a real inverse FFT (so it tiles seamlessly)."""
    f_hi = L / 2 if f_hi is None else f_hi
    fr = _FREQ.get(L)
    if fr is None:
        fy = np.fft.fftfreq(L) * L
        fx = np.fft.rfftfreq(L) * L
        fr = _FREQ[L] = np.sqrt(fy[:, None] ** 2 + fx[None, :] ** 2)
    amp = np.where((fr >= f_lo) & (fr <= f_hi), np.maximum(fr, 1e-6) ** (-beta / 2), 0.0)
    spec = (rng.standard_normal(fr.shape) + 1j * rng.standard_normal(fr.shape)) * amp
    img = np.fft.irfft2(spec, s=(L, L))
    sd = img.std()
    return ((img - img.mean()) / (sd if sd > 1e-12 else 1.0)).astype(np.float32)


def _sig(x, sharp):
    return 1.0 / (1.0 + np.exp(-np.clip(x * sharp, -40, 40)))


def _periodic_points_dist(px, py, X, Y):
    """Distances [n, L, L] from each grid point to each of n points on the unit torus."""
    dx = np.abs(X[None] - np.asarray(px, np.float32)[:, None, None])
    dy = np.abs(Y[None] - np.asarray(py, np.float32)[:, None, None])
    dx = np.minimum(dx, 1 - dx)
    dy = np.minimum(dy, 1 - dy)
    return np.sqrt(dx * dx + dy * dy)


def _pattern(rng: np.random.Generator, L: int, kind: str) -> np.ndarray:
    """One base pattern as an RGB tile [L, L, 3] in [0, 1]."""
    X, Y = _grid(L)
    pal = random_palette(rng, int(rng.integers(2, 5)))
    if kind == 'noise':
        s = fbm(rng, L, beta=rng.uniform(1.2, 3.5), f_lo=rng.choice([1, 2, 4]))
        s = 0.5 + 0.5 * np.tanh(s * rng.uniform(0.4, 1.5))
        return _ramp(s, pal)
    if kind in ('stripes', 'marble'):
        kx, ky = 0, 0
        while kx == 0 and ky == 0:
            kx, ky = rng.integers(-6 if kind == 'stripes' else -3, 7 if kind == 'stripes' else 4, 2)
        warp = fbm(rng, L, beta=3.0) * (rng.uniform(0.0, 0.08) if kind == 'stripes' else rng.uniform(0.1, 0.4))
        ph = 2 * np.pi * (kx * X + ky * Y + warp)
        s = 0.5 + 0.5 * np.sin(ph)
        if kind == 'stripes':
            s = _sig(s - rng.uniform(0.3, 0.7), rng.uniform(4, 40))
        else:
            s = s ** rng.uniform(0.5, 3.0)
        return _ramp(s, pal)
    if kind == 'checker':
        nx, ny = rng.integers(1, 7, 2)
        warp = fbm(rng, L, beta=3.0) * rng.uniform(0.0, 0.03)
        s = np.sin(2 * np.pi * (nx * X + warp)) * np.sin(2 * np.pi * (ny * Y + warp))
        s = _sig(s, rng.uniform(5, 50))
        return _ramp(s, pal[:2])
    if kind == 'dots':
        if rng.random() < 0.5:   # jittered grid
            n = int(rng.integers(2, 7))
            gx, gy = np.meshgrid((np.arange(n) + 0.5) / n, (np.arange(n) + 0.5) / n)
            j = rng.uniform(0, 0.35 / n, (2, n * n))
            px, py = gx.ravel() + j[0], gy.ravel() + j[1]
            rad = rng.uniform(0.15, 0.4) / n * rng.uniform(0.8, 1.2, n * n)
        else:                    # random blobs of varied size
            k = int(rng.integers(6, 40))
            px, py = rng.random(k), rng.random(k)
            rad = rng.uniform(0.02, 0.12, k)
        d = _periodic_points_dist(px % 1, py % 1, X, Y) / rad[:, None, None]
        which = d.argmin(0)
        inside = _sig(1.0 - d.min(0), rng.uniform(8, 30))
        cols = pal[1:][rng.integers(0, len(pal) - 1, len(px))]
        bg = np.broadcast_to(pal[0], X.shape + (3,))
        return bg * (1 - inside[..., None]) + cols[which] * inside[..., None]
    if kind == 'voronoi':
        k = int(rng.integers(5, 40))
        px, py = rng.random(k), rng.random(k)
        d = _periodic_points_dist(px, py, X, Y)
        which = d.argmin(0)
        srt = np.partition(d, 1, axis=0)
        cols = _ramp(rng.random(k), pal)
        edge = _sig(srt[1] - srt[0] - rng.uniform(0.005, 0.03), 200.0)
        return cols[which] * (0.35 + 0.65 * edge[..., None])
    if kind == 'bricks':
        rows = 2 * int(rng.integers(2, 6))       # even: the half-brick offset alternates across the wrap
        cols_n = int(rng.integers(1, 6))
        yy = Y * rows
        r = np.floor(yy)
        xx = X * cols_n + 0.5 * (r % 2)
        fx_, fy_ = xx % 1.0, yy % 1.0
        mort = rng.uniform(0.03, 0.1)
        m = _sig(np.minimum(np.minimum(fx_, 1 - fx_) * rows / max(cols_n, 1), np.minimum(fy_, 1 - fy_)) - mort, 200.0)
        cid = (np.floor(xx).astype(int) % cols_n) * 131 + r.astype(int) * 17
        brick_cols = _ramp(rng.random(cols_n * 131 + rows * 17 + 1)[cid], pal[1:] if len(pal) > 2 else pal)
        return pal[0] * (1 - m[..., None]) + brick_cols * m[..., None]
    if kind == 'plaid':
        out = np.broadcast_to(pal[0], X.shape + (3,)).copy()
        for c in pal[1:]:
            k = int(rng.integers(1, 8))
            axis = X if rng.random() < 0.5 else Y
            band = _sig(np.sin(2 * np.pi * (k * axis + rng.random())) - rng.uniform(0.2, 0.9), 30.0)
            a = rng.uniform(0.3, 0.8)
            out = out * (1 - a * band[..., None]) + c * a * band[..., None]
        return out
    if kind == 'gradient':
        kx, ky = 0, 0
        while kx == 0 and ky == 0:
            kx, ky = rng.integers(-2, 3, 2)
        s = (kx * X + ky * Y) % 1.0
        s = 1 - np.abs(2 * s - 1)            # triangle wave: periodic gradient
        s = s + 0.15 * fbm(rng, L, beta=2.5)
        return _ramp(s, pal)
    raise ValueError(f'unknown pattern kind {kind!r}')


PATTERNS = ('noise', 'stripes', 'marble', 'checker', 'dots', 'voronoi', 'bricks', 'plaid', 'gradient')
_PATTERN_P = np.array([0.2, 0.12, 0.08, 0.1, 0.12, 0.12, 0.08, 0.08, 0.1])


def procedural_texture(rng: np.random.Generator, L: int = 128) -> np.ndarray:
    """A random periodic procedural tile, float32 [L, L, 3] in [0, 1].

    A base pattern (see :data:`PATTERNS`), sometimes a second pattern blended through a noise mask,
    multiplicative multi-scale noise (always some: every surface has trackable detail), colour jitter.
    """
    kind = PATTERNS[rng.choice(len(PATTERNS), p=_PATTERN_P / _PATTERN_P.sum())]
    img = _pattern(rng, L, kind)
    if rng.random() < 0.3:   # overlay a second pattern through a smooth mask
        kind2 = PATTERNS[rng.integers(0, len(PATTERNS))]
        mask = _sig(fbm(rng, L, beta=3.0, f_hi=8) - rng.uniform(-0.5, 0.8), rng.uniform(2, 20))
        img = img * (1 - mask[..., None]) + _pattern(rng, L, kind2) * mask[..., None]
    # multi-scale luminance noise: coarse (shading-like variation) + fine (grain)
    coarse = fbm(rng, L, beta=2.5, f_hi=8) * rng.uniform(0.03, 0.2)
    fine = fbm(rng, L, beta=rng.uniform(0.5, 1.5), f_lo=8) * rng.uniform(0.03, 0.12)
    img = img * (1 + coarse + fine)[..., None]
    # per-channel colour noise
    if rng.random() < 0.5:
        img = img + fbm(rng, L, beta=2.0)[..., None] * rng.uniform(0, 0.04, 3)
    img = img * rng.uniform(0.9, 1.1, 3)
    return np.clip(img, 0.0, 1.0).astype(np.float32)


# ----------------------------------------------------------------------------------------------
# photo texture bank

_REPO = Path(__file__).resolve().parents[2]            # .../main
CACHE_DIR = _REPO / 'training' / '.cache'
BANK_PATH = CACHE_DIR / 'texture_bank.npz'
BANK_VERSION = 1
BANK_HEIGHT = 192          # bank frames are stored with this height (width keeps the aspect ratio)
FRAMES_PER_VIDEO = 16      # evenly spaced frames decoded from each video


def shared_data_dir() -> Path:
    """The shared data folder: ``$D4RT_SHARED_DATA`` or ``<repo>/../shared/data``."""
    env = os.environ.get('D4RT_SHARED_DATA')
    return Path(env) if env else _REPO.parent / 'shared' / 'data'


def _resize_h(img: np.ndarray, h: int) -> np.ndarray:
    from PIL import Image
    H, W = img.shape[:2]
    w = max(1, round(W * h / H))
    return np.asarray(Image.fromarray(img).resize((w, h), Image.LANCZOS))


def _decode_video(path: Path, n: int) -> list[np.ndarray]:
    """``n`` evenly spaced frames of a video as uint8 RGB arrays (height BANK_HEIGHT), via ffmpeg."""
    probe = subprocess.run(['ffprobe', '-v', 'error', '-select_streams', 'v:0', '-count_packets',
                            '-show_entries', 'stream=width,height,nb_read_packets', '-of', 'csv=p=0',
                            str(path)], capture_output=True, text=True, check=True)
    w, h, count = (int(x) for x in probe.stdout.strip().split(',')[:3])
    ow = max(2, round(w * BANK_HEIGHT / h) // 2 * 2)
    raw = subprocess.run(['ffmpeg', '-v', 'error', '-i', str(path), '-vf', f'scale={ow}:{BANK_HEIGHT}',
                          '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-'], capture_output=True, check=True).stdout
    frames = np.frombuffer(raw, np.uint8)
    nf = frames.size // (ow * BANK_HEIGHT * 3)
    frames = frames[: nf * ow * BANK_HEIGHT * 3].reshape(nf, BANK_HEIGHT, ow, 3)
    idx = np.unique(np.linspace(0, nf - 1, min(n, nf)).round().astype(int))
    return [frames[i].copy() for i in idx]


def build_photo_bank(data_dir: Path | None = None, out: Path = BANK_PATH) -> Path | None:
    """Decode the photo sources into ``out`` (.npz: ``img_000``, ... uint8 [BANK_HEIGHT, w, 3]).

    Sources: ``sintel-frames/*.png`` and ``videos/*.mp4`` of the shared data folder (never the
    evaluation sets). Returns ``None`` when no source exists. Written atomically (temp file + rename),
    so concurrent builders are safe."""
    data_dir = shared_data_dir() if data_dir is None else Path(data_dir)
    imgs: list[np.ndarray] = []
    names: list[str] = []
    sintel = data_dir / 'sintel-frames'
    if sintel.is_dir():
        from PIL import Image
        for p in sorted(sintel.glob('*.png')):
            imgs.append(_resize_h(np.asarray(Image.open(p).convert('RGB')), BANK_HEIGHT))
            names.append(f'sintel-frames/{p.name}')
    videos = data_dir / 'videos'
    if videos.is_dir():
        for p in sorted(videos.glob('*.mp4')):
            try:
                fr = _decode_video(p, FRAMES_PER_VIDEO)
            except (OSError, subprocess.CalledProcessError, ValueError) as e:  # no ffmpeg, bad file
                print(f'[d4rt textures] warning: could not decode {p}: {e}', file=sys.stderr)
                continue
            imgs.extend(fr)
            names.extend(f'videos/{p.name}#{i}' for i in range(len(fr)))
    if not imgs:
        return None
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(suffix='.npz', prefix='.texture_bank-', dir=out.parent)
    os.close(fd)
    try:
        arrays = {f'img_{i:03d}': im for i, im in enumerate(imgs)}
        np.savez_compressed(tmp, version=np.array(BANK_VERSION), names=np.array(names), **arrays)
        os.replace(tmp, out)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    return out


_BANK: list[np.ndarray] | None = None
_BANK_LOADED = False


def photo_bank() -> list[np.ndarray] | None:
    """The photo bank (list of uint8 [BANK_HEIGHT, w, 3] images), loaded once per process; built on
    first use. ``None`` (and one printed warning) when the photo sources are absent."""
    global _BANK, _BANK_LOADED
    if _BANK_LOADED:
        return _BANK
    _BANK_LOADED = True
    path = BANK_PATH
    data = None
    if path.exists():
        try:
            with np.load(path) as z:
                if int(z['version']) == BANK_VERSION:
                    data = [z[k] for k in sorted(k for k in z.files if k.startswith('img_'))]
        except (OSError, ValueError, KeyError):
            data = None
    if data is None:
        built = build_photo_bank()
        if built is not None:
            with np.load(built) as z:
                data = [z[k] for k in sorted(k for k in z.files if k.startswith('img_'))]
    if not data:
        print(f'[d4rt textures] warning: photo texture sources absent under {shared_data_dir()}; '
              'procedural textures only', file=sys.stderr)
        _BANK = None
    else:
        _BANK = data
    return _BANK


def _crossfade_periodic(img: np.ndarray, band: float = 0.25) -> np.ndarray:
    """Make an [L, L, 3] image periodic without mirror symmetry: blend it with a copy rolled by half
    a tile, first along x then along y. The weight of the original is 0 at the tile borders (where its
    own seam is) and 1 in the middle (where the rolled copy's seam is)."""
    L = img.shape[0]
    c = (np.arange(L) + 0.5) / L
    e = np.clip(np.minimum(c, 1 - c) / band, 0, 1)
    w = e * e * (3 - 2 * e)
    out = img * w[None, :, None] + np.roll(img, L // 2, 1) * (1 - w[None, :, None])
    return out * w[:, None, None] + np.roll(out, L // 2, 0) * (1 - w[:, None, None])


def photo_texture(rng: np.random.Generator, bank: list[np.ndarray], L: int = 128) -> np.ndarray:
    """A periodic tile float32 [L, L, 3] cut from a random photo: a square crop (random size and
    place, random flip / 90-degree turn) made seamless either by cross-fading with a half-tile shifted
    copy (70 %) or by mirroring a half-size crop (30 %), with mild colour jitter."""
    from PIL import Image
    img = bank[int(rng.integers(0, len(bank)))]
    Hh, Ww = img.shape[:2]
    c = int(rng.integers(min(40, Hh), min(Hh, Ww) + 1))
    y0 = int(rng.integers(0, Hh - c + 1))
    x0 = int(rng.integers(0, Ww - c + 1))
    crop = img[y0:y0 + c, x0:x0 + c]
    mirror = rng.random() < 0.3
    h = L // 2 if mirror else L
    crop = np.asarray(Image.fromarray(crop).resize((h, h), Image.BILINEAR if c < h else Image.LANCZOS))
    crop = np.rot90(crop, int(rng.integers(0, 4)))
    if rng.random() < 0.5:
        crop = crop[:, ::-1]
    crop = crop.astype(np.float32) / 255.0
    if mirror:
        top = np.concatenate([crop, crop[:, ::-1]], 1)
        tile = np.concatenate([top, top[::-1]], 0)
    else:
        tile = _crossfade_periodic(crop)
    # colour jitter: saturation, per-channel gains, brightness
    gray = tile.mean(-1, keepdims=True)
    tile = gray + (tile - gray) * rng.uniform(0.6, 1.3)
    tile = tile * rng.uniform(0.85, 1.15, 3) * rng.uniform(0.8, 1.2)
    return np.clip(tile, 0, 1).astype(np.float32)


# ----------------------------------------------------------------------------------------------
# mip-mapped atlas sampling (torch)

class TextureAtlas:
    """All tiles of one scene with their mip pyramids in one float32 image, sampled with
    ``torch.nn.functional.grid_sample`` (trilinear: bilinear at two mip levels, blended).

    ``tiles``: float array [S, L, L, 3] in [0, 1] (L a power of two). Level k (side ``L >> k``) of
    tile s is stored, with a one-texel wrap-around border (so bilinear filtering wraps), at rows
    ``s (Lk + 2) ...`` of the k-th column block of the atlas image [1, 3, S (L + 2), sum_k (Lk + 2)].
    """

    def __init__(self, tiles: np.ndarray, device='cpu'):
        S, L, L2, _ = tiles.shape
        assert L == L2 and L & (L - 1) == 0, 'tiles must be square with a power-of-two side'
        self.S, self.L = S, L
        self.levels = int(math.log2(L)) + 1
        t = torch.from_numpy(np.ascontiguousarray(tiles, dtype=np.float32)).permute(0, 3, 1, 2)
        sizes = [L >> k for k in range(self.levels)]
        widths = [n + 2 for n in sizes]
        self.Ha, self.Wa = S * (L + 2), sum(widths)
        img = torch.zeros(3, self.Ha, self.Wa)
        x0 = 0
        for k in range(self.levels):
            if k > 0:
                t = torch.nn.functional.avg_pool2d(t, 2)
            tp = torch.nn.functional.pad(t, (1, 1, 1, 1), mode='circular')        # [S, 3, Lk + 2, Lk + 2]
            n = widths[k]
            img[:, : S * n, x0:x0 + n] = tp.permute(1, 0, 2, 3).reshape(3, S * n, n)
            x0 += n
        self.image = img.unsqueeze(0).to(device)
        self.device = torch.device(device)
        self._size = torch.tensor(sizes, dtype=torch.float32, device=device)
        self._x0 = torch.tensor(np.cumsum([0] + widths[:-1]), dtype=torch.float32, device=device)

    def sample(self, tex: torch.Tensor, a: torch.Tensor, b: torch.Tensor, lod: torch.Tensor) -> torch.Tensor:
        """Trilinear sample: tile ids ``tex`` (int64 [N]), tile coordinates ``a`` (across) and ``b``
        (down) in tile units (wrapping), level of detail ``lod`` (log2 of texels per pixel) -> [N, 3]
        float in [0, 1]."""
        N = tex.shape[0]
        lod = lod.clamp(0.0, self.levels - 1.0)
        l0f = torch.floor(lod)
        wl = (lod - l0f).unsqueeze(0)
        l0 = l0f.long()
        lv = torch.stack([l0, (l0 + 1).clamp(max=self.levels - 1)])            # [2, N]
        size = self._size[lv]
        fa = (a - torch.floor(a)).unsqueeze(0)
        fb = (b - torch.floor(b)).unsqueeze(0)
        x = self._x0[lv] + 1.0 + fa * size                                     # atlas pixel coordinates
        y = tex.unsqueeze(0).float() * (size + 2.0) + 1.0 + fb * size
        grid = torch.stack([x * (2.0 / self.Wa) - 1.0, y * (2.0 / self.Ha) - 1.0], -1).reshape(1, 1, 2 * N, 2)
        c = torch.nn.functional.grid_sample(self.image, grid, mode='bilinear', padding_mode='border',
                                            align_corners=False).reshape(3, 2, N)
        return (c[:, 0] + (c[:, 1] - c[:, 0]) * wl).T
