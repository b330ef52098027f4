"""Synthetic 4D scenes with exact ground truth for D4RT-style training.

A scene (Kubric-like, fully procedural, deterministic by seed) is a closed, textured box room with a
moving camera inside and a few rigid objects (boxes, spheres, ellipsoids, capped cylinders) that
translate and rotate smoothly over normalised scene time ``tau`` in [0, 1]. Rendering is analytic ray
casting in torch, vectorised over all pixels of all frames and all primitives at once; the same ray
caster answers exact query tuples ``(u, v, tSrc, tTgt, tCam)``.

Conventions
-----------
* World frame: metres, x right, **y down** (gravity is +y), z forward. The floor is the plane y = 0,
  the ceiling y = -room height.
* Cameras: OpenCV axes (x right, y down, z forward); poses are camera-to-world 4x4; intrinsics
  ``K = [[fx, 0, cx], [0, fy, cy], [0, 0, 1]]`` in pixels.
* Image coordinates: ``u = x / (W - 1)``, ``v = y / (H - 1)`` where (x, y) are pixel-centre indices
  (pixel (0, 0) centre is u = v = 0). The ray for (u, v) has camera direction ``K^-1 [x, y, 1]``.
* Depth is camera z (not ray length). Ray directions are built with camera z = 1, so the ray
  parameter of a hit *is* its depth.
* "Anisotropic pixels": a scene mimics a source video of aspect ``scene.aspect`` (W/H) with square
  pixels, resized to the render size H x W: ``W_src = round(H * aspect)``,
  ``f_src = 0.5 W_src / tan(fov / 2)``, ``fx = f_src (W - 1) / (W_src - 1)``, ``fy = f_src``,
  ``cx = (W - 1) / 2``, ``cy = (H - 1) / 2``. The horizontal field of view is that of the source.

Exact queries (:meth:`Clip.query`): the ray of (u, v) in frame tSrc (camera and object poses at that
frame's scene time) gives the hit object and the hit point in the object's local frame; that material
point is moved with the object to frame tTgt's scene time. ``visible`` = in front of camera tTgt, inside
the image, and not occluded: the ray through its projection in frame tTgt hits at depth
``z_hit >= z * (1 - VIS_REL_TOL)`` (nothing lies more than 0.1 % of its depth in front of it).

Scene content (all ranges in :class:`SceneConfig`)
-------------------------------------------------
* Room: 4-10 m x 4-10 m, 2.5-4 m high; every face has its own texture (planar projection, tile size
  0.8-3 m). One point light near the ceiling (60 %) or a directional light, Lambertian shading with
  ambient light, cast shadows from the objects (80 %), per-clip exposure / gain / gamma / contrast.
* Objects (3-7): boxes, spheres, ellipsoids, capped cylinders, 0.3-1.5 m (log-uniform), resting on the
  floor (rotating about the vertical) or floating (any rotation); placed in view at a random time,
  depth 1.2-5.5 m. Motion: quadratic Bezier paths (0.2-1.5 m, 20 % out-and-back) with an easing curve,
  rotation about a fixed axis (0-180 deg) with its own easing; 15 % of clips have only static objects,
  otherwise 20 % of objects are static. Bounding spheres keep objects inside the room, apart from each
  other and > ``camera_margin`` (0.5 m) from the camera centre at all times.
* Camera: starts near the back of the room looking in (yaw +-35 deg, pitch 3-25 deg down); motion
  kinds static (nearly), pan, orbit (about a point ahead), forward/backward dolly, free (Bezier paths
  for position and look-at target), <= ``camera_translation`` (2 m), optional hand-held shake and a
  small roll. Horizontal FOV 45-80 deg, source aspect 1-2.
* Textures (:mod:`d4rt_train.textures`): one periodic 128 x 128 tile per surface, procedural (noise,
  stripes, checkers, dots, cells, bricks, ...) or, with ``photo_texture_prob``, cut from real photos.
  They live in object-local coordinates (box faces: planar per face; ellipsoids: dominant-axis planar;
  cylinder sides: cylindrical), so they move with the objects. Sampling is trilinear with mip maps.

Time: poses are smooth functions of the normalised scene time tau in [0, 1]. ``render(T, H, W)`` shows
tau = linspace(0, 1, T) (the whole motion, whatever T is); ``time_map`` picks tau per frame (repeat a
value to repeat a frame exactly). ``Clip.times`` stores the tau of each frame, and queries use it.

Rendering cost: rays are cast in 8 x 8 pixel tiles; (frame, object, tile) triples whose bounding
cones miss an object's bounding sphere are skipped (exact: the same hits as brute force), and shadow
rays are culled the same way. Run ``python -m d4rt_train.synth [threads]`` for timings. On a 2-core
machine shared with other busy processes, 2 torch threads can be far slower than 1 (threads wait for
each other at every op); use ``torch.set_num_threads(1)`` there.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np
import torch

from . import textures as tx

# object primitive codes (all are described by local half-extents s = (sx, sy, sz))
BOX, ELLIPSOID, CYLINDER = 0, 1, 2      # a sphere is an ellipsoid with equal half-extents; cylinder axis = local y
SHAPES = ('box', 'sphere', 'ellipsoid', 'cylinder')

VIS_REL_TOL = 1e-3       # visibility: occluded iff something is > VIS_REL_TOL * depth in front of the point
_INSIDE_SLACK_PX = 1e-3  # visibility: "inside the image" = pixel coords in [-slack, W - 1 + slack] (float rounding)
_EPS_T = 1e-5            # minimum ray parameter (metres of depth) for a hit
_TILE = 8                # render: pixels are cast in TILE x TILE tiles, culled per (frame, object, tile)
# texture-space axes (across, down) used for a planar projection along each axis
_ACROSS = (2, 0, 0)
_DOWN = (1, 2, 1)


@dataclass(frozen=True)
class SceneConfig:
    """All randomisation ranges of :func:`make_scene` (units: metres, degrees; ranges are (lo, hi))."""
    n_objects: tuple[int, int] = (3, 7)              # inclusive
    fov_deg: tuple[float, float] = (45.0, 80.0)      # horizontal FOV of the source camera
    aspect: tuple[float, float] = (1.0, 2.0)         # source video aspect W/H
    photo_texture_prob: float = 0.3                  # per surface, when the photo bank exists
    texture_res: int = 128                           # texels per tile side (power of two)
    # room
    room_width: tuple[float, float] = (4.0, 10.0)    # x extent
    room_depth: tuple[float, float] = (4.0, 10.0)    # z extent
    room_height: tuple[float, float] = (2.5, 4.0)
    room_tile_m: tuple[float, float] = (0.8, 3.0)    # size of one texture tile on a room face
    # objects
    object_size: tuple[float, float] = (0.3, 1.5)    # largest full extent of an object (log-uniform)
    shape_probs: tuple[float, ...] = (0.35, 0.2, 0.2, 0.25)   # box, sphere, ellipsoid, cylinder
    floor_prob: float = 0.55                         # object rests on the floor (rotates about vertical)
    object_depth: tuple[float, float] = (1.2, 5.5)   # camera depth where objects are placed
    static_scene_prob: float = 0.15                  # clip whose objects all stand still
    static_object_prob: float = 0.2                  # otherwise, per object
    object_translation: tuple[float, float] = (0.2, 1.5)   # path length scale over the clip
    object_rotation_deg: tuple[float, float] = (0.0, 180.0)
    camera_margin: float = 0.5                       # min distance camera centre <-> object surface
    # camera
    camera_height: tuple[float, float] = (1.0, 1.8)
    camera_pitch_deg: tuple[float, float] = (3.0, 25.0)     # looking down
    camera_yaw_deg: float = 35.0
    camera_motion_probs: tuple[float, ...] = (0.12, 0.25, 0.25, 0.15, 0.23)  # static, pan, orbit, forward, free
    camera_translation: float = 2.0                  # max camera translation over the clip
    camera_shake_prob: float = 0.5
    # lighting / appearance
    point_light_prob: float = 0.6
    shadow_prob: float = 0.8
    ambient: tuple[float, float] = (0.3, 0.6)       # relative to the diffuse strength below
    diffuse: tuple[float, float] = (0.5, 0.9)
    exposure: tuple[float, float] = (0.85, 1.2)      # mean shading (ambient + diffuse / 2) maps to this
    photometric_jitter: bool = True


# ----------------------------------------------------------------------------------------------
# small numpy geometry helpers (float64)

def _rot_axis(axis: np.ndarray, ang: np.ndarray) -> np.ndarray:
    """Rodrigues: unit axes [..., 3], angles [...] (radians) -> rotation matrices [..., 3, 3]."""
    axis = np.asarray(axis, np.float64)
    ang = np.asarray(ang, np.float64)
    x, y, z = np.moveaxis(axis, -1, 0)
    zero = np.zeros_like(x)
    Kx = np.stack([np.stack([zero, -z, y], -1), np.stack([z, zero, -x], -1), np.stack([-y, x, zero], -1)], -2)
    s = np.sin(ang)[..., None, None]
    c = np.cos(ang)[..., None, None]
    return np.eye(3) + s * Kx + (1 - c) * (Kx @ Kx)


def _rot_y(a):
    return _rot_axis(np.array([0.0, 1.0, 0.0]), a)


def _random_rotation(rng: np.random.Generator) -> np.ndarray:
    q = rng.standard_normal(4)
    q /= np.linalg.norm(q)
    w, x, y, z = q
    return np.array([[1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)],
                     [2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)],
                     [2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)]])


def _ease(kind: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Easing curves on [0, 1]: 0 linear, 1 smoothstep, 2 ease-in, 3 ease-out. ``kind`` [M] ints,
    ``t`` [T] -> [T, M]."""
    t = np.asarray(t, np.float64)[:, None]
    curves = np.stack([np.broadcast_to(t, t.shape), t * t * (3 - 2 * t), t * t, 1 - (1 - t) ** 2], 0)[..., 0]
    return curves[np.asarray(kind)].T  # [T, M]


