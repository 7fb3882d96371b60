"""Fixtures shared by the test folders of several subpackages."""

import pytest


@pytest.fixture
def torch_one_thread():
    """Run torch with one intra-op thread during a test, then restore it.

    The test machines are small and shared: one thread avoids
    oversubscription. Modules that train networks use it for every test with
    ``pytestmark = pytest.mark.usefixtures("torch_one_thread")``.
    """
    torch = pytest.importorskip("torch")
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)
