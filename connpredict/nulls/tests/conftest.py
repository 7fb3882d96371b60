"""Fixtures of the null-model tests."""

import pytest


@pytest.fixture
def dask_client():
    """A Dask client of two single-threaded workers in this process.

    Two workers, because with one joblib would run everything in the calling
    process without Dask; in-process workers keep the tests fast. (Real
    clusters: worker processes with one thread each; torch fits seed the
    process-wide generator, so concurrent fits in threads of one process
    take turns on a lock.) Tests enter ``parallel_backend("dask")``
    themselves, after any serial reference run.
    """
    distributed = pytest.importorskip("distributed")
    with (
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=False,
            protocol="tcp",
            host="127.0.0.1",
            dashboard_address=None,
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        yield client
