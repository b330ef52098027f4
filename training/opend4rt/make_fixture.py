"""Golden fixture for the OpenD4RT converter, made by upstream's own code.

    cd training && PYTHONPATH=. OPENBLAS_NUM_THREADS=1 /usr/bin/python3 -m opend4rt.make_fixture \\
        --upstream /work/scratch/open-d4rt --out ../packages/models/fixtures/opend4rt-tiny

Needs a checkout of OpenD4RT (github.com/0Zhengying0/Open-d4rt). It builds upstream's exact
architecture at a tiny size (``model.yaml`` here is upstream's released 32-clip ``model.yaml`` with
the sizes turned down: 8 frames of 64 x 112, encoder 4 blocks of width 64, decoder 2 blocks of width
48), gives every weight a seeded random value (LayerNorm gains and biases too, so a swapped key
cannot hide), saves the checkpoint the way upstream's trainer does (``src.core.checkpoint`` with the
trainer's keys: model, optimizer, scheduler, scaler, global_step, ...), loads it back with upstream's
loader, and runs upstream's inference code on a real clip: 8 frames of a video in
``../shared/data/videos``, decoded by ffmpeg to 112 x 64 (the clip size, so upstream's cv2 resize is
the identity and any resize policy gives the same frames), scaled by 1/255 as upstream's inference
does. It writes flat little-endian arrays and ``fixture.json`` naming each (dtype, shape, meaning):

- ``memory``: ``encode_video`` of the clip (aspect = model width / height, as upstream's inference
  passes it).
- ``queries`` + the raw heads of ``decode_queries`` for them (``xyz``, ``uv``, ``visibility``,
  ``confidence``, ``normal``, ``displacement``) + upstream's local patches for them.
- ``depth``: z of queries (u, v, k, k, k) on the clip's pixel grid, run through upstream's query runner
  (upstream has no depth-map function; this is the D4RT definition the SDK uses).
- ``intrinsics``, ``poses``: upstream's ``_predict_camera_branches`` (a 32 x 32 uv grid; focal
  length = median of per-query fx / fy, shared; camera-to-world of frame j = inverse of the rigid
  Umeyama fit from the grid of frame 0 seen in camera 0 to the same grid seen in camera j).
- ``tracks-*``: upstream's ``_infer_tracks`` for 24 points (camera-frame and frame-0 xyz, uv,
  visibility logits, confidence).

cv2, imageio and tqdm are not installed here: when they are missing, stand-ins are put in their
place for upstream's imports. Only ``cv2.resize`` is reached, with the frame already at the target
size, where OpenCV returns a copy; the stand-in does the same and refuses any other size.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
import types
from pathlib import Path

import numpy as np
import torch
import yaml

TRAINING_DIR = Path(__file__).resolve().parents[1]
REPO = TRAINING_DIR.parent
DEFAULT_VIDEO = REPO.parent / 'shared' / 'data' / 'videos' / 'sheep.mp4'

SEED = 20260731
FRAMES, HEIGHT, WIDTH = 8, 64, 112
TINY = {
    'input': {'clip_frames': FRAMES, 'image_size': [HEIGHT, WIDTH]},
    'encoder': {'num_layers': 4, 'hidden_dim': 64, 'num_heads': 4},
    'decoder': {'num_layers': 2, 'hidden_dim': 48, 'num_heads': 4},
}


def _stub_missing_modules() -> list:
    """Stand-ins for cv2, imageio and tqdm when they are not installed (see the module notes)."""
    stubbed = []
    try:
        import cv2  # noqa: F401
    except ImportError:
        cv2 = types.ModuleType('cv2')
        cv2.INTER_AREA, cv2.INTER_LINEAR = 3, 1

        def resize(frame, dsize, interpolation=None):
            w, h = dsize
            if frame.shape[:2] != (h, w):
                raise RuntimeError('cv2 stand-in: only the identity resize is available (decode the clip at the model size)')
            return frame.copy()

        cv2.resize = resize
        sys.modules['cv2'] = cv2
        stubbed.append('cv2')
    try:
        import imageio.v2  # noqa: F401
    except ImportError:
        imageio = types.ModuleType('imageio')
        imageio.v2 = types.ModuleType('imageio.v2')
        sys.modules['imageio'], sys.modules['imageio.v2'] = imageio, imageio.v2
        stubbed.append('imageio')
    try:
        import tqdm.auto  # noqa: F401
    except ImportError:
        tqdm = types.ModuleType('tqdm')
        tqdm.auto = types.ModuleType('tqdm.auto')
        tqdm.auto.tqdm = lambda it=None, *a, **k: it
        sys.modules['tqdm'], sys.modules['tqdm.auto'] = tqdm, tqdm.auto
        stubbed.append('tqdm')
    return stubbed


def tiny_yaml(upstream: Path) -> dict:
    """Upstream's released 32-clip model.yaml with the sizes of :data:`TINY`."""
    doc = yaml.safe_load((upstream / 'checkpoints' / 'OpenD4RT_32CLIP_9Dataset_NoAUG' / 'model.yaml').read_text())
    doc['experiment']['name'] = 'opend4rt-tiny'
    for section, values in TINY.items():
        doc['model'][section].update(values)
    return doc


