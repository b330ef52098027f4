"""OpenD4RT checkpoints (github.com/0Zhengying0/Open-d4rt, Apache-2.0) for the SDK.

``make_fixture`` makes, with upstream's own code, the golden outputs a conversion is checked against.
"""