def _bezier(ctrl: np.ndarray, s: np.ndarray) -> np.ndarray:
    """Bezier curves: control points [M, n, 3], parameters [T, M] -> points [T, M, 3]."""
    n = ctrl.shape[1] - 1
    s = s[..., None]
    out = 0.0
    for i in range(n + 1):
        out = out + math.comb(n, i) * (s ** i) * ((1 - s) ** (n - i)) * ctrl[None, :, i]
    return out


def _look_at(p: np.ndarray, q: np.ndarray, roll: np.ndarray) -> np.ndarray:
    """Camera-to-world [T, 4, 4] for centres p [T, 3] looking at q [T, 3], world down = +y, then
    rolled by ``roll`` (radians) about the optical axis."""
    z = q - p
    z /= np.linalg.norm(z, axis=-1, keepdims=True)
    down = np.array([0.0, 1.0, 0.0])
    x = np.cross(down, z)
    x /= np.linalg.norm(x, axis=-1, keepdims=True)
    y = np.cross(z, x)
    Rm = np.stack([x, y, z], -1)                       # columns = camera axes in world
    Rm = Rm @ _rot_axis(np.array([0.0, 0.0, 1.0]), roll)
    T = np.tile(np.eye(4), (len(p), 1, 1))
    T[:, :3, :3] = Rm
    T[:, :3, 3] = p
    return T


def _dir_from_angles(yaw, pitch):
    """Unit direction for yaw (about vertical, 0 = +z, positive towards +x) and pitch (positive = down)."""
    return np.array([math.sin(yaw) * math.cos(pitch), math.sin(pitch), math.cos(yaw) * math.cos(pitch)])


# ----------------------------------------------------------------------------------------------
# ray / unit-primitive intersection (torch). Vectors are tuples of 3 component tensors (structure of
# arrays: contiguous, broadcastable, e.g. origins [G, M, 1] with directions [G, M, N]). o, d are in
# the primitive's unit frame (local coordinates divided by the half-extents); the ray parameter is
# invariant under that scaling. Each function returns the entering ray parameter (inf = miss).

def _safe(d):
    return torch.where(d.abs() < 1e-12, torch.full_like(d, 1e-12), d)


def _dot(a, b):
    return torch.addcmul(torch.addcmul(a[0] * b[0], a[1], b[1]), a[2], b[2])


def _hit_box(o, d):
    tn = tf = None
    for i in range(3):
        inv = 1.0 / _safe(d[i])
        t1 = (-1.0 - o[i]) * inv
        t2 = (1.0 - o[i]) * inv
        lo, hi = torch.minimum(t1, t2), torch.maximum(t1, t2)
        tn = lo if tn is None else torch.maximum(tn, lo)
        tf = hi if tf is None else torch.minimum(tf, hi)
    ok = (tf >= tn) & (tn > _EPS_T)
    return torch.where(ok, tn, torch.full_like(tn, math.inf))


def _hit_sphere(o, d):
    # stable near root t = c / (-b + sqrt(b^2 - a c)) for an origin outside (c > 0) facing it (b < 0)
    a = _dot(d, d)
    b = _dot(o, d)
    c = _dot(o, o) - 1.0
    disc = b * b - a * c
    t = c / (torch.sqrt(disc.clamp(min=0.0)) - b)
    ok = (disc >= 0) & (b < 0) & (c > 0) & (t > _EPS_T)
    return torch.where(ok, t, torch.full_like(t, math.inf))


def _hit_cylinder(o, d):
    ox, oy, oz = o
    dx, dy, dz = d
    a = torch.addcmul(dx * dx, dz, dz)
    b = torch.addcmul(ox * dx, oz, dz)
    c = torch.addcmul(ox * ox, oz, oz) - 1.0
    disc = b * b - a * c
    ts = c / (torch.sqrt(disc.clamp(min=0.0)) - b)
    ys = oy + ts * dy
    ok_s = (disc >= 0) & (b < 0) & (c > 0) & (ts > _EPS_T) & (ys.abs() <= 1.0)
    dys = _safe(dy)
    tc = (-torch.sign(dys) - oy) / dys                   # entering cap: y = -1 if dy > 0 else +1
    xc = ox + tc * dx
    zc = oz + tc * dz
    ok_c = (tc > _EPS_T) & (torch.addcmul(xc * xc, zc, zc) <= 1.0)
    inf = torch.full_like(ts, math.inf)
    return torch.minimum(torch.where(ok_s, ts, inf), torch.where(ok_c, tc, inf))


_HIT_FN = {BOX: _hit_box, ELLIPSOID: _hit_sphere, CYLINDER: _hit_cylinder}


def _room_hit(o, d, lo, hi):
    """Exit of rays from inside the axis-aligned room box (lo, hi: python floats per axis).
    Returns t and face (= 2 * axis + (1 if the hi wall else 0)), broadcast shapes of o / d."""
    tt, pos = [], []
    for i in range(3):
        di = _safe(d[i])
        p = di > 0
        tt.append((torch.where(p, torch.full_like(di, hi[i]), torch.full_like(di, lo[i])) - o[i]) / di)
        pos.append(p)
    t, axis = torch.stack(torch.broadcast_tensors(*tt)).min(0)
    side = torch.gather(torch.stack(torch.broadcast_tensors(*pos)).long(), 0, axis.unsqueeze(0)).squeeze(0)
    return t, 2 * axis + side


def _xform(v, A, b=None):
    """Components of ``v`` [G, 1|N] each, through 3x3 maps A [G, M, 3, 3] as ``w_i = sum_j v_j A_ji
    (- b_i)`` -> 3 tensors [G, M, 1|N] (``b`` [G, M, 3] is subtracted for points)."""
    x, y, z = (c.unsqueeze(1) for c in v)
    out = []
    for i in range(3):
        w = torch.addcmul(torch.addcmul(x * A[:, :, 0, i, None], y, A[:, :, 1, i, None]), z, A[:, :, 2, i, None])
        if b is not None:
            w = w - b[:, :, i, None]
        out.append(w)
    return tuple(out)


# ----------------------------------------------------------------------------------------------

