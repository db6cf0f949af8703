#!/usr/bin/env python3
"""Process-tree accounting for bench/run.sh (runs on the load-generator core, reads /proc only).

The tree of ROOT is every live descendant of ROOT plus every process in session ROOT (run.sh
starts each proxy with setsid, so re-executed workers are found either way).
  proctree.py pids ROOT          pids of the tree, one line
  proctree.py cpu ROOT           CPU seconds (utime+stime, plus reaped children) of the tree
  proctree.py rss ROOT           summed VmRSS of the tree, KiB
  proctree.py sample ROOT OUT    sum VmRSS every 100 ms until SIGTERM, then write the peak (KiB)
  proctree.py mem ROOT           "rss pss private_dirty nprocs": KiB summed over the tree from
                                 /proc/PID/smaps_rollup (PSS splits shared pages between processes)
  proctree.py fds ROOT           open file descriptors of the tree (sockets included)
"""
import os
import signal
import sys
import time

HZ = os.sysconf("SC_CLK_TCK")


def _stat(pid):
    """Fields of /proc/PID/stat after the command name (index 0 is field 3, state)."""
    with open(f"/proc/{pid}/stat") as f:
        text = f.read()
    return text[text.rindex(")") + 2:].split()


def tree(root):
    parent, session = {}, {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            fields = _stat(name)
        except (OSError, ValueError):
            continue
        parent[int(name)] = int(fields[1])
        session[int(name)] = int(fields[3])
    found = {p for p, s in session.items() if s == root}
    if root in parent:
        found.add(root)
    grew = True
    while grew:
        more = {p for p, pp in parent.items() if pp in found and p not in found}
        found |= more
        grew = bool(more)
    return sorted(found)


def cpu(root):
    ticks = 0
    for pid in tree(root):
        try:
            f = _stat(pid)
            ticks += int(f[11]) + int(f[12]) + int(f[13]) + int(f[14])
        except (OSError, ValueError, IndexError):
            pass
    return ticks / HZ


def rss(pids):
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
                        break
        except (OSError, ValueError):
            pass
    return total


def smaps(pids):
    want = {"Rss:": 0, "Pss:": 1, "Private_Dirty:": 2}
    total = [0, 0, 0]
    for pid in pids:
        try:
            with open(f"/proc/{pid}/smaps_rollup") as f:
                for line in f:
                    key = line.split(None, 1)[0]
                    if key in want:
                        total[want[key]] += int(line.split()[1])
        except (OSError, ValueError, IndexError):
            pass
    return total


def fds(pids):
    n = 0
    for pid in pids:
        try:
            n += len(os.listdir(f"/proc/{pid}/fd"))
        except OSError:
            pass
    return n


def sample(root, out):
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    peak, pids, listed = 0, tree(root), time.monotonic()
    while not stop:
        if time.monotonic() - listed > 1.0:  # re-list the tree once a second, it rarely changes
            pids, listed = tree(root), time.monotonic()
        peak = max(peak, rss(pids))
        time.sleep(0.1)
    with open(out, "w") as f:
        f.write(f"{peak}\n")


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    cmd, root = sys.argv[1], int(sys.argv[2])
    if cmd == "pids":
        print(" ".join(map(str, tree(root))))
    elif cmd == "cpu":
        print(f"{cpu(root):.3f}")
    elif cmd == "rss":
        print(rss(tree(root)))
    elif cmd == "mem":
        pids = tree(root)
        print(*smaps(pids), len(pids))
    elif cmd == "fds":
        print(fds(tree(root)))
    elif cmd == "sample" and len(sys.argv) == 4:
        sample(root, sys.argv[3])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
