"""grader.rundir: a batch run's temporary folder goes when the run ends, or with the next run if it was killed."""

import os
import signal
import stat
import subprocess
import sys

import pytest

from grader.rundir import LOCK, PREFIX, remove_if_abandoned, run_folder


def _mode(path):
    return stat.S_IMODE(os.lstat(path).st_mode)


def test_the_folder_is_reachable_not_listable_and_removed_at_the_end(tmp_path):
    with run_folder(tmp_path) as folder:
        assert folder.name.startswith(f"{PREFIX}{os.getpid()}-")
        assert _mode(folder) == 0o711 and _mode(folder / "scratch") == 0o711
        (folder / "scratch" / "s0-x").mkdir()
    assert not folder.exists()


def test_the_folder_is_removed_when_the_run_fails(tmp_path):
    with pytest.raises(RuntimeError), run_folder(tmp_path) as folder:
        raise RuntimeError("a grading error")
    assert not folder.exists()


def test_a_killed_run_s_folder_goes_with_the_next_run_and_a_living_run_s_stays(tmp_path):
    hold = (  # a run that lives until it is killed
        "import sys, time\nfrom pathlib import Path\nfrom grader.rundir import run_folder\n"
        f"with run_folder(Path({str(tmp_path)!r})) as f:\n    print(f, flush=True)\n    time.sleep(600)\n"
    )
    killed = subprocess.Popen([sys.executable, "-c", hold], stdout=subprocess.PIPE, text=True)
    living = subprocess.Popen([sys.executable, "-c", hold], stdout=subprocess.PIPE, text=True)
    try:
        killed_folder, living_folder = (p.stdout.readline().strip() for p in (killed, living))
        (tmp_path / "no-lock-yet").mkdir()
        starting = tmp_path / f"{PREFIX}1-starting"  # a run that has made its folder but not yet its lock
        starting.mkdir()
        killed.send_signal(signal.SIGKILL)
        killed.wait()
        assert os.path.isdir(killed_folder)
        with run_folder(tmp_path) as mine:
            assert not os.path.exists(killed_folder), "the killed run's folder was left behind"
            assert os.path.isdir(living_folder) and starting.is_dir() and (tmp_path / "no-lock-yet").is_dir()
            assert not remove_if_abandoned(mine), "a living run's folder (this one) was removed"
    finally:
        for p in (killed, living):
            p.kill()
            p.wait()


@pytest.mark.skipif(os.geteuid() != 0, reason="giving a folder to another user needs root")
def test_another_user_s_folder_is_never_removed(tmp_path):
    other = tmp_path / f"{PREFIX}1-other"
    other.mkdir()
    (other / LOCK).touch()
    os.chown(other, 65534, 65534)
    assert not remove_if_abandoned(other) and other.is_dir()


def test_a_link_is_never_followed(tmp_path):
    target = tmp_path / "elsewhere"
    target.mkdir()
    (target / LOCK).touch()
    link = tmp_path / f"{PREFIX}1-link"
    link.symlink_to(target)
    assert not remove_if_abandoned(link)
    assert (target / LOCK).exists() and link.is_symlink()
