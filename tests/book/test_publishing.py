"""Publishing the book: the GitHub workflows (checked by actionlint and for what they must do),
`make serve`, and the README's steps for publishing a fork. Nothing here builds the book."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import yaml

from book_helpers import REPO

WORKFLOWS = REPO / ".github" / "workflows"
ACTIONLINT = Path(sys.executable).with_name("actionlint")
MAKE = "/usr/bin/make"
needs_make = pytest.mark.skipif(not Path(MAKE).exists(), reason="GNU make is not installed")


# --- actionlint ------------------------------------------------------------------------------------

def actionlint(folder: Path) -> subprocess.CompletedProcess:
    """actionlint over every workflow in ``folder`` (and their scripts through ShellCheck, which
    `make test` installs). It exits 1 when it finds a problem, and 2 or 3 when it fails."""
    assert ACTIONLINT.exists(), f"{ACTIONLINT} is missing: pip install -r requirements.txt"
    files = sorted(folder.glob("*.yml")) + sorted(folder.glob("*.yaml"))
    assert files, f"no workflow in {folder}"
    return subprocess.run([str(ACTIONLINT), "-no-color", *map(str, files)], cwd=folder.parent,
                          capture_output=True, text=True, timeout=120)


def test_actionlint_finds_nothing_in_the_workflows():
    result = actionlint(WORKFLOWS)
    assert result.returncode == 0, result.stdout + result.stderr


def test_actionlint_reports_a_broken_workflow(tmp_path):
    # The check above could pass by linting nothing: here the same call must catch a job with no
    # runner, a context that does not exist and an action without a version.
    broken = tmp_path / "broken.yml"
    broken.write_text("on: push\njobs:\n  build:\n    steps:\n      - uses: actions/checkout\n"
                      "      - run: echo ${{ github.no_such_thing }}\n")
    result = actionlint(tmp_path)
    assert result.returncode == 1, result.stderr  # findings, not a failure to run
    for finding in ("runs-on", "no_such_thing", "actions/checkout"):
        assert finding in result.stdout, (finding, result.stdout)


# --- what the workflows do ------------------------------------------------------------------------

def load(name: str) -> dict:
    return yaml.safe_load((WORKFLOWS / name).read_text())


def triggers(workflow: dict) -> dict:
    # YAML 1.1 reads the key `on` as the boolean True.
    on = workflow.get("on", workflow.get(True))
    return {on: None} if isinstance(on, str) else dict(on)


def steps_using(job: dict, action: str) -> list[dict]:
    return [s for s in job.get("steps", []) if s.get("uses", "").split("@")[0] == action]


def all_jobs() -> list[tuple[str, str, dict]]:
    return [(path.name, name, job) for path in sorted(WORKFLOWS.glob("*.yml"))
            for name, job in yaml.safe_load(path.read_text())["jobs"].items()]


def only_on_main_pushes(condition: str) -> bool:
    return ("github.event_name == 'push'" in condition
            and "github.ref == 'refs/heads/main'" in condition)


def test_every_job_has_a_time_limit_and_every_workflow_reads_only_by_default():
    for path in WORKFLOWS.glob("*.yml"):
        assert yaml.safe_load(path.read_text())["permissions"] == {"contents": "read"}, path.name
    for workflow, name, job in all_jobs():
        assert isinstance(job.get("timeout-minutes"), int), (workflow, name)
        for step in job.get("steps", []):
            if "uses" in step:  # a major version: fixes arrive, breaking changes do not
                assert re.fullmatch(r"[\w.-]+/[\w.-]+@v\d+", step["uses"]), step["uses"]


def test_every_push_and_pull_request_runs_the_readme_test_command():
    workflow = load("book.yml")
    assert {"push", "pull_request"} <= set(triggers(workflow))
    assert triggers(workflow)["push"] is None  # every branch, not only main
    test = workflow["jobs"]["test"]
    assert "runs-on" in test and "if" not in test
    runs = [s.get("run", "") for s in test["steps"]]
    assert "make test" in runs
    assert "make test" in (REPO / "README.md").read_text()


def test_the_caches_can_only_restore_what_their_own_keys_guard():
    test = load("book.yml")["jobs"]["test"]
    caches = steps_using(test, "actions/cache")
    paths = {p for step in caches for p in step["with"]["path"].split()}
    assert {"~/.cache/nnbook", "_build/.jupyter_cache"} <= paths
    for step in caches:
        key = step["with"]["key"]
        for source in ("'requirements.txt'", "'code/**'", "'book/**'"):
            assert re.search(r"hashFiles\([^)]*" + re.escape(source), key), (source, key)
        assert key.endswith("${{ github.sha }}"), key  # every run saves what it added
        restore = step["with"]["restore-keys"].splitlines()
        assert restore and all(key.startswith(prefix) for prefix in restore), (key, restore)
    # Both caches restore before the first command that reads them.
    names = [s.get("uses", s.get("run", "")) for s in test["steps"]]
    first_make = next(i for i, n in enumerate(names) if n.startswith("make"))
    assert all(test["steps"].index(step) < first_make for step in caches)


def make_variable(name: str) -> str:
    """The value of one of the Makefile's variables, as make itself computes it."""
    result = subprocess.run([MAKE, "-s", "-C", str(REPO), "--eval", f"print: ; @echo $({name})",
                             "print"], capture_output=True, text=True, check=True)
    return result.stdout.strip()


