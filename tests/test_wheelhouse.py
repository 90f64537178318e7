"""`make wheelhouse` then `make setup WHEELS=...`: a room without internet installs the course from files alone."""

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.skipif(shutil.which("make") is None, reason="needs make")
def test_wheelhouse_installs_offline(tmp_path):
    wheels, venv = tmp_path / "wheels", tmp_path / "venv"
    made = subprocess.run(["make", "-C", str(ROOT), "wheelhouse", f"WHEELHOUSE={wheels}"], capture_output=True, text=True)
    assert made.returncode == 0, made.stderr[-2000:]
    assert any(p.name.startswith("coursekit-") for p in wheels.iterdir())
    assert any(p.name.startswith("torch-2.13.0") for p in wheels.iterdir())

    # No pip configuration (no extra indexes or find-links of this machine), no index: the folder alone.
    env = dict(os.environ, PIP_CONFIG_FILE=os.devnull, PIP_NO_INDEX="1")
    offline = subprocess.run(
        ["make", "-C", str(ROOT), "setup", f"VENV={venv}", f"WHEELS={wheels}"], capture_output=True, text=True, env=env
    )
    assert offline.returncode == 0, offline.stderr[-2000:]
    probe = subprocess.run(
        [str(venv / "bin" / "python"), "-c",
         "import torch, jupyterlab, ipywidgets, nbval, tokenizers, coursekit; "
         "print(torch.__version__, coursekit.eval_chat_quality(' '.join(['region'] * 8)).total)"],
        capture_output=True, text=True, cwd=tmp_path,
    )
    assert probe.returncode == 0, probe.stderr
    version, total = probe.stdout.split()
    assert version.startswith("2.13.0") and abs(float(total) - 33.8333333) < 1e-6
