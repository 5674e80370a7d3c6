#!/usr/bin/python3
"""Write the pictures of tests/editors/issues/2026-09 (run once; the PNG
files are committed): a map 1,489 x 827 px carrying 300 KB of metadata, as
an export from a drawing tool does (over 1,200 px wide and over
compose.image_max_size: compose scales it down), and a 640 x 360 px chart
under both limits (embedded as it is). Deterministic: no clock, no random.
Written for this project; public domain."""
import struct
import sys
import zlib


def png(path, w, h, seed, comment=0):
    rows = []
    for y in range(h):
        row = bytearray([0])
        for x in range(w):
            bx, by = x // 60, y // 60
            v = (bx * 73856093 ^ by * 19349663 ^ seed) & 0xffffffff
            r, g, b = (v >> 3) % 200 + 30, (v >> 11) % 200 + 30, (v >> 19) % 200 + 30
            if x % 150 < 4 or y % 110 < 4:
                r, g, b = 250, 250, 250
            row += bytes((r, g, b))
        rows.append(bytes(row))

    def chunk(t, d):
        return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xffffffff)
    data = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
    if comment:
        data += chunk(b"tEXt", b"Comment\x00" + b"x" * comment)
    data += chunk(b"IDAT", zlib.compress(b"".join(rows), 1)) + chunk(b"IEND", b"")
    open(path, "wb").write(data)


d = sys.argv[1] if len(sys.argv) > 1 else "issues/2026-09"
png(d + "/ville_grand_paris.png", 1489, 827, 7, comment=300000)
png(d + "/formations.png", 640, 360, 3)
