"""Results folders: two writers of one folder, a full disk."""

import errno
import os
import subprocess
import sys
import textwrap
import threading

import pandas as pd
import pytest

from connpredict.cli import main
from connpredict.experiment import run_experiment
from connpredict.utils import output_lock, staged_folder


@pytest.fixture(scope="module")
def small_result():
    return run_experiment(
        "synthetic", ["decay"], cv="random", n_splits=3, null="none"
    )


def test_lock_excludes_another_thread_and_is_reentrant(tmp_path):
    out = tmp_path / "res"
    held, release, errors = threading.Event(), threading.Event(), []

    def first():
        with output_lock(out):
            with output_lock(out):  # re-entrant in the holding thread
                held.set()
                release.wait(10)

    t = threading.Thread(target=first)
    t.start()
    assert held.wait(10)
    try:
        with pytest.raises(ValueError, match="another connpredict process"):
            with output_lock(out):
                errors.append("second writer got the lock")
    finally:
        release.set()
        t.join(10)
    assert errors == []
    assert not (tmp_path / ".res.lock").exists()  # released
    with output_lock(out):  # free again
        pass


def test_second_process_fails_and_the_first_results_survive(tmp_path, capsys):
    """Process A writes the folder; `connpredict run` into it fails at once."""
    out = tmp_path / "res"
    script = textwrap.dedent(
        f"""
        import sys
        from connpredict.utils import staged_folder
        with staged_folder({str(out)!r}) as tmp:
            (tmp / "results.csv").write_text("first run")
            print("writing", flush=True)
            sys.stdin.readline()
        """
    )
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    first = subprocess.Popen(
        [sys.executable, "-c", script],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert first.stdout.readline().strip() == "writing"
        argv = ["run", "--models", "decay", "--cv", "random", "--n-splits", "3"]
        code = main([*argv, "--null", "none", "--silent", "--output", str(out)])
        err = capsys.readouterr().err
        assert code == 2
        assert err.count("\n") == 1
        assert f"pid {first.pid}" in err and "is writing the output folder" in err
    finally:
        first.communicate("\n", timeout=30)
    assert first.returncode == 0
    assert (out / "results.csv").read_text() == "first run"


def test_stale_lock_of_a_dead_process_is_taken_over(tmp_path):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)  # fmt: skip
    lock = tmp_path / ".res.lock"
    lock.write_text(dead.stdout)
    with output_lock(tmp_path / "res") as got:
        assert got == lock and lock.read_text().strip() == str(os.getpid())
    assert not lock.exists()


def test_folder_filled_meanwhile_is_not_replaced(tmp_path):
    out = tmp_path / "res"
    with pytest.raises(ValueError, match="filled by another writer"):
        with staged_folder(out) as tmp:
            (tmp / "mine.csv").write_text("second")
            out.mkdir()
            (out / "theirs.csv").write_text("first")
    assert sorted(p.name for p in out.iterdir()) == ["theirs.csv"]
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def _full_disk(*args, **kwargs):
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def test_full_disk_is_one_error_and_leaves_nothing(small_result, tmp_path, monkeypatch):
    monkeypatch.setattr(pd.DataFrame, "to_csv", _full_disk)
    out = tmp_path / "res"
    with pytest.raises(OSError, match="No space left on device") as info:
        small_result.save(out)
    assert info.value.errno == errno.ENOSPC
    assert "nothing was written" in str(info.value)
    assert list(tmp_path.iterdir()) == []  # no folder, no partial sibling, no lock


def test_cli_full_disk_prints_one_line(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(pd.DataFrame, "to_csv", _full_disk)
    argv = ["run", "--models", "decay", "--cv", "random", "--n-splits", "3"]
    out = tmp_path / "res"
    code = main([*argv, "--null", "none", "--silent", "--output", str(out)])
    err = capsys.readouterr().err
    assert code == 1
    assert err.strip().splitlines() == [
        f"connpredict: error: could not write the output folder {out}: No space "
        "left on device; nothing was written (free some space or choose another "
        "output folder)"
    ]
    assert list(tmp_path.iterdir()) == []


def test_datasets_with_a_file_as_data_home_is_one_line(tmp_path, capsys):
    afile = tmp_path / "afile"
    afile.write_text("x")
    assert main(["datasets", "--data-home", str(afile)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith(f"connpredict: error: The data home {afile} is a file")
