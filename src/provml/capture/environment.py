"""What a run records about where it runs: user, host, software, git, HPC job and ranks.

Everything here reads the environment; nothing is imported or hashed on the user's behalf. Git is
asked through a ``git`` subprocess with a short timeout and skipped when unavailable.
"""

from __future__ import annotations

import getpass
import os
import platform
import socket
import subprocess
import sys
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

# Import name -> distribution name, for ML packages the user has already imported.
KNOWN_PACKAGES = {
    "numpy": "numpy",
    "scipy": "scipy",
    "pandas": "pandas",
    "xarray": "xarray",
    "torch": "torch",
    "torchvision": "torchvision",
    "lightning": "lightning",
    "pytorch_lightning": "pytorch-lightning",
    "keras": "keras",
    "tensorflow": "tensorflow",
    "jax": "jax",
    "sklearn": "scikit-learn",
    "xgboost": "xgboost",
    "segyio": "segyio",
    "h5py": "h5py",
    "mpi4py": "mpi4py",
    "provml": "provml",
}
GIT_TIMEOUT_SECONDS = 2.0


def software_versions() -> dict[str, str]:
    """Versions of the known ML packages that are already imported (never imports them)."""
    found: dict[str, str] = {"python": platform.python_version()}
    for module, distribution in KNOWN_PACKAGES.items():
        if module in sys.modules:
            try:
                found[distribution] = version(distribution)
            except PackageNotFoundError:
                attribute = getattr(sys.modules[module], "__version__", None)
                if isinstance(attribute, str):
                    found[distribution] = attribute
    return found


def _git(args: list[str], cwd: Path) -> str | None:
    try:
        result = subprocess.run(
            ["git", *args],
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=GIT_TIMEOUT_SECONDS,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return result.stdout.strip() if result.returncode == 0 else None


def git_state(directory: Path | None = None) -> dict[str, Any] | None:
    """Commit, branch, dirty flag and origin remote of the script's repository, or None."""
    if directory is None:
        script = Path(sys.argv[0]) if sys.argv and sys.argv[0] else None
        directory = script.resolve().parent if script and script.is_file() else Path.cwd()
    commit = _git(["rev-parse", "HEAD"], directory)
    if not commit:
        return None
    branch = _git(["rev-parse", "--abbrev-ref", "HEAD"], directory)
    status = _git(["status", "--porcelain", "--untracked-files=no"], directory)
    return {
        "commit": commit,
        "branch": None if branch in (None, "HEAD") else branch,
        "dirty": bool(status),
        "remote": _git(["config", "--get", "remote.origin.url"], directory) or None,
    }


def _int_env(*names: str) -> int | None:
    for name in names:
        value = os.environ.get(name)
        if value is not None and value.strip().lstrip("-").isdigit():
            return int(value)
    return None


def process_rank() -> int | None:
    """This process's global rank from torch.distributed, MPI or the scheduler, if any."""
    return _int_env("RANK", "OMPI_COMM_WORLD_RANK", "PMI_RANK", "PMIX_RANK", "SLURM_PROCID")


def hpc_context() -> dict[str, Any]:
    """Scheduler, job id, node, ranks and visible GPUs, read from environment variables."""
    env = os.environ
    scheduler: str | None = None
    job_id: str | None = None
    if "SLURM_JOB_ID" in env:
        scheduler, job_id = "slurm", env["SLURM_JOB_ID"]
    elif "PBS_JOBID" in env:
        scheduler, job_id = "pbs", env["PBS_JOBID"]
    elif "LSB_JOBID" in env:
        scheduler, job_id = "lsf", env["LSB_JOBID"]
    gpus_text = env.get("CUDA_VISIBLE_DEVICES") or env.get("ROCR_VISIBLE_DEVICES") or ""
    return {
        "scheduler": scheduler,
        "job_id": job_id,
        "node": env.get("SLURMD_NODENAME") or socket.gethostname(),
        "rank": process_rank(),
        "local_rank": _int_env(
            "LOCAL_RANK", "OMPI_COMM_WORLD_LOCAL_RANK", "MPI_LOCALRANKID", "SLURM_LOCALID"
        ),
        "world_size": _int_env(
            "WORLD_SIZE", "OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_SIZE", "SLURM_NTASKS"
        ),
        "gpus": [gpu.strip() for gpu in gpus_text.split(",") if gpu.strip()],
    }


def user_name() -> str:
    """The login name of the user running the process."""
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return str(os.getuid()) if hasattr(os, "getuid") else "unknown"


def run_environment(capture_git: bool = True) -> dict[str, Any]:
    """The run_start fields that describe the process and its environment."""
    return {
        "user": user_name(),
        "host": socket.gethostname(),
        "pid": os.getpid(),
        "argv": [str(arg) for arg in sys.argv],
        "cwd": os.getcwd(),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "software": software_versions(),
        "git": git_state() if capture_git else None,
        "hpc": hpc_context(),
    }
