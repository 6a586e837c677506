"""What each process is built with: the pruner goes where the watcher goes."""

from datetime import timedelta

from tocsin.alerts.pruner import Pruner, Retention
from tocsin.alerts.watcher import DeadlineWatcher
from tocsin.config import Settings
from tocsin.domain.clock import SystemClock
from tocsin.server.builder import Together, build_services, running_worker


async def test_serve_prunes_where_it_runs_the_watcher(settings: Settings) -> None:
    for run_watcher in (True, False):
        services = build_services(settings, SystemClock(), run_watcher, run_notifier=False)
        try:
            assert (services.pruner is not None) is run_watcher
            if services.pruner is not None:
                assert services.pruner.keep == Retention.from_settings(settings)
                assert services.pruner.keep.pings == 100
        finally:
            await services.runner.close()
            await services.database.close()


async def test_a_watcher_of_its_own_prunes_too(settings: Settings) -> None:
    async with running_worker("watcher", settings, SystemClock()) as worker:
        assert isinstance(worker, Together)
        kinds = sorted(type(part).__name__ for part in worker.workers)
        assert kinds == [DeadlineWatcher.__name__, Pruner.__name__]


def test_the_retention_settings_reach_the_pruner() -> None:
    settings = Settings.from_env(
        {"TOCSIN_KEEP_PINGS": "7", "TOCSIN_KEEP_FLIPS": "2d", "TOCSIN_PRUNE_INTERVAL": "1h"}
    )
    keep = Retention.from_settings(settings)
    assert (keep.pings, keep.flips, keep.interval) == (7, timedelta(days=2), timedelta(hours=1))
