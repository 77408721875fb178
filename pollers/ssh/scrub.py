"""Pure scrubbing of a running configuration before it is stored or compared."""

from __future__ import annotations

import re

from provnet.pollers.ssh.platforms import Platform


def scrub_config(platform: Platform, text: str) -> str:
    """Remove secrets (values replaced by ``<removed>``) and volatile lines (dropped).

    Line endings are normalised and trailing blanks stripped, so two fetches of an
    unchanged configuration give byte-identical text.
    """
    lines = [ln.rstrip() for ln in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    drop = platform.drop_re
    kept = [ln for ln in lines if drop is None or not drop.search(ln)]
    out = "\n".join(kept).strip("\n")
    for rule in platform.scrub_secrets:
        out = re.sub(rule.pattern, rule.replace, out, flags=re.MULTILINE)
    return out + "\n"
