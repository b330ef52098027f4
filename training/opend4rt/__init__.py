"""OpenD4RT checkpoints (github.com/0Zhengying0/Open-d4rt, Apache-2.0) in the SDK's model format.

``convert_opend4rt`` reads a checkpoint and its ``model.yaml`` without upstream's code (``config``,
``checkpoint``: a reader that executes nothing from the file, ``model``: the architecture written
anew for export) and writes an ordinary model folder; ``make_fixture`` makes the golden outputs the
conversion is checked against, with upstream's own code.
"""
