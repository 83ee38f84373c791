"""The Makefile's set-up: it installs what is missing, or says exactly what to install."""

import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def fake_bin(tmp_path: Path, uid: int, tools: dict[str, str]) -> Path:
    """A PATH with only the tools given: ``id`` reports ``uid``, and no apt-get, dot or npm."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    scripts = {"id": f"#!/bin/bash\necho {uid}\n", **tools}
    for name, body in scripts.items():
        (bin_dir / name).write_text(body)
        (bin_dir / name).chmod(0o755)
    return bin_dir


def run_make(target: str, bin_dir: Path) -> subprocess.CompletedProcess:
    env = {"PATH": str(bin_dir), "HOME": os.environ.get("HOME", "/root")}
    return subprocess.run(["/usr/bin/make", "-s", "-C", str(ROOT), target], env=env,
                          capture_output=True, text=True)


@pytest.mark.skipif(not Path("/usr/bin/make").exists(), reason="GNU make is not installed")
def test_a_non_root_user_is_told_what_is_missing_and_how_to_get_it(tmp_path):
    result = run_make("system-deps", fake_bin(tmp_path, uid=1000, tools={}))
    assert result.returncode != 0
    out = result.stdout + result.stderr
    assert "Missing: graphviz's dot" in out and "brew install graphviz" in out
    assert "apt-get install graphviz" in out  # and what root on Debian would do


@pytest.mark.skipif(not Path("/usr/bin/make").exists(), reason="GNU make is not installed")
def test_root_without_apt_stops_instead_of_half_installing(tmp_path):
    tools = {"dot": "#!/bin/bash\nexit 0\n"}  # dot is there; npm is not, and there is no apt-get
    result = run_make("system-deps", fake_bin(tmp_path, uid=0, tools=tools))
    assert result.returncode != 0
    out = result.stdout + result.stderr
    assert "Missing: npm" in out and "brew install node" in out
    assert "Installing" not in out


def test_targets_named_like_folders_are_phony():
    phony = next(line for line in (ROOT / "Makefile").read_text().splitlines()
                 if line.startswith(".PHONY:"))
    for target in ("book", "test"):
        assert target in phony.split()
    assert (ROOT / "book").is_dir()  # the reason it matters


def test_ci_runs_the_readme_test_command():
    ci = (ROOT / ".ci" / "run").read_text()
    assert "make test" in ci and "make test" in (ROOT / "README.md").read_text()


@pytest.mark.skipif(not Path("/usr/bin/make").exists(), reason="GNU make is not installed")
def test_everything_make_test_needs_from_apt_is_asked_once(tmp_path):
    # Root on Debian with nothing installed: one apt-get update and one install of every package
    # the book and its tests need, not one update per missing tool.
    log = tmp_path / "apt.log"
    tools = {"apt-get": f"#!/bin/bash\necho \"$*\" >> {log}\nexit 0\n"}
    result = run_make("test-system-deps", fake_bin(tmp_path, uid=0, tools=tools))
    assert result.returncode == 0, result.stdout + result.stderr
    calls = log.read_text().splitlines()
    assert [c.split()[0] for c in calls] == ["update", "install"], calls
    installed = calls[1].split()
    for package in ("graphviz", "nodejs", "chromium", "chromium-driver", "shellcheck",
                    "poppler-utils", "texlive-xetex", "latexmk"):
        assert installed.count(package) == 1, (package, calls[1])