def randomise(model: torch.nn.Module, seed: int) -> None:
    """Seeded values for every parameter: weights ~ N(0, 1 / fan_in), embeddings ~ N(0, 0.5^2),
    LayerNorm gains 1 + N(0, 0.2^2), biases N(0, 0.1^2); the xyz head's z bias +3 so depths are
    mostly positive (the camera fits then see a plausible scene)."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            r = torch.randn(p.shape, generator=g)
            if name.endswith('_embed.weight'):
                p.copy_(0.5 * r)
            elif p.ndim >= 2:
                p.copy_(r / np.sqrt(np.prod(p.shape[1:])))
            elif 'norm' in name and name.endswith('weight'):
                p.copy_(1 + 0.2 * r)
            else:
                p.copy_(0.1 * r)
        model.heads.xyz_head.bias[2] += 3.0


def decode_clip(video: Path, frames: int, width: int, height: int, step: int = 4) -> np.ndarray:
    """``frames`` frames (every ``step``-th from the first) of ``video`` at ``width`` x ``height``, RGB uint8."""
    cmd = ['ffmpeg', '-v', 'error', '-i', str(video), '-vf',
           f"select='not(mod(n\\,{step}))',scale={width}:{height}:flags=area", '-fps_mode', 'passthrough',
           '-frames:v', str(frames), '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-']
    raw = subprocess.run(cmd, check=True, capture_output=True).stdout
    a = np.frombuffer(raw, dtype=np.uint8)
    if a.size != frames * height * width * 3:
        raise RuntimeError(f'ffmpeg gave {a.size} bytes for {frames} frames of {width} x {height}')
    return a.reshape(frames, height, width, 3).copy()


def fixed_queries(q: int, frames: int, seed: int) -> dict:
    """``q`` queries: seeded uniform (u, v) and times, plus corners and the centre."""
    rng = np.random.default_rng(seed)
    uv = rng.random((q, 2)).astype(np.float32)
    uv[:5] = [[0, 0], [1, 1], [0, 1], [1, 0], [0.5, 0.5]]
    t = rng.integers(0, frames, size=(q, 3)).astype(np.int64)
    return {'uv': uv, 'times': t}


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--upstream', required=True, type=Path, help='checkout of github.com/0Zhengying0/Open-d4rt')
    ap.add_argument('--out', type=Path, default=REPO / 'packages' / 'models' / 'fixtures' / 'opend4rt-tiny')
    ap.add_argument('--video', type=Path, default=DEFAULT_VIDEO)
    args = ap.parse_args(argv)
    upstream = args.upstream.resolve()
    torch.set_num_threads(1)

    stubbed = _stub_missing_modules()
    sys.path.insert(0, str(upstream))
    from src.core.checkpoint import load_checkpoint, save_checkpoint
    from src.core.config import ConfigNode
    from src.core.inference_runtime import inference_context, prepare_model_for_inference
    from src.eval.tasks import _encode_model_memory, _run_model_for_queries
    from src.model import build_model
    from infer_track_3d import _infer_tracks, _resize_video
    from vis.build_like_demo import _predict_camera_branches

    out = args.out
    out.mkdir(parents=True, exist_ok=True)
    files: dict = {}

    def put(key: str, name: str, array: np.ndarray, meaning: str):
        a = np.ascontiguousarray(array)
        dtype = {np.dtype(np.float32): 'float32', np.dtype(np.int64): 'int64', np.dtype(np.uint8): 'uint8'}[a.dtype]
        (out / name).write_bytes(a.astype(a.dtype.newbyteorder('<')).tobytes())
        files[key] = {'file': name, 'dtype': dtype, 'shape': list(a.shape), 'meaning': meaning}

    # 1. the tiny model, in upstream's checkpoint format
    doc = tiny_yaml(upstream)
    (out / 'model.yaml').write_text(yaml.safe_dump(doc, sort_keys=False))
    torch.manual_seed(SEED)
    model = build_model(ConfigNode(doc['model']))
    randomise(model, SEED)
    optimizer = torch.optim.AdamW(model.parameters(), lr=0.0, weight_decay=0.03)
    save_checkpoint(out / 'opend4rt.ckpt', {
        'model': model.state_dict(),
        'optimizer': optimizer.state_dict(),
        'scheduler': {'step_id': 0},
        'scaler': {},
        'global_step': 0,
        'best_val': float('inf'),
        'best_metric_name': 'val_loss_total',
        'best_metric_mode': 'min',
        'best_metric_value': float('inf'),
        'train_config': {'note': 'random weights: a golden fixture for the converter, not a trained model'},
    })

    # 2. loaded back by upstream's code, as its trainer resumes
    model = build_model(ConfigNode(doc['model']))
    model.load_state_dict(load_checkpoint(out / 'opend4rt.ckpt')['model'])
    prepare_model_for_inference(model, device=torch.device('cpu'), precision='fp32')
    T, (H, W) = doc['model']['input']['clip_frames'], doc['model']['input']['image_size']

    # 3. the clip, preprocessed as upstream's inference does
    rgb = decode_clip(args.video, T, W, H)
    put('frames', 'frames.u8', rgb, 'the clip: RGB [T, H, W, 3], decoded by ffmpeg at the model size')
    video_model_rgb = _resize_video(rgb, image_hw=(H, W))
    video = torch.from_numpy(video_model_rgb).float().permute(0, 3, 1, 2).unsqueeze(0) / 255.0
    aspect = torch.tensor([[W / H]], dtype=torch.float32)   # upstream's inference: model width / height

    with inference_context(model):
        memory = _encode_model_memory(model=model, video_b=video, aspect_b=aspect)
        put('memory', 'memory.f32', memory.numpy(), 'encode_video(video / 255, aspect) [1, N, C]')

        qs = fixed_queries(256, T, SEED)
        query = {'u': torch.from_numpy(qs['uv'][:, 0]), 'v': torch.from_numpy(qs['uv'][:, 1]),
                 't_src': torch.from_numpy(qs['times'][:, 0]), 't_tgt': torch.from_numpy(qs['times'][:, 1]),
                 't_cam': torch.from_numpy(qs['times'][:, 2])}
        put('queryUv', 'query-uv.f32', qs['uv'], '(u, v) of each query [Q, 2]')
        put('queryTimes', 'query-times.i64', qs['times'], '(tSrc, tTgt, tCam) of each query [Q, 3]')
        pred = _run_model_for_queries(model=model, video_b=video, aspect_b=aspect, query=query, chunk_size=100,
                                      memory_b=memory)
        for key, up, name in (('xyz', 'xyz_3d', 'xyz'), ('uv', 'uv_2d', 'uv'), ('visibility', 'visibility', 'visibility'),
                              ('confidence', 'confidence', 'confidence'), ('normal', 'normal', 'normal'),
                              ('displacement', 'displacement', 'displacement')):
            put(key, f'{name}.f32', pred[up].numpy(), f'raw head {up!r} of decode_queries [Q, ...]')
        patches = model.query_embedder._extract_local_patches(video, query['u'][None], query['v'][None],
                                                              query['t_src'][None])
        put('patches', 'patches.f32', patches[0].numpy(), 'upstream\'s local RGB patch of each query [Q, 3 p p] (c, row, col)')

        # depth: (u, v, k, k, k) on the pixel grid of every frame
        ys, xs = np.meshgrid(np.arange(H, dtype=np.float32), np.arange(W, dtype=np.float32), indexing='ij')
        u = np.tile((xs / (W - 1)).reshape(-1), T)
        v = np.tile((ys / (H - 1)).reshape(-1), T)
        k = np.repeat(np.arange(T, dtype=np.int64), H * W)
        dq = {'u': torch.from_numpy(u), 'v': torch.from_numpy(v), 't_src': torch.from_numpy(k),
              't_tgt': torch.from_numpy(k), 't_cam': torch.from_numpy(k)}
        dp = _run_model_for_queries(model=model, video_b=video, aspect_b=aspect, query=dq, chunk_size=4096,
                                    memory_b=memory)
        put('depth', 'depth.f32', dp['xyz_3d'][:, 2].numpy().reshape(T, H, W),
            'z of queries (x / (W - 1), y / (H - 1), k, k, k) [T, H, W]')

    cams = _predict_camera_branches(model=model, video_model_rgb=video_model_rgb, image_hw=(H, W),
                                    camera_grid_size=doc['geometry_decoding']['extrinsics_from_queries']['source_grid_hw'][0],
                                    camera_query_chunk_size=1024, predict_intrinsics=True, predict_extrinsics=True)
    K = cams['K']
    put('intrinsics', 'intrinsics.f32', np.stack([K[:, 0, 0], K[:, 1, 1], K[:, 0, 2], K[:, 1, 2]], axis=1),
        '_predict_camera_branches: (fx, fy, cx, cy) per frame in pixels of the clip [T, 4]')
    put('poses', 'poses.f32', cams['T_ref0_cam'],
        '_predict_camera_branches: camera-to-world (world = camera 0) per frame, row-major [T, 4, 4]')

    rng = np.random.default_rng(SEED + 1)
    n_tracks = 24
    track_uv = rng.uniform(0.05, 0.95, size=(n_tracks, 2)).astype(np.float32)
    track_src = np.repeat(np.array([0, 3, 5], dtype=np.int64), n_tracks // 3)
    tr = _infer_tracks(model=model, video_model_rgb=video_model_rgb, query_uv_norm=track_uv, query_chunk_size=100,
                       query_src_indices_global=track_src)
    put('tracksQueryUv', 'tracks-query-uv.f32', track_uv, '(u, v) of each track [N, 2]')
    put('tracksQueryFrame', 'tracks-query-frame.i64', track_src, 'frame (tSrc) of each track [N]')
    put('tracksXyzCamera', 'tracks-xyz-camera.f32', tr['tracks_xyz_local'], 'xyz with tCam = tTgt [N, T, 3]')
    put('tracksXyzCam0', 'tracks-xyz-cam0.f32', tr['tracks_xyz_ref0'], 'xyz with tCam = 0 [N, T, 3]')
    put('tracksUv', 'tracks-uv.f32', tr['tracks_uv_norm'], 'uv in frame tTgt [N, T, 2]')
    put('tracksVisibility', 'tracks-visibility.f32', tr['tracks_visibility_logits'], 'visibility logit [N, T]')
    put('tracksConfidence', 'tracks-confidence.f32', tr['tracks_confidence'], 'confidence logit [N, T]')

    commit = subprocess.run(['git', '-C', str(upstream), 'rev-parse', 'HEAD'], capture_output=True, text=True).stdout.strip()
    meta = {
        'format': 'opend4rt-fixture/1',
        'upstream': {'repository': 'https://github.com/0Zhengying0/Open-d4rt', 'commit': commit or None,
                     'license': 'Apache-2.0'},
        'madeBy': 'training/opend4rt/make_fixture.py',
        'standIns': stubbed,
        'seed': SEED,
        'video': {'source': args.video.name, 'frames': T, 'width': W, 'height': H, 'every': 4},
        'aspect': W / H,
        'normalization': 'rgb / 255 (no mean or std)',
        'checkpoint': {'file': 'opend4rt.ckpt', 'sha256': sha256(out / 'opend4rt.ckpt'),
                       'config': 'model.yaml', 'note': 'random weights'},
        'files': files,
    }
    (out / 'fixture.json').write_text(json.dumps(meta, indent=2) + '\n')
    total = sum((out / f['file']).stat().st_size for f in files.values()) + (out / 'opend4rt.ckpt').stat().st_size
    print(f'wrote {out} ({total / 1e6:.2f} MB); stand-ins for: {", ".join(stubbed) or "none"}')


if __name__ == '__main__':
    main()
