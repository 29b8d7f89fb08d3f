"""The system-call filter (labeling/sandbox/seccomp.py) is what refuses the calls the malicious suite
tries (TestSystemCalls there): the same probes in a sandbox whose filter allows everything get
through, or fail with the kernel's own error. And bubblewrap's --disable-userns keeps nested user
namespaces out even without the filter's rule."""

from __future__ import annotations

import os

import pyseccomp
import pytest

from labeling import sandbox
from labeling.sandbox import seccomp
from tests.labeling.test_malicious import syscall_probe

LIMITS = sandbox.Limits(time_s=20, memory_mb=1024)

# probe → what it gives without the filter (the filter gives EPERM, or ENOSYS for clone3)
WITHOUT_THE_FILTER = {
    'call("ptrace", 0, 0, 0, 0)': "ALLOWED ptrace",
    "a = ctypes.create_string_buffer(8)\nv = (ctypes.c_size_t * 2)(address(a), 8)\n"
    'call("process_vm_readv", os.getpid(), address(v), 1, address(v), 1, 0)': "ALLOWED process_vm_readv",
    'call("userfaultfd", 0o2000000 | 1)': "ALLOWED userfaultfd",
    'p = ctypes.create_string_buffer(120)\ncall("io_uring_setup", 4, address(p))': "ALLOWED io_uring_setup",
    'call("keyctl", 0, -3, 1)': "ALLOWED keyctl",
    "args = ctypes.create_string_buffer(struct.pack('<QQQQQQQQQQQ', 0, 0, 0, 0, 17, 0, 0, 0, 0, 0, 0))\n"
    'call("clone3", address(args), 88)\nos.wait()': "ALLOWED clone3",
    'call("personality", 0x0040000)': "ALLOWED personality",
    'c = ctypes.create_string_buffer(1)\ncall("ioctl", 0, 0x5412, address(c))': "REFUSED ioctl ENOTTY",
    'call("setpriority", 2, 0, 19)': "ALLOWED setpriority",
    # No nested user namespace, filter or not: bubblewrap's --disable-userns leaves a limit of 0.
    'call("unshare", 0x10000000)': "REFUSED unshare ENOSPC",
}


def run(tools, scratch_parent, code: str) -> str:
    with sandbox.Scratch() as scratch:
        scratch.add_bytes("submission.py", code.encode())
        result = sandbox.run(scratch, code="submission.py", output="out.csv", inputs=[], limits=LIMITS, tools=tools)
    return (result.stdout + result.stderr).decode()


@pytest.fixture
def no_filter(monkeypatch):
    """A filter that allows every call, in place of the sandbox's."""

    def allow_all() -> int:
        fd = os.memfd_create("allow-all", os.MFD_CLOEXEC)
        with os.fdopen(fd, "w+b", closefd=False) as out:
            pyseccomp.SyscallFilter(pyseccomp.ALLOW).export_bpf(out)
        os.lseek(fd, 0, os.SEEK_SET)
        return fd

    monkeypatch.setattr(seccomp, "filter_fd", allow_all)


@pytest.mark.parametrize(("body", "unfiltered"), WITHOUT_THE_FILTER.items(), ids=range(len(WITHOUT_THE_FILTER)))
def test_the_filter_is_what_refuses_the_call(sandbox_tools, scratch_parent, no_filter, body, unfiltered):
    out = run(sandbox_tools, scratch_parent, syscall_probe(body))
    assert unfiltered in out, out


@pytest.mark.parametrize("body", WITHOUT_THE_FILTER.keys(), ids=range(len(WITHOUT_THE_FILTER)))
def test_with_the_filter_the_same_call_is_refused(sandbox_tools, scratch_parent, body):
    out = run(sandbox_tools, scratch_parent, syscall_probe(body))
    name = body.rsplit('call("', 1)[1].split('"')[0]
    expected = "ENOSYS" if name == "clone3" else "EPERM"
    assert f"REFUSED {name} {expected}" in out and "ALLOWED" not in out, out
