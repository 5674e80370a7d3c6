#!/usr/bin/python3
"""bigpng.py W H FILE - write a W x H RGB PNG (a gradient row, repeated)
in time and memory proportional to one row, however many rows: the row is
compressed once after a full flush (the deflate dictionary reset), so its
compressed bytes repeat; the Adler-32 is run over every row. For the
tests of pictures too big to decode in memory (decompression bombs)."""
import struct
import sys
import zlib

w, h, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
row = b"\x00" + bytes((i * 7) % 256 for i in range(w * 3))
c = zlib.compressobj(9)
head = c.compress(row) + c.flush(zlib.Z_FULL_FLUSH)
rep = c.compress(row) + c.flush(zlib.Z_FULL_FLUSH)
adler = 1
for _ in range(h):
    adler = zlib.adler32(row, adler)
# an empty final block (fixed Huffman), then the checksum
idat = head + rep * (h - 1) + b"\x03\x00" + struct.pack(">I", adler)


def chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + \
        struct.pack(">I", zlib.crc32(kind + data))


with open(out, "wb") as f:
    f.write(b"\x89PNG\r\n\x1a\n"
            + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", idat) + chunk(b"IEND", b""))
