"""guanwen's performance benchmark: every stage measured beside its floor, in one run.

    python -m bench [--sizes 1k,10k,100k] [--out DIR] [--chroma-host H --chroma-port P]

See docs/performance.md for what is measured and the figures of the last full run.
"""