@needs_make
def test_pull_requests_get_the_site_and_the_pdf_as_artifacts():
    test = load("book.yml")["jobs"]["test"]
    uploads = {s["with"]["path"]: s for s in steps_using(test, "actions/upload-artifact")}
    pdf = f"{make_variable('PDF_OUT')}/_build/latex/book.pdf"  # where `make pdf` writes it
    assert {"_build/html", pdf} <= set(uploads)
    for path in ("_build/html", pdf):
        assert uploads[path]["if"] == "github.event_name == 'pull_request'"
    runs = [s.get("run") for s in test["steps"]]
    assert runs.index("make book") < test["steps"].index(uploads["_build/html"])
    assert runs.index("make pdf") < test["steps"].index(uploads[pdf])


def test_only_pushes_to_main_are_deployed_to_pages():
    jobs = load("book.yml")["jobs"]
    [upload] = steps_using(jobs["test"], "actions/upload-pages-artifact")
    assert upload["with"]["path"] == "_build/html" and only_on_main_pushes(upload["if"])
    runs = [s.get("run") for s in jobs["test"]["steps"]]
    assert runs.index("make book") < jobs["test"]["steps"].index(upload)
    deployers = [(name, job) for name, job in jobs.items() if steps_using(job, "actions/deploy-pages")]
    assert len(deployers) == 1
    name, deploy = deployers[0]
    assert deploy["needs"] == "test" and only_on_main_pushes(deploy["if"])
    assert deploy["permissions"] == {"pages": "write", "id-token": "write"}
    assert deploy["environment"]["name"] == "github-pages"
    assert deploy["concurrency"]["cancel-in-progress"] is False
    for other, job in jobs.items():
        if other != name:
            assert "pages" not in job.get("permissions", {}), other


def gpu_job() -> dict:
    [job] = load("gpu.yml")["jobs"].values()
    return job


def gpu_runner_variable() -> str:
    match = re.fullmatch(r"\$\{\{ vars\.(\w+) \}\}", gpu_job()["runs-on"])
    assert match, "the GPU job's runner must come from a repository variable"
    return match.group(1)


def test_the_gpu_job_builds_on_cuda_on_the_users_runner_and_only_when_one_is_named():
    job, variable = gpu_job(), gpu_runner_variable()
    assert job["if"] == f"vars.{variable} != ''"  # skipped, not queued forever, when unset
    assert job["env"]["NNBOOK_DEVICE"] == "cuda"
    assert "make book" in [s.get("run") for s in job["steps"]]


def test_the_readme_says_how_to_publish_a_fork():
    readme = (REPO / "README.md").read_text()
    section = readme.split("## Publish your fork", 1)[1].split("\n## ", 1)[0]
    for step in ("Fork", "Settings > Pages", "GitHub Actions", "main"):
        assert step in section, step
    for mention in ("make serve", "artifact", gpu_runner_variable()):
        assert mention in section, mention


# --- make serve -----------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fetch(url: str, deadline: float) -> str:
    """The page at ``url``, retried until the server is up or ``deadline`` has passed."""
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                return response.read().decode()
        except (urllib.error.URLError, ConnectionError):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


@needs_make
def test_make_serve_prints_the_url_and_serves_the_site(tmp_path):
    (tmp_path / "index.html").write_text("<title>nnbook serve test</title>")
    port = free_port()
    server = subprocess.Popen([MAKE, "-s", "-C", str(REPO), "serve", f"SITE={tmp_path}",
                               f"PORT={port}"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True, start_new_session=True)
    try:
        url = f"http://127.0.0.1:{port}/"
        assert url in server.stdout.readline()  # the URL comes first
        assert "nnbook serve test" in fetch(url + "index.html", time.monotonic() + 20)
        # Bound to 127.0.0.1 alone: another address of this machine, even a loopback one, is
        # refused, so nothing outside the machine reaches the server either.
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.2", port), timeout=5).close()
    finally:
        os.killpg(server.pid, 15)
        server.wait(timeout=10)
        server.stdout.close()


@needs_make
def test_make_serve_without_a_site_says_to_build_it(tmp_path):
    result = subprocess.run([MAKE, "-s", "-C", str(REPO), "serve", f"SITE={tmp_path}",
                             f"PORT={free_port()}"], capture_output=True, text=True, timeout=30)
    assert result.returncode != 0
    assert "make book" in result.stdout + result.stderr


@needs_make
def test_make_serve_serves_the_built_site_by_default():
    # What `make book` writes is what `make serve` serves.
    assert make_variable("SITE") == "_build/html"
    help_text = subprocess.run([MAKE, "-s", "-C", str(REPO), "help"], capture_output=True,
                               text=True, check=True).stdout
    assert "make serve" in help_text


def test_the_book_is_built_cold_as_an_avx2_cpu_and_on_one_core():
    job = load("book.yml")["jobs"]["machines"]
    builds = [entry["build"] for entry in job["strategy"]["matrix"]["include"]]
    assert any("ATEN_CPU_CAPABILITY=avx2" in b and "ONEDNN_MAX_CPU_ISA=AVX2" in b
               and b.endswith("make book") for b in builds), builds
    assert any(b == "taskset -c 0 make book" for b in builds), builds
    # Cold: nothing restored from another run, and a store of its own.
    assert not any("cache" in step.get("uses", "") for step in job["steps"])
    build = next(step for step in job["steps"] if step.get("run") == "${{ matrix.build }}")
    assert "runner.temp" in build["env"]["NNBOOK_CACHE"]
