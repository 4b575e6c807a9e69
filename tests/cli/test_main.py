"""The ``lrscout`` command group, run as the installed script: help and version."""

from __future__ import annotations

import re

from cli_helpers import run_cli

import lrscout


def test_help_exits_0_and_lists_the_sweep_and_demo_commands(tmp_path):
    proc = run_cli("--help", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert re.search(r"^\s+sweep\s", proc.stdout, re.MULTILINE), proc.stdout
    assert re.search(r"^\s+demo\s", proc.stdout, re.MULTILINE), proc.stdout
    assert proc.stderr == ""


def test_short_help_flag_is_the_same_as_long(tmp_path):
    assert run_cli("-h", cwd=tmp_path).stdout == run_cli("--help", cwd=tmp_path).stdout


def test_version_prints_the_package_version_and_exits_0(tmp_path):
    proc = run_cli("--version", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert lrscout.__version__ in proc.stdout
    assert "lrscout" in proc.stdout
