"""Run SSH sessions on many devices in a bounded pool of worker threads (netmiko is blocking).

One device failing (refused password, unreachable, changed host key) is an ``SshResult``
with ``error``; it never stops the others. Time per device is bounded by the runner's
connect and command timeouts.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor

from provnet.pollers.ssh.errors import SshError
from provnet.pollers.ssh.platforms import Platform
from provnet.pollers.ssh.session import SessionRunner
from provnet.pollers.ssh.types import SshResult, SshTarget


class SshCollector:
    """Bounded SSH fan-out; ``concurrency`` sessions at most at any time."""

    def __init__(self, runner: SessionRunner, platforms: dict[str, Platform],
                 concurrency: int = 16) -> None:
        self.runner = runner
        self.platforms = platforms
        self.concurrency = concurrency
        self._pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="ssh")

    def commands_for(self, target: SshTarget, purposes: Sequence[str]) -> dict[str, str]:
        """Purpose -> CLI command for this target's platform (purposes it lacks are skipped)."""
        platform = self.platforms.get(target.platform)
        if platform is None:
            raise SshError(f"{target.name}: no SSH platform {target.platform!r} "
                           f"(known: {', '.join(sorted(self.platforms))})")
        known: dict[str, str] = {str(k): v for k, v in platform.commands.items()}
        cmds = {p: known[p] for p in purposes if p in known}
        if not cmds:
            raise SshError(f"{target.name}: platform {target.platform} has no command for "
                           f"{', '.join(purposes)}")
        return cmds

    def run_one(self, target: SshTarget, purposes: Sequence[str] = (),
                commands: dict[str, str] | None = None) -> SshResult:
        """One session (blocking): the platform's commands for ``purposes``, or ``commands``."""
        started = time.time()
        t0 = time.perf_counter()
        try:
            cmds = commands if commands is not None else self.commands_for(target, purposes)
            platform = self.platforms.get(target.platform)
            if platform is None:
                raise SshError(f"{target.name}: no SSH platform {target.platform!r}")
            outputs = self.runner.run(target, platform.netmiko_device_type, platform.enable,
                                      cmds, platform.logout)
        except SshError as exc:
            return SshResult(target, started, time.perf_counter() - t0, error=str(exc),
                             error_kind=exc.kind)
        return SshResult(target, started, time.perf_counter() - t0, outputs=outputs)

    def collect_sync(self, targets: Iterable[SshTarget], purposes: Sequence[str]
                     ) -> list[SshResult]:
        """Every target, ``concurrency`` at a time; results in target order."""
        return list(self._pool.map(lambda t: self.run_one(t, purposes), targets))

    async def collect(self, targets: Iterable[SshTarget], purposes: Sequence[str]
                      ) -> list[SshResult]:
        """Like :meth:`collect_sync` without blocking the event loop."""
        loop = asyncio.get_running_loop()
        futures = [loop.run_in_executor(self._pool, self.run_one, t, purposes) for t in targets]
        return list(await asyncio.gather(*futures))

    def close(self) -> None:
        """Stop the worker threads (running sessions finish first)."""
        self._pool.shutdown(wait=True, cancel_futures=True)
