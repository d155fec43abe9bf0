"""A rank that raises, dies or stops answering ends the whole `mpirun` job promptly, with an error
naming the rank; a checkpoint written by rank 0 resumes the distributed run exactly."""
import numpy as np

from tests.distributed.run_mpi import mpirun, requires_mpi

pytestmark = requires_mpi
PROMPT = 30  # seconds: well under any hang, well over starting MPI on a loaded machine


def test_a_rank_that_raises_aborts_the_job_naming_it(tmp_path):
    done, seconds = mpirun(2, "worker_faults.py", "raise", tmp_path)
    assert done.returncode != 0
    assert seconds < PROMPT
    assert "rank 1 of 2 raised ValueError: a deliberate failure on rank 1" in done.stderr
    assert "finished" not in done.stdout


def test_a_stuck_rank_times_out_the_collective(tmp_path):
    done, seconds = mpirun(2, "worker_faults.py", "hang", tmp_path)
    assert done.returncode != 0
    assert seconds < PROMPT  # rank 1 sleeps for 120 s: the 2 s timeout ended the job
    assert "rank 0 of 2: barrier did not complete within 2 s" in done.stderr


def test_a_killed_rank_ends_the_job_and_rank_zero_checkpoint_resumes(tmp_path, trained):
    done, seconds = mpirun(2, "worker_faults.py", "kill", tmp_path)
    assert done.returncode != 0
    assert seconds < PROMPT
    assert "finished" not in done.stdout
    assert (tmp_path / "fit" / "last.safetensors").exists()
    done, _ = mpirun(2, "worker_faults.py", "resume", tmp_path)
    assert done.returncode == 0, done.stderr
    uninterrupted = trained(2)
    for rank in range(2):
        resumed = dict(np.load(tmp_path / f"resumed{rank}.npz"))
        want = uninterrupted.case(rank, "fit")
        assert sorted(resumed) == sorted(want)
        for key, value in want.items():
            np.testing.assert_array_equal(resumed[key], value, err_msg=f"rank {rank}: {key}")
