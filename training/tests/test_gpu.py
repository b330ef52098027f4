"""The GPU training script's CPU path at tiny size: chunks that resume from state folders of small
parts, the parts' integrity check, assembling a checkpoint, and clips rendered by worker processes."""
import json

import pytest
import torch

from d4rt_train import gpu
from d4rt_train.config import preset
from d4rt_train.train import ClipSource


def _chunk(out, state=None, minutes=0.001, extra=()):
    # a tiny chunk: stops after its first step (chunk_minutes), schedule over 1 minute
    return gpu.run_chunk(out, state, None, minutes, 1.0, preset_name='tiny', device='cpu',
                         overrides=['val_every=1000', *extra], part_mib=0.25, log=lambda s: None)


def test_chunks_resume_from_small_parts(tmp_path):
    a = _chunk(tmp_path / 'a')
    rec = json.loads((tmp_path / 'a' / 'state.json').read_text())
    assert len(rec['parts']) > 1, 'a 0.25 MiB part limit splits the tiny checkpoint'
    assert all((tmp_path / 'a' / p['name']).stat().st_size <= 0.25 * 1024 * 1024 for p in rec['parts'])
    assert (tmp_path / 'a' / 'log.jsonl').exists()
    b = _chunk(tmp_path / 'b', state=tmp_path / 'a')
    assert b['step'] > a['step'], 'the second chunk continues the first'
    rows = [json.loads(l) for l in (tmp_path / 'b' / 'log.jsonl').read_text().splitlines()]
    assert rows[0]['step'] == 1 and rows[-1]['step'] == b['step'], 'the log spans both chunks'
    gpu.main(['assemble', str(tmp_path / 'b'), '--to', str(tmp_path / 'c.pt')])
    st = torch.load(tmp_path / 'c.pt')
    assert st['step'] == b['step'] and 'opt' in st


def test_corrupt_part_is_refused(tmp_path):
    _chunk(tmp_path / 'a')
    part = tmp_path / 'a' / 'ckpt.part-000'
    data = bytearray(part.read_bytes())
    data[100] ^= 0xFF
    part.write_bytes(bytes(data))
    with pytest.raises(ValueError, match='SHA-256'):
        gpu.read_parts(tmp_path / 'a', tmp_path / 'x.pt')
    assert not (tmp_path / 'x.pt').exists()


def test_missing_state_json_names_the_folder(tmp_path):
    with pytest.raises(FileNotFoundError, match='state.json'):
        gpu.read_parts(tmp_path, tmp_path / 'x.pt')


def test_worker_rendered_clips_equal_inline_ones():
    cfg = preset('tiny')
    inline = ClipSource(cfg, 5)
    workers = ClipSource(cfg, 5, workers=1)
    try:
        for _ in range(2):
            (c1, f1), (c2, f2) = inline.take(), workers.take()
            assert torch.equal(f1, f2) and torch.equal(c1.depth, c2.depth)
        assert workers.consumed == inline.consumed == 7
    finally:
        workers.close()
