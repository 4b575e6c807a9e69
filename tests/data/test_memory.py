"""How much memory this process can still take (``lrscout.data.memory``).

Specification: the answer is a positive number of bytes (or None where it cannot be told),
never above the address-space limit the process runs under; sizes read in decimal units.
"""

from __future__ import annotations

import subprocess
import sys

from lrscout.data import memory


def test_available_memory_follows_the_address_space_limit():
    code = ("import resource, lrscout.data.memory as m; soft = 4 << 30; "
            "resource.setrlimit(resource.RLIMIT_AS, (soft, resource.getrlimit(resource.RLIMIT_AS)[1])); "
            "print(m.available_bytes() <= soft)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "True"


def test_available_memory_is_a_positive_number_here():
    available = memory.available_bytes()
    assert available is None or available > 0
    assert memory.format_bytes(1_900_000_000) == "1.9 GB"
    assert memory.format_bytes(850_000_000) == "850 MB"
