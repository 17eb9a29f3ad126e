#!/usr/bin/env python3
"""Which pages of a process's file mappings are resident (mapped in its page
tables), per 4 MiB of the file: where a server's file-backed RSS is.

    python3 bench/resident.py PID kensaku      # mappings whose path ends so

Reads /proc/PID/maps and /proc/PID/pagemap (bit 63: present); run as the
process's user or root. Match the offsets against `nm -S --size-sort` of the
binary, or read the bytes there, to name what is resident.
"""
import struct
import sys

pid, suffix = int(sys.argv[1]), sys.argv[2]
PAGE = 4096
CHUNK = 1024  # pages: 4 MiB
with open(f"/proc/{pid}/pagemap", "rb") as pagemap:
    for fields in (line.split() for line in open(f"/proc/{pid}/maps")):
        if len(fields) < 6 or not fields[5].endswith(suffix):
            continue
        lo, hi = (int(x, 16) for x in fields[0].split("-"))
        offset = int(fields[2], 16)
        pagemap.seek(lo // PAGE * 8)
        entries = pagemap.read((hi - lo) // PAGE * 8)
        present = [(struct.unpack_from("<Q", entries, i * 8)[0] >> 63) & 1
                   for i in range((hi - lo) // PAGE)]
        print(f"{fields[1]} at file offset {offset:#x}: {(hi - lo) / 2**20:.1f} MiB, "
              f"{sum(present) * PAGE / 2**20:.1f} MiB resident")
        print("  MiB of the file: % resident  ", " ".join(
            f"{(offset + c * PAGE) / 2**20:.0f}:{100 * sum(present[c:c + CHUNK]) // len(present[c:c + CHUNK])}%"
            for c in range(0, len(present), CHUNK)))