class Scene:
    """A sampled scene: room, camera trajectory, objects with their motion, textures and lights.

    Everything is a deterministic function of the seed. Geometry parameters live in numpy (float64);
    the texture atlas and per-object constants live in torch on ``device``. Poses are continuous
    functions of the normalised scene time ``tau`` in [0, 1].
    """

    def __init__(self, seed: int, cfg: SceneConfig, device='cpu'):
        self.seed = int(seed)
        self.cfg = cfg
        self.device = torch.device(device)
        rng = np.random.default_rng([self.seed, 0x5EED])
        self._sample_room_camera(rng)
        self._sample_lights(rng)
        self._sample_objects(rng)
        self._sample_appearance(rng)

    # ---------------------------------------------------------------- sampling
    def _sample_room_camera(self, rng):
        cfg = self.cfg
        self.fov_deg = float(rng.uniform(*cfg.fov_deg))
        self.aspect = float(rng.uniform(*cfg.aspect))
        Wr, Dr, Hr = rng.uniform(*cfg.room_width), rng.uniform(*cfg.room_depth), rng.uniform(*cfg.room_height)
        self.room_lo = np.array([-Wr / 2, -Hr, -Dr / 2])
        self.room_hi = np.array([Wr / 2, 0.0, Dr / 2])
        h = rng.uniform(cfg.camera_height[0], min(cfg.camera_height[1], Hr - 0.5))
        p0 = np.array([rng.uniform(-0.5, 0.5) * (Wr / 2 - 0.8), -h, -Dr / 2 + rng.uniform(0.8, max(0.9, 0.35 * Dr))])
        names = ('static', 'pan', 'orbit', 'forward', 'free')
        probs = np.asarray(cfg.camera_motion_probs, np.float64)
        kind = names[rng.choice(len(names), p=probs / probs.sum())]
        for attempt in range(30):
            params = self._sample_camera_path(rng, p0, kind if attempt < 25 else 'static')
            self._cam = params
            taus = np.linspace(0, 1, 65)
            P, Q, _ = self._camera_pq(taus)
            lo, hi = self.room_lo + 0.3, self.room_hi - 0.3
            hi = hi.copy()
            hi[1] = -0.4                                   # camera >= 0.4 m above the floor
            dirs = Q - P
            dirs /= np.linalg.norm(dirs, axis=-1, keepdims=True)
            if (P >= lo).all() and (P <= hi).all() and (np.abs(dirs[:, 1]) < 0.8).all():
                break
        self.camera_motion = self._cam['kind']

    def _sample_camera_path(self, rng, p0, kind):
        cfg = self.cfg
        yaw = math.radians(rng.uniform(-cfg.camera_yaw_deg, cfg.camera_yaw_deg))
        pitch = math.radians(rng.uniform(*cfg.camera_pitch_deg))
        focus = rng.uniform(2.5, 4.0)
        d0 = _dir_from_angles(yaw, pitch)
        q0 = p0 + d0 * focus
        small = lambda s: rng.normal(0, s, (4, 3))
        P = np.tile(p0, (4, 1))
        Q = np.tile(q0, (4, 1))
        pivot, beta = p0.copy(), 0.0
        maxT = cfg.camera_translation
        if kind == 'static':
            P = P + small(0.01)
            Q = Q + small(0.02)
        elif kind == 'pan':
            dyaw = math.radians(rng.uniform(10, 40)) * rng.choice([-1, 1])
            dpitch = math.radians(rng.uniform(-8, 8))
            Q = np.stack([p0 + _dir_from_angles(yaw + dyaw * i / 3, pitch + dpitch * i / 3) * focus for i in range(4)])
            P = P + small(0.04)
        elif kind == 'orbit':
            pivot = q0.copy()
            pivot[1] = p0[1] + rng.uniform(0.0, 1.0) * (q0[1] - p0[1])
            r = np.linalg.norm((pivot - p0)[[0, 2]])
            bmax = min(math.radians(35), maxT / max(r, 1e-3))
            beta = rng.uniform(min(math.radians(10), bmax), bmax) * rng.choice([-1, 1])
            P = P + small(0.05)
            Q = Q + small(0.1)
        elif kind == 'forward':
            dh = np.array([d0[0], 0.0, d0[2]])
            dh /= np.linalg.norm(dh)
            L = rng.uniform(0.4, min(1.5, maxT)) * rng.choice([-1, 1], p=[0.3, 0.7])
            lat = np.cross(np.array([0.0, 1.0, 0.0]), dh)
            P = np.stack([p0 + dh * L * i / 3 for i in range(4)]) + np.outer(rng.normal(0, 0.1, 4), lat)
            if rng.random() < 0.5:
                Q = P + d0 * focus + small(0.1)
            else:
                Q = Q + small(0.1)
        else:  # free
            steps = rng.normal(0, 1, (3, 3))
            steps *= rng.uniform(0.2, maxT / 3) / np.linalg.norm(steps, axis=1, keepdims=True)
            steps[:, 1] *= 0.4
            P = p0 + np.concatenate([np.zeros((1, 3)), np.cumsum(steps, 0)])
            Q = Q + rng.normal(0, 0.5, (4, 3))
        shake = rng.random() < cfg.camera_shake_prob
        return dict(
            kind=kind, P=P, Q=Q, pivot=pivot, beta=beta, ease=int(rng.integers(0, 4)),
            roll0=math.radians(rng.normal(0, 2.0)), droll=math.radians(rng.normal(0, 3.0)),
            shake_amp=np.array([rng.uniform(0.003, 0.015), rng.uniform(0.005, 0.03)]) if shake else np.zeros(2),
            shake_freq=rng.uniform(0.7, 3.0, (2, 3, 2)), shake_phase=rng.uniform(0, 2 * np.pi, (2, 3, 2)))

    def _camera_pq(self, taus):
        """Camera centres P [T, 3], look-at targets Q [T, 3], rolls [T] at scene times ``taus``."""
        c = self._cam
        taus = np.asarray(taus, np.float64)
        e = _ease(np.array([c['ease']]), taus)             # [T, 1]
        P = _bezier(c['P'][None], e)[:, 0]
        Q = _bezier(c['Q'][None], e)[:, 0]
        if c['beta'] != 0.0:
            Rb = _rot_y(c['beta'] * e[:, 0])               # orbit about the pivot's vertical axis
            P = c['pivot'] + ((P - c['pivot'])[:, None, :] @ np.swapaxes(Rb, -1, -2))[:, 0]
        for k, X in enumerate((P, Q)):                     # hand-held shake: smooth sinusoids
            if c['shake_amp'][k] > 0:
                w = 2 * np.pi * c['shake_freq'][k][None] * taus[:, None, None] + c['shake_phase'][k][None]
                X += c['shake_amp'][k] * np.sin(w).sum(-1) / 2
        roll = c['roll0'] + c['droll'] * e[:, 0]
        return P, Q, roll

    def camera_to_world(self, taus) -> np.ndarray:
        """Camera-to-world poses [T, 4, 4] (float64) at scene times ``taus``."""
        P, Q, roll = self._camera_pq(taus)
        return _look_at(P, Q, roll)

    def _sample_lights(self, rng):
        cfg = self.cfg
        self.point_light = bool(rng.random() < cfg.point_light_prob)
        span = self.room_hi - self.room_lo
        self.light_pos = np.array([rng.uniform(-0.4, 0.4) * span[0], self.room_lo[1] + 0.15,
                                   rng.uniform(-0.4, 0.4) * span[2]])
        az, el = rng.uniform(0, 2 * np.pi), math.radians(rng.uniform(30, 80))
        self.light_dir = np.array([math.cos(el) * math.cos(az), -math.sin(el), math.cos(el) * math.sin(az)])
        ambient = float(rng.uniform(*cfg.ambient))
        diffuse = float(rng.uniform(*cfg.diffuse))
        expo = float(rng.uniform(*cfg.exposure)) / (ambient + 0.5 * diffuse)
        self.ambient, self.diffuse = ambient * expo, diffuse * expo
        self.light_colour = 1.0 + rng.uniform(-0.08, 0.08, 3)
        self.shadows = bool(rng.random() < cfg.shadow_prob)
        cam_q = self._camera_pq(np.array([0.5]))[1][0]
        self.light_ref = float(np.linalg.norm(cam_q - self.light_pos))   # falloff normalised here

    def _sample_objects(self, rng):
        cfg = self.cfg
        n_target = int(rng.integers(cfg.n_objects[0], cfg.n_objects[1] + 1))
        all_static = bool(rng.random() < cfg.static_scene_prob)
        taus = np.linspace(0, 1, 41)
        cams = self.camera_to_world(taus)
        cam_c = cams[:, :3, 3]
        tan_x = math.tan(math.radians(self.fov_deg) / 2)
        tan_y = tan_x / self.aspect
        objs = []
        paths = []          # [T, 3] centre samples of accepted objects
        for i in range(n_target):
            for attempt in range(60):
                o = self._sample_object(rng, all_static)
                # anchor: a point in view at a random time
                k = int(rng.integers(0, len(taus)))
                u, v = rng.uniform(0.1, 0.9), rng.uniform(0.15, 0.95)
                dc = np.array([(2 * u - 1) * tan_x, (2 * v - 1) * tan_y, 1.0])
                dw = cams[k, :3, :3] @ dc
                oc = cam_c[k]
                if o['floor']:
                    if dw[1] <= 1e-3:
                        continue
                    t = (-o['ey'] - oc[1]) / dw[1]              # ray hits the plane of the object's centre
                    if not (cfg.object_depth[0] <= t <= cfg.object_depth[1]):
                        continue
                else:
                    t = rng.uniform(*cfg.object_depth)
                X = oc + t * dw
                e = _ease(np.array([o['ease_t']]), taus)       # [T, 1]
                Pc = o['P'] - _bezier(o['P'][None], e[k:k + 1])[0, 0] + X
                o['P'] = Pc
                C = _bezier(Pc[None], e)[:, 0]                 # [T, 3]
                r = o['r']
                lo, hi = self.room_lo + r + 0.02, self.room_hi - r
                if o['floor']:
                    lo[1], hi[1] = -1e9, 1e9
                else:
                    lo[1] = self.room_lo[1] + 0.3 + r
                if not ((C >= lo).all() and (C <= hi).all()):
                    continue
                if (np.linalg.norm(C - cam_c, axis=-1) - r).min() < cfg.camera_margin:
                    continue
                if self.point_light and (np.linalg.norm(C - self.light_pos, axis=-1) - r).min() < 0.1:
                    continue
                if any((np.linalg.norm(C - Cj, axis=-1) - r - oj['r']).min() < 0.02 for Cj, oj in zip(paths, objs)):
                    continue
                objs.append(o)
                paths.append(C)
                break
        self.objects = objs
        M = len(objs)
        self.n_objects = M
        self.obj_type = [o['type'] for o in objs]
        self.obj_shape = [o['shape'] for o in objs]
        self.obj_half = np.array([o['half'] for o in objs]).reshape(M, 3)
        self.obj_P = np.array([o['P'] for o in objs]).reshape(M, 3, 3)
        self.obj_R0 = np.array([o['R0'] for o in objs]).reshape(M, 3, 3)
        self.obj_axis = np.array([o['axis'] for o in objs]).reshape(M, 3)
        self.obj_angle = np.array([o['angle'] for o in objs]).reshape(M)
        self.obj_ease_t = np.array([o['ease_t'] for o in objs], dtype=int).reshape(M)
        self.obj_ease_r = np.array([o['ease_r'] for o in objs], dtype=int).reshape(M)
        self.obj_static = np.array([o['static'] for o in objs], dtype=bool).reshape(M)
        self.obj_floor = np.array([o['floor'] for o in objs], dtype=bool).reshape(M)

    def _sample_object(self, rng, all_static):
        cfg = self.cfg
        sp = np.asarray(cfg.shape_probs, np.float64)
        shape = SHAPES[rng.choice(len(SHAPES), p=sp / sp.sum())]
        size = math.exp(rng.uniform(*np.log(cfg.object_size))) / 2   # largest half extent (log-uniform)
        if shape == 'box':
            half = size * rng.permutation(np.array([1.0, rng.uniform(0.3, 1), rng.uniform(0.3, 1)]))
            typ = BOX
        elif shape == 'sphere':
            half = np.full(3, size)
            typ = ELLIPSOID
        elif shape == 'ellipsoid':
            half = size * rng.permutation(np.array([1.0, rng.uniform(0.4, 1), rng.uniform(0.4, 1)]))
            typ = ELLIPSOID
        else:
            rr, hh = size * rng.uniform(0.3, 1.0), size * rng.uniform(0.3, 1.0)
            if rng.random() < 0.5:
                rr = size
            else:
                hh = size
            half = np.array([rr, hh, rr])
            typ = CYLINDER
        floor = bool(rng.random() < cfg.floor_prob)
        if floor:
            B = [np.eye(3), _rot_axis(np.array([1.0, 0, 0]), np.pi / 2), _rot_axis(np.array([0, 0, 1.0]), np.pi / 2)][
                int(rng.integers(0, 3))]
            R0 = _rot_y(rng.uniform(0, 2 * np.pi)) @ B
            axis = np.array([0.0, 1.0, 0.0])
            row = R0[1]
            if typ == BOX:
                ey = np.abs(row * half).sum()
            elif typ == ELLIPSOID:
                ey = np.sqrt(((row * half) ** 2).sum())
            else:
                ey = abs(row[1]) * half[1] + half[0] * math.sqrt(max(0.0, 1 - row[1] ** 2))
        else:
            R0 = _random_rotation(rng)
            axis = rng.standard_normal(3)
            axis /= np.linalg.norm(axis)
            ey = 0.0
        r = float(np.linalg.norm(half)) if typ == BOX else (
            float(half.max()) if typ == ELLIPSOID else float(math.hypot(half[0], half[1])))
        static = all_static or bool(rng.random() < cfg.static_object_prob)
        if static:
            P = np.zeros((3, 3))
            angle = 0.0
        else:
            dvec = rng.standard_normal(3)
            if floor:
                dvec[1] = 0.0
            else:
                dvec[1] *= 0.5
            dvec /= max(np.linalg.norm(dvec), 1e-9)
            L = rng.uniform(*cfg.object_translation)
            bend = rng.standard_normal(3) * rng.uniform(0, 0.4) * L
            if floor:
                bend[1] = 0.0
            if rng.random() < 0.2:      # out and back
                back = rng.normal(0, 0.05, 3) * np.array([1, 0 if floor else 1, 1])
                P = np.stack([np.zeros(3), dvec * L + bend, back])
            else:
                P = np.stack([np.zeros(3), dvec * L / 2 + bend, dvec * L])
            angle = math.radians(rng.uniform(*cfg.object_rotation_deg)) * rng.choice([-1, 1])
        return dict(shape=shape, type=typ, half=half, floor=floor, R0=R0, axis=axis, angle=angle, ey=ey, r=r,
                    P=P, static=static, ease_t=int(rng.integers(0, 4)), ease_r=int(rng.integers(0, 4)))

    def _sample_appearance(self, rng):
        cfg = self.cfg
        L = cfg.texture_res
        M = self.n_objects
        bank = tx.photo_bank() if cfg.photo_texture_prob > 0 else None
        tiles, tile_m, is_photo = [], [], []
        for s in range(6 + M):
            if bank is not None and rng.random() < cfg.photo_texture_prob:
                tiles.append(tx.photo_texture(rng, bank, L))
                is_photo.append(True)
            else:
                tiles.append(tx.procedural_texture(rng, L))
                is_photo.append(False)
            if s < 6:
                tile_m.append(rng.uniform(*cfg.room_tile_m))
            else:
                tile_m.append(max(0.12, 2 * self.obj_half[s - 6].max() * rng.uniform(0.35, 1.2)))
        self.texture_is_photo = is_photo
        self.atlas = tx.TextureAtlas(np.stack(tiles), self.device)
        self.tile_m = np.array(tile_m)
        # per-surface-face offsets (tile units): room faces use row s, object m uses rows 6 + m
        self.face_offset = rng.random((6 + M, 6, 2))
        r = self.obj_half[:, 0] if M else np.zeros(0)
        self.n_around = np.maximum(1, np.round(2 * np.pi * r / np.maximum(self.tile_m[6:], 1e-6)))
        # photometric jitter of the whole clip
        if cfg.photometric_jitter:
            self.gain = rng.uniform(0.88, 1.12, 3) * rng.uniform(0.85, 1.15)
            self.gamma = float(np.exp(rng.uniform(-0.2, 0.2)))
            self.contrast = float(rng.uniform(0.85, 1.2))
            self.brightness = float(rng.uniform(-0.05, 0.05))
        else:
            self.gain, self.gamma, self.contrast, self.brightness = np.ones(3), 1.0, 1.0, 0.0
        # torch constants
        dev, f32 = self.device, torch.float32
        self._t_lo = torch.tensor(self.room_lo, dtype=f32, device=dev)
        self._t_hi = torch.tensor(self.room_hi, dtype=f32, device=dev)
        self._t_half = torch.tensor(self.obj_half, dtype=f32, device=dev).reshape(M, 3)
        self._t_inv_half = 1.0 / self._t_half
        self._t_type = torch.tensor(self.obj_type, dtype=torch.int64, device=dev).reshape(M)
        self._type_idx = {k: torch.tensor([m for m in range(M) if self.obj_type[m] == k], dtype=torch.int64, device=dev)
                          for k in (BOX, ELLIPSOID, CYLINDER)}
        self._type_idx = {k: v for k, v in self._type_idx.items() if v.numel() > 0}
        self._t_tile = torch.tensor(self.tile_m, dtype=f32, device=dev)
        self._t_offset = torch.tensor(self.face_offset, dtype=f32, device=dev)
        self._t_n_around = torch.tensor(self.n_around, dtype=f32, device=dev).reshape(M)
        bound = [o['r'] for o in self.objects]                     # bounding-sphere radii (culling)
        self._t_bound = torch.tensor(bound, dtype=f32, device=dev).reshape(M) * 1.01 + 1e-3

    # ---------------------------------------------------------------- poses
    def object_poses(self, taus) -> tuple[np.ndarray, np.ndarray]:
        """Object-to-world rotations [T, M, 3, 3] and centres [T, M, 3] (float64) at scene times ``taus``."""
        taus = np.asarray(taus, np.float64).reshape(-1)
        M = self.n_objects
        if M == 0:
            return np.zeros((len(taus), 0, 3, 3)), np.zeros((len(taus), 0, 3))
        C = _bezier(self.obj_P, _ease(self.obj_ease_t, taus))
        ang = self.obj_angle[None] * _ease(self.obj_ease_r, taus)
        Rt = _rot_axis(np.broadcast_to(self.obj_axis, ang.shape + (3,)), ang) @ self.obj_R0[None]
        return Rt, C

    def intrinsics(self, H: int, W: int) -> np.ndarray:
        """K [3, 3] for an H x W render of this scene's source camera (anisotropic-pixel rule)."""
        W_src = max(2, round(H * self.aspect))
        f_src = 0.5 * W_src / math.tan(math.radians(self.fov_deg) / 2)
        fx = f_src * (W - 1) / (W_src - 1)
        return np.array([[fx, 0.0, (W - 1) / 2], [0.0, f_src, (H - 1) / 2], [0.0, 0.0, 1.0]])

    def _poses_torch(self, taus):
        c2w = torch.tensor(self.camera_to_world(taus), dtype=torch.float32, device=self.device)
        R, C = self.object_poses(taus)
        return (c2w, torch.tensor(R, dtype=torch.float32, device=self.device),
                torch.tensor(C, dtype=torch.float32, device=self.device))

    # ---------------------------------------------------------------- ray casting
    def _unit_maps(self, R, C):
        """Per (group, object) affine maps to the unit frame: ``A`` [G, M, 3, 3] (R with column i divided
        by the half-extent s_i) and ``b = C A`` [G, M, 3]: unit coordinates of a world point x are
        ``x A - b`` and of a direction d ``d A``."""
        A = R * self._t_inv_half[None, :, None, :]
        b = (C.unsqueeze(-2) @ A).squeeze(-2)
        return A, b

    def _hit_objects(self, o, d, A, b):
        """Ray parameters [G, M, N] of every object (inf = miss) for world rays with origins ``o`` and
        directions ``d`` (component tuples, [G, 1] or [G, N] each)."""
        G = A.shape[0]
        N = max(o[0].shape[1], d[0].shape[1])
        if len(self._type_idx) == 1:
            k = next(iter(self._type_idx))
            return _HIT_FN[k](_xform(o, A, b), _xform(d, A)).expand(G, self.n_objects, N)
        t_all = torch.empty(G, self.n_objects, N, device=A.device)
        for k, idx in self._type_idx.items():
            Ak, bk = A[:, idx], b[:, idx]
            t_all[:, idx] = _HIT_FN[k](_xform(o, Ak, bk), _xform(d, Ak)).expand(G, len(idx), N)
        return t_all

    def _hit_objects_tiled(self, o, d, A, b, mask):
        """Like :meth:`_hit_objects` for rays grouped in tiles, testing only the candidate
        (group, object, tile) triples where ``mask`` [G, M, nT] is true (conservative culling).
        o, d: component tuples of shape [G, 1, 1] (shared per group) or [G, nT, S] (per ray).
        Returns [G, M, nT, S] (inf = miss or culled)."""
        G, M, nT = mask.shape
        S = max(o[0].shape[-1], d[0].shape[-1])
        t_all = torch.full((G, M, nT, S), math.inf, device=A.device)
        g, m, tl = mask.nonzero(as_tuple=True)
        if g.numel() == 0:
            return t_all
        typ = self._t_type[m]

        def pick(v, gk, tk):
            return v[gk, tk] if v.shape[1] > 1 else v[gk, 0]
        for k in self._type_idx:
            sel = (typ == k).nonzero().squeeze(1)
            if sel.numel() == 0:
                continue
            gk, mk, tk = g[sel], m[sel], tl[sel]
            Ak, bk = A[gk, mk], b[gk, mk]                   # [K, 3, 3], [K, 3]
            oo = [pick(c, gk, tk) for c in o]
            dd = [pick(c, gk, tk) for c in d]
            ou = tuple(torch.addcmul(torch.addcmul(oo[0] * Ak[:, 0, i, None], oo[1], Ak[:, 1, i, None]),
                                     oo[2], Ak[:, 2, i, None]) - bk[:, i, None] for i in range(3))
            du = tuple(torch.addcmul(torch.addcmul(dd[0] * Ak[:, 0, i, None], dd[1], Ak[:, 1, i, None]),
                                     dd[2], Ak[:, 2, i, None]) for i in range(3))
            t_all[gk, mk, tk] = _HIT_FN[k](ou, du).expand(-1, S)
        return t_all

    def _cast(self, o, d, R, C, local: bool = True, tiles=None):
        """Nearest hit of rays against the room and all objects.

        o: origins (3 component tensors [G, 1] or [G, N]), d: directions (3 x [G, N]), R [G, M, 3, 3],
        C [G, M, 3]: object-to-world poses of each group (a frame). Returns a dict: ``t`` [G, N] ray
        parameter of the hit (= camera depth when d has camera z = 1), ``hit`` [G, N] int64 (0 = room,
        1 + m = object m), ``face`` [G, N] room face; with ``local`` also ``m`` [G, N] (nearest object,
        meaningful where hit > 0) and ``p`` (world hit point, 3 x [G, N]).
        ``tiles`` = (S, mask [G, M, nT]): rays are ordered in nT tiles of S rays, origins shared per
        group, and only candidate (group, object, tile) triples are intersected (see render)."""
        G, N = d[0].shape
        dev = d[0].device
        t_room, face = _room_hit(o, d, self.room_lo.tolist(), self.room_hi.tolist())
        out = dict(t=t_room.expand(G, N), hit=torch.zeros(G, N, dtype=torch.int64, device=dev),
                   face=face.expand(G, N))
        M = self.n_objects
        if M > 0:
            A, b = self._unit_maps(R, C)
            if tiles is None:
                t_all = self._hit_objects(o, d, A, b)
            else:
                S, mask = tiles
                nT = mask.shape[2]
                t_all = self._hit_objects_tiled(tuple(c.reshape(G, 1, 1) for c in o),
                                                tuple(c.reshape(G, nT, S) for c in d), A, b, mask).reshape(G, M, N)
            t_obj, m = t_all.min(1)
            is_obj = t_obj < out['t']
            out['t'] = torch.where(is_obj, t_obj, out['t'])
            out['hit'] = torch.where(is_obj, m + 1, out['hit'])
        else:
            m = torch.zeros(G, N, dtype=torch.int64, device=dev)
        if local:
            t = out['t']
            out['m'] = m
            out['p'] = tuple(o[i] + t * d[i] for i in range(3))
        return out

    def _local(self, p, gm, R, C):
        """Object-local coordinates (metres) of world points p [K, 3] on objects given as flat indices
        ``gm = group * M + m`` into R [G, M, 3, 3] / C [G, M, 3]. Returns (p_local [K, 3], R [K, 3, 3])."""
        Rk = R.reshape(-1, 3, 3).index_select(0, gm)
        Ck = C.reshape(-1, 3).index_select(0, gm)
        return ((p - Ck).unsqueeze(-2) @ Rk).squeeze(-2), Rk

    def _shadowed(self, p, n, R, C, S):
        """Boolean [G, P]: is the light blocked by an object, for surface points p [G, P, 3] (tile-major,
        tiles of S points) with unit normals n. Point light: rays from the light to p (blocked if an
        object is hit before 1 - 1e-3 of the way); directional: rays from p (lifted 2 mm along n)
        towards the light. Tiles are culled against the objects' bounding spheres."""
        A, b = self._unit_maps(R, C)
        G, P, _ = p.shape
        nT = P // S
        pt = p.reshape(G, nT, S, 3)
        pc = pt.mean(2)                                             # tile bounding spheres
        rp = (pt - pc.unsqueeze(2)).norm(dim=-1).amax(2) * 1.001 + 1e-4
        r = self._t_bound[None, :, None]                            # [1, M, 1]
        if self.point_light:
            L = torch.tensor(self.light_pos, dtype=torch.float32, device=p.device)
            vt, vo = pc - L, C - L                                  # [G, nT, 3], [G, M, 3]
            dt, do = vt.norm(dim=-1), vo.norm(dim=-1)
            gam = torch.where(dt > rp, torch.asin((rp / dt.clamp(min=1e-9)).clamp(max=1.0)),
                              torch.full_like(dt, math.pi))
            bet = torch.asin((r[..., 0] / do.clamp(min=1e-9)).clamp(max=1.0))                  # [G, M]
            cos = (vo @ vt.transpose(1, 2)) / (do.unsqueeze(2) * dt.unsqueeze(1)).clamp(min=1e-9)
            ang = torch.acos(cos.clamp(-1.0, 1.0))
            mask = ((ang <= gam.unsqueeze(1) + bet.unsqueeze(2) + 1e-3)
                    & ((do - r[..., 0]).unsqueeze(2) < (dt + rp).unsqueeze(1)))
            o = tuple(L[i].reshape(1, 1, 1).expand(G, 1, 1) for i in range(3))
            d = tuple((pt[..., i] - L[i]) for i in range(3))
            return (self._hit_objects_tiled(o, d, A, b, mask) < 1.0 - 1e-3).any(1).reshape(G, P)
        l = torch.tensor(self.light_dir, dtype=torch.float32, device=p.device)
        w = C.unsqueeze(2) - pc.unsqueeze(1)                        # [G, M, nT, 3]
        sl = (w * l).sum(-1)
        dist2 = (w * w).sum(-1) - sl * sl
        rr = r + rp.unsqueeze(1) + 1e-3
        mask = (dist2 <= rr * rr) & (sl >= -rr)
        q = pt + n.reshape(G, nT, S, 3) * 2e-3
        o = tuple(q[..., i] for i in range(3))
        d = tuple(l[i].reshape(1, 1, 1).expand(G, 1, 1) for i in range(3))
        return torch.isfinite(self._hit_objects_tiled(o, d, A, b, mask)).any(1).reshape(G, P)

    # ---------------------------------------------------------------- rendering
    def render(self, T: int, H: int, W: int, time_map: Sequence[float] | None = None) -> 'Clip':
        """Render T frames at H x W; frame k shows scene time ``time_map[k]`` in [0, 1] (camera and
        objects), default ``linspace(0, 1, T)``. Returns a :class:`Clip`."""
        if time_map is None:
            taus = np.linspace(0.0, 1.0, T) if T > 1 else np.zeros(max(T, 0))
        else:
            taus = torch.as_tensor(time_map, dtype=torch.float64).detach().cpu().numpy().reshape(-1)
            if len(taus) != T:
                raise ValueError(f'time_map has {len(taus)} entries, expected T={T}')
            if not ((taus >= 0).all() and (taus <= 1).all()):
                raise ValueError('time_map values must lie in [0, 1]')
        if T < 1 or H < 2 or W < 2:
            raise ValueError(f'render: need T >= 1, H >= 2, W >= 2 (got {T}, {H}, {W})')
        dev = self.device
        Kn = self.intrinsics(H, W)
        c2w, R, C = self._poses_torch(taus)
        fx, fy, cx, cy = (float(x) for x in (Kn[0, 0], Kn[1, 1], Kn[0, 2], Kn[1, 2]))
        # pixels in tile-major order: nT tiles of S = TILE x TILE pixels (edge tiles repeat pixels)
        ts = _TILE
        nty, ntx = -(-H // ts), -(-W // ts)
        nT, S = nty * ntx, ts * ts
        ti = torch.arange(nT, device=dev)
        si = torch.arange(S, device=dev)
        py = ((ti // ntx).unsqueeze(1) * ts + (si // ts).unsqueeze(0)).clamp(max=H - 1)     # [nT, S]
        px = ((ti % ntx).unsqueeze(1) * ts + (si % ts).unsqueeze(0)).clamp(max=W - 1)
        ys_img = torch.arange(H, device=dev).unsqueeze(1)
        xs_img = torch.arange(W, device=dev).unsqueeze(0)
        back = (((ys_img // ts) * ntx + xs_img // ts) * S + (ys_img % ts) * ts + xs_img % ts).reshape(-1)
        dcx = ((px.float() - cx) / fx).reshape(1, -1)
        dcy = ((py.float() - cy) / fy).reshape(1, -1)
        N = nT * S
        Rc = c2w[:, :3, :3]
        d = tuple(torch.addcmul(torch.addcmul(Rc[:, i, 2, None].expand(T, N), dcx, Rc[:, i, 0, None]),
                                dcy, Rc[:, i, 1, None]) for i in range(3))
        o = tuple(c2w[:, i, 3, None] for i in range(3))
        tiles = None
        if self.n_objects > 0:
            # cull (frame, object, tile): tile cones (camera frame) vs. objects' bounding spheres
            dn = torch.stack([dcx, dcy, torch.ones_like(dcx)], -1).reshape(nT, S, 3)
            dn = dn / dn.norm(dim=-1, keepdim=True)
            axis = dn.mean(1)
            axis = axis / axis.norm(dim=-1, keepdim=True)
            alpha = torch.acos((dn * axis.unsqueeze(1)).sum(-1).clamp(-1.0, 1.0)).amax(1)        # [nT]
            q = (C - c2w[:, None, :3, 3]) @ Rc                                                  # [T, M, 3] camera frame
            dist = q.norm(dim=-1)
            r = self._t_bound.unsqueeze(0)
            beta = torch.asin((r / dist.clamp(min=1e-9)).clamp(max=1.0))
            ang = torch.acos(((q @ axis.T) / dist.clamp(min=1e-9).unsqueeze(-1)).clamp(-1.0, 1.0))  # [T, M, nT]
            mask = (ang <= alpha + beta.unsqueeze(-1) + 1e-3) | (dist <= r).unsqueeze(-1)
            tiles = (S, mask)
        hit = self._cast(o, d, R, C, tiles=tiles)
        rgb = self._shade(d, hit, R, C, min(fx, fy), S)            # [T * N, 3] tile-major
        frames = rgb.reshape(T, N, 3)[:, back].reshape(T, H, W, 3).permute(0, 3, 1, 2).contiguous()
        depth = hit['t'][:, back].reshape(T, H, W).contiguous()
        obj_id = hit['hit'][:, back].reshape(T, H, W).contiguous()
        K = torch.tensor(Kn, dtype=torch.float32, device=dev).expand(T, 3, 3).contiguous()
        return Clip(frames=frames, depth=depth, K=K, c2w=c2w, obj_id=obj_id, aspect=self.aspect,
                    times=torch.tensor(taus, dtype=torch.float32, device=dev), scene=self, _poses=(R, C))

    def _surface(self, hit, R, C):
        """Per hit (flattened to [P]): world point [P, 3], unit world normal [P, 3] and the texture
        lookup: tile id [P], tile coordinates a, b [P] and tile size in metres [P]. Room and object
        pixels are processed separately (compacted)."""
        dev = hit['t'].device
        p = torch.stack(hit['p'], -1).reshape(-1, 3)
        P = p.shape[0]
        hid = hit['hit'].reshape(-1)
        n = torch.empty(P, 3, device=dev)
        tex = torch.empty(P, dtype=torch.int64, device=dev)
        a = torch.empty(P, device=dev)
        b = torch.empty(P, device=dev)
        tile = torch.empty(P, device=dev)
        across = torch.tensor(_ACROSS, device=dev)
        down = torch.tensor(_DOWN, device=dev)
        # ---- room: inward normal, planar projection of the face
        ri = (hid == 0).nonzero().squeeze(1)
        face = hit['face'].reshape(-1).index_select(0, ri)
        pr = p.index_select(0, ri)
        axis = torch.div(face, 2, rounding_mode='floor')
        side = (face - 2 * axis).float()
        n[ri] = torch.nn.functional.one_hot(axis, 3).float() * (1.0 - 2.0 * side).unsqueeze(-1)
        tr = self._t_tile[face]
        off = self._t_offset[face, 0]
        tex[ri] = face
        a[ri] = torch.gather(pr, 1, across[axis].unsqueeze(1)).squeeze(1) / tr + off[:, 0]
        b[ri] = torch.gather(pr, 1, down[axis].unsqueeze(1)).squeeze(1) / tr + off[:, 1]
        tile[ri] = tr
        if self.n_objects == 0:
            return p, n, tex, a, b, tile
        # ---- objects
        oi = (hid > 0).nonzero().squeeze(1)
        M = self.n_objects
        m = hid.index_select(0, oi) - 1
        G, N = hit['t'].shape
        gm = torch.div(oi, N, rounding_mode='floor') * M + m
        pl, Rk = self._local(p.index_select(0, oi), gm, R, C)
        inv = self._t_inv_half[m]
        pu = pl * inv
        typ = self._t_type[m]
        ab = pu.abs()
        box_axis = ab.argmax(-1)
        n_box = (torch.nn.functional.one_hot(box_axis, 3).float()
                 * torch.sign(torch.gather(pu, -1, box_axis.unsqueeze(-1))))
        rad = torch.sqrt(pu[:, 0] ** 2 + pu[:, 2] ** 2)
        cap = ab[:, 1] > rad
        zero = torch.zeros_like(rad)
        n_cyl = torch.where(cap.unsqueeze(-1), torch.stack([zero, torch.sign(pu[:, 1]), zero], -1),
                            torch.stack([pu[:, 0], zero, pu[:, 2]], -1))
        n_u = torch.where((typ == BOX).unsqueeze(-1), n_box, torch.where((typ == CYLINDER).unsqueeze(-1), n_cyl, pu))
        n_l = n_u * inv                                     # gradient of the implicit surface, local frame
        n_l = n_l / n_l.norm(dim=-1, keepdim=True).clamp(min=1e-12)
        n[oi] = (Rk @ n_l.unsqueeze(-1)).squeeze(-1)
        # texture projection: box face; dominant normal axis for ellipsoids and cylinder caps;
        # cylindrical (angle, height) mapping on cylinder sides
        proj = torch.where(typ == BOX, box_axis, n_l.abs().argmax(-1))
        proj = torch.where((typ == CYLINDER) & cap, torch.ones_like(proj), proj)
        sgn = torch.gather(n_l, -1, proj.unsqueeze(-1)).squeeze(-1) > 0
        to = self._t_tile[6 + m]
        off = self._t_offset[6 + m, 2 * proj + sgn.long()]
        pa = torch.gather(pl, -1, across[proj].unsqueeze(-1)).squeeze(-1) / to
        side_cyl = (typ == CYLINDER) & ~cap
        if bool(side_cyl.any()):
            a_cyl = torch.atan2(pl[:, 2], pl[:, 0]) * (1.0 / (2 * math.pi)) * self._t_n_around[m]
            pa = torch.where(side_cyl, a_cyl, pa)
        tex[oi] = 6 + m
        a[oi] = pa + off[:, 0]
        b[oi] = torch.gather(pl, -1, down[proj].unsqueeze(-1)).squeeze(-1) / to + off[:, 1]
        tile[oi] = to
        return p, n, tex, a, b, tile

    def _shade(self, d, hit, R, C, f_px, S):
        """Lambertian shading with one point or directional light (+ cast shadows) and ambient light;
        textures sampled with trilinear mip filtering; then the clip's photometric jitter. -> [G*N, 3]."""
        dev = hit['t'].device
        G, N = hit['t'].shape
        t = hit['t'].reshape(-1)
        p, n, tex, a, b, tile = self._surface(hit, R, C)
        dd = torch.stack(d, -1).reshape(-1, 3)
        cos = ((n * dd).sum(-1).abs() / dd.norm(dim=-1)).clamp(min=0.15)
        footprint = t / f_px / cos.sqrt()                   # ~ metres per pixel on the surface
        lod = torch.log2((footprint * self.atlas.L / tile).clamp(min=1e-6))
        albedo = self.atlas.sample(tex, a, b, lod)
        if self.point_light:
            lvec = torch.tensor(self.light_pos, dtype=torch.float32, device=dev) - p
            dist = lvec.norm(dim=-1)
            ldir = lvec / dist.unsqueeze(-1)
            d0 = 2.5
            fall = (1 + (self.light_ref / d0) ** 2) / (1 + (dist / d0) ** 2)
        else:
            ldir = torch.tensor(self.light_dir, dtype=torch.float32, device=dev).expand_as(p)
            fall = torch.ones_like(t)
        ndl = (n * ldir).sum(-1).clamp(min=0.0)
        if self.shadows and self.n_objects > 0:
            sh = self._shadowed(p.reshape(G, N, 3), n.reshape(G, N, 3), R, C, S).reshape(-1)
            ndl = torch.where(sh, torch.zeros_like(ndl), ndl)
        light = torch.tensor(self.light_colour, dtype=torch.float32, device=dev)
        shade = self.ambient + self.diffuse * (ndl * fall).clamp(max=1.5)
        rgb = albedo * shade.reshape(-1, 1) * light
        gain = torch.tensor(self.gain, dtype=torch.float32, device=dev)
        rgb = (rgb * gain).clamp(min=0.0) ** self.gamma
        rgb = (rgb - 0.5) * self.contrast + 0.5 + self.brightness
        return rgb.clamp(0.0, 1.0)

    def __repr__(self):
        return (f'Scene(seed={self.seed}, aspect={self.aspect:.3f}, fov={self.fov_deg:.1f}, '
                f'camera={self.camera_motion}, objects={self.obj_shape}, point_light={self.point_light})')


def make_scene(seed: int, cfg: SceneConfig = SceneConfig(), device='cpu') -> Scene:
    """Sample the scene of ``seed`` (deterministic; numpy ``Generator`` seeded from it, no global RNG)."""
    return Scene(seed, cfg, device)


# ----------------------------------------------------------------------------------------------

@dataclass
class Clip:
    """A rendered clip with dense ground truth and a back-reference to its scene for exact queries.

    frames float32 [T, 3, H, W] RGB in [0, 1]; depth float32 [T, H, W] camera z (metres, > 0);
    K float32 [T, 3, 3]; c2w float32 [T, 4, 4]; obj_id int64 [T, H, W] (0 = room, 1.. objects);
    aspect: source aspect (W/H) of the scene; times float32 [T]: scene time of each frame.
    """
    frames: torch.Tensor
    depth: torch.Tensor
    K: torch.Tensor
    c2w: torch.Tensor
    obj_id: torch.Tensor
    aspect: float
    times: torch.Tensor
    scene: Scene
    _poses: tuple | None = field(default=None, repr=False, compare=False)   # object (R, C) per frame

    def query(self, u, v, t_src, t_tgt, t_cam) -> dict:
        """Exact answers for query tuples (see module docstring).

        u, v: float [Q] in [0, 1] (any real value is accepted); t_src, t_tgt, t_cam: int64 [Q] frame
        indices. Returns 'xyz' float32 [Q, 3] (point at tTgt in camera tCam), 'uv' float32 [Q, 2]
        (projection in frame tTgt, normalised, may lie outside [0, 1]), 'depth_tgt' float32 [Q]
        (z in camera tTgt), 'visible' bool [Q], 'obj' int64 [Q] (0 = room)."""
        sc = self.scene
        dev = self.frames.device
        u = torch.as_tensor(u, dtype=torch.float32, device=dev).reshape(-1)
        v = torch.as_tensor(v, dtype=torch.float32, device=dev).reshape(-1)
        ts = torch.as_tensor(t_src, dtype=torch.int64, device=dev).reshape(-1)
        tt = torch.as_tensor(t_tgt, dtype=torch.int64, device=dev).reshape(-1)
        tc = torch.as_tensor(t_cam, dtype=torch.int64, device=dev).reshape(-1)
        Q = u.shape[0]
        H, W = self.frames.shape[-2:]
        if self._poses is None:
            self._poses = sc._poses_torch(self.times.double().cpu().numpy())[1:]
        Ro, Co = self._poses
        # ---- cast the source ray (camera and objects at frame tSrc's scene time)
        K = self.K
        fx, fy, cx, cy = K[:, 0, 0], K[:, 1, 1], K[:, 0, 2], K[:, 1, 2]
        o_s, d_s = self._rays(ts, (u * (W - 1) - cx[ts]) / fx[ts], (v * (H - 1) - cy[ts]) / fy[ts])
        hit = sc._cast(o_s, d_s, Ro[ts], Co[ts], local=True)
        obj = hit['hit'][:, 0]
        X = torch.stack(hit['p'], -1)[:, 0]                 # world point at tSrc
        if sc.n_objects > 0:                                # move the material point to tTgt
            m = hit['m'][:, 0]
            M = sc.n_objects
            pl, _ = sc._local(X, ts * M + m, Ro, Co)
            Xo = (Ro[tt, m] @ pl.unsqueeze(-1)).squeeze(-1) + Co[tt, m]
            X = torch.where((obj > 0).unsqueeze(-1), Xo, X)  # world point at tTgt

        def to_cam(idx, P):
            Rc = self.c2w[idx, :3, :3]
            return (Rc.transpose(1, 2) @ (P - self.c2w[idx, :3, 3]).unsqueeze(-1)).squeeze(-1)
        Xt = to_cam(tt, X)
        Xc = to_cam(tc, X)
        z = Xt[:, 2]
        front = z > 1e-6
        zs = torch.where(front, z, torch.ones_like(z))
        px = fx[tt] * Xt[:, 0] / zs + cx[tt]
        py = fy[tt] * Xt[:, 1] / zs + cy[tt]
        uv = torch.stack([px / (W - 1), py / (H - 1)], -1)
        e = _INSIDE_SLACK_PX
        inside = front & (px >= -e) & (px <= W - 1 + e) & (py >= -e) & (py <= H - 1 + e)
        # ---- visibility: cast the ray through the projection in frame tTgt, compare depths
        pxc = torch.where(inside, px, cx[tt])
        pyc = torch.where(inside, py, cy[tt])
        o_t, d_t = self._rays(tt, (pxc - cx[tt]) / fx[tt], (pyc - cy[tt]) / fy[tt])
        z_hit = sc._cast(o_t, d_t, Ro[tt], Co[tt], local=False)['t'][:, 0]
        visible = inside & (z_hit >= z * (1.0 - VIS_REL_TOL))
        return {'xyz': Xc.float(), 'uv': uv.float(), 'depth_tgt': z.float(), 'visible': visible, 'obj': obj}

    def _rays(self, idx, dcx, dcy):
        """World rays (component tuples [Q, 1]) of frames ``idx`` for camera directions (dcx, dcy, 1)."""
        Rc = self.c2w[idx, :3, :3]
        d = tuple(torch.addcmul(torch.addcmul(Rc[:, i, 2], dcx, Rc[:, i, 0]), dcy, Rc[:, i, 1]).unsqueeze(1)
                  for i in range(3))   # same arithmetic as Scene.render
        o = tuple(self.c2w[idx, i, 3].unsqueeze(1) for i in range(3))
        return o, d

    @property
    def T(self) -> int:
        return self.frames.shape[0]

    @property
    def H(self) -> int:
        return self.frames.shape[2]

    @property
    def W(self) -> int:
        return self.frames.shape[3]


__all__ = ['SceneConfig', 'Scene', 'Clip', 'make_scene', 'VIS_REL_TOL']


def _bench(fn, reps: int) -> tuple[float, float]:
    """(min, median) wall time of ``fn()`` in ms over ``reps`` runs after one warm-up run."""
    fn()
    ts = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t0)
    return min(ts) * 1e3, float(np.median(ts)) * 1e3


if __name__ == '__main__':
    # Timings (not a test): python -m d4rt_train.synth [threads]. On a shared machine look at the
    # minimum; the median includes interference from other processes.
    import sys
    torch.set_num_threads(int(sys.argv[1]) if len(sys.argv) > 1 else 2)
    print(f'torch {torch.__version__}, {torch.get_num_threads()} threads')
    cfg = SceneConfig()
    tx.photo_bank()
    t0 = time.perf_counter()
    scenes = [make_scene(s, cfg) for s in range(8)]
    print(f'make_scene: {(time.perf_counter() - t0) / 8 * 1e3:.1f} ms / scene (mean of 8)')
    for sc in scenes[:3]:
        print(' ', sc)
    for (T, H, W) in ((16, 64, 96), (16, 80, 120), (16, 128, 192)):
        res = [_bench(lambda: sc.render(T, H, W), 3) for sc in scenes]
        print(f'render({T}, {H}, {W}): min {min(r[0] for r in res):.1f} ms, median over scenes of the per-scene '
              f'min {np.median([r[0] for r in res]):.1f} ms, worst scene min {max(r[0] for r in res):.1f} ms')
    g = torch.Generator().manual_seed(0)
    res = []
    for sc in scenes:
        clip = sc.render(16, 64, 96)
        Q = 4096
        args = (torch.rand(Q, generator=g), torch.rand(Q, generator=g), torch.randint(0, 16, (Q,), generator=g),
                torch.randint(0, 16, (Q,), generator=g), torch.randint(0, 16, (Q,), generator=g))
        res.append(_bench(lambda: clip.query(*args), 5))
    print(f'query(4096 tuples): min {min(r[0] for r in res):.1f} ms, median over scenes of the per-scene min '
          f'{np.median([r[0] for r in res]):.1f} ms, worst scene min {max(r[0] for r in res):.1f} ms')
