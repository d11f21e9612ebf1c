"""aiortc's private internals, reached in one place for the backend's SFU and the studio alike.

Written against aiortc 1.16 (pyproject pins the range); ``aiortc_hooks.check_compatible`` fails
loudly at start-up when an upgrade changes what the hooks rely on.
"""
