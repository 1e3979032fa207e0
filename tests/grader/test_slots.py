"""grader.slots: two batch runs on one machine never hold the same student slot."""

import re
import subprocess
import sys
import time

import pytest

from grader.slots import MAX_SLOTS, claimed_slots


def test_two_runs_get_different_slots_and_give_them_back(tmp_path):
    folder = tmp_path / "locks"
    with claimed_slots(2, folder) as first, claimed_slots(3, folder) as second:
        assert first == [0, 1] and second == [2, 3, 4]
    with claimed_slots(2, folder) as again:  # the first run ended: its slots are free again
        assert again == [0, 1]


def test_a_run_waits_while_every_slot_is_taken(tmp_path):
    folder = tmp_path / "locks"
    other_run = (  # another batch run, in a process of its own: it must wait, and say so, until the first ends
        "import sys\nfrom pathlib import Path\nfrom grader.slots import claimed_slots\nsaid = []\n"
        f"with claimed_slots(1, Path({str(folder)!r}), poll_s=0.05, log=said.append) as got:\n"
        "    print(got, said)\n"
    )
    with claimed_slots(MAX_SLOTS, folder) as everything:
        assert everything == list(range(MAX_SLOTS))
        proc = subprocess.Popen([sys.executable, "-c", other_run], stdout=subprocess.PIPE, text=True)
        time.sleep(1.0)
        assert proc.poll() is None  # still waiting
    out, _ = proc.communicate(timeout=60)
    # one slot once the first run ended; which one depends on where its scan was when the locks went (0 to 63)
    assert proc.returncode == 0 and re.match(r"\[\d+\] \['all 64 student slots are in use", out), out


def test_a_lock_folder_someone_could_have_planted_is_refused(tmp_path):
    target = tmp_path / "elsewhere"
    target.mkdir()
    link = tmp_path / "locks"
    link.symlink_to(target)
    with pytest.raises(RuntimeError, match="not a folder of this user"), claimed_slots(1, link):
        pass
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o777)
    shared.chmod(0o777)
    with pytest.raises(RuntimeError, match="only it can write"), claimed_slots(1, shared):
        pass
