"""The set-up: pins agree between requirements.txt and environment.yml, and torch is the pinned CPU-safe one."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def pins(text: str) -> dict[str, str]:
    found = {}
    for line in text.splitlines():
        m = re.match(r"^\s*(?:-\s+)?([A-Za-z0-9_.\-]+)==([^\s#]+)", line)
        if m:
            found[m.group(1).lower()] = m.group(2)
    return found


def test_environment_yml_installs_the_same_pins_as_requirements():
    req = pins((ROOT / "requirements.txt").read_text())
    env = pins((ROOT / "environment.yml").read_text())
    assert req, "no pins found in requirements.txt"
    assert req == env


def test_every_requirement_is_pinned_exactly():
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
            assert "==" in line, f"unpinned requirement: {line}"


def test_torch_pinned_to_the_tested_release():
    assert pins((ROOT / "requirements.txt").read_text())["torch"] == "2.13.0"


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    assert "make test" in readme and "make test" in ci
    assert "make lab" in readme


def test_jupyterlab_serves_the_course(tmp_path):
    # What `make lab` starts, headless: the server comes up, serves JupyterLab and lists the course notebooks.
    import json
    import os
    import socket
    import subprocess
    import sys
    import time
    import urllib.request

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    token = "smoke-alarm-test"
    env = dict(os.environ, JUPYTER_RUNTIME_DIR=str(tmp_path), JUPYTER_CONFIG_DIR=str(tmp_path / "cfg"))
    server = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
         f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={ROOT}"]
        + (["--allow-root"] if os.geteuid() == 0 else []),
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(120):
            try:
                with urllib.request.urlopen(f"{base}/api/contents/notebooks?token={token}", timeout=2) as r:
                    listing = json.load(r)
                break
            except OSError:
                time.sleep(0.5)
        else:
            raise AssertionError("JupyterLab did not answer within 60 s")
        names = {item["name"] for item in listing["content"]}
        assert "00_start_here.ipynb" in names
        with urllib.request.urlopen(f"{base}/lab?token={token}", timeout=10) as r:
            assert r.status == 200 and b"JupyterLab" in r.read()
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_learner_fork_workflow_grades_the_learner_notebooks():
    # The GitHub Actions file a learner's fork runs: installs with the README's set-up, grades with nbval, and
    # publishes coursekit grade's table. (It runs on GitHub; here we check it is well-formed and says that.)
    import yaml

    flow = yaml.safe_load((ROOT / ".github" / "workflows" / "grade-my-notebooks.yml").read_text())
    steps = flow["jobs"]["grade"]["steps"]
    runs = "\n".join(step.get("run", "") for step in steps)
    assert "make setup" in runs
    assert "pytest --nbval-lax notebooks/*.ipynb" in runs
    assert "coursekit grade notebooks/*.ipynb" in runs and "GITHUB_STEP_SUMMARY" in runs
