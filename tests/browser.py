"""Debian's Chromium, as every browser test starts it (never a downloaded browser).

The flags keep it off this machine's closed network (no background requests, updates,
sync or QUIC) and let it run as root without a sandbox or GPU.
"""

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
