"""Edge cases of training's metrics that the TypeScript SDK (``@d4rt/geometry``) shares."""
import numpy as np

from d4rt_train.metrics import tapvid3d_metrics


def test_apd3d_is_zero_when_no_point_is_visible_in_both():
    # as tapnet's compute_tapvid3d_metrics: no scale can be fitted, so "never visible" scores 0, not 1
    rng = np.random.default_rng(0)
    gt = rng.uniform(1, 3, (4, 5, 3))
    gv = np.ones((4, 5), bool)
    out = tapvid3d_metrics(gt.copy(), gt, np.zeros((4, 5), bool), gv, 100.0, 100.0)
    assert np.isnan(out['scale'])
    assert out['apd3d'] == 0.0 and out['aj'] == 0.0
    # the same prediction, visible, is perfect
    out = tapvid3d_metrics(gt.copy(), gt, gv, gv, 100.0, 100.0)
    assert out['apd3d'] == 1.0 and out['scale'] == 1.0
