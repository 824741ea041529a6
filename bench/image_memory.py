"""Benchmark: peak memory of checking one uploaded image, each case in a fresh process.

    .venv/bin/python bench/image_memory.py

Cases: the 6300x6300 PNG bomb of issue 21 (refused from its header now), a 20 MP PNG at the limit, and a
30.7 MP JPEG decoded with `draft` (what the server does) against a plain full-scale Pillow decode of the
same file. Prints the file size, how far the child's peak RSS rose during the check (VmHWM, reset just before it
through /proc/self/clear_refs) and the wall time. Linux only.
"""

from __future__ import annotations

import io
import resource
import subprocess
import sys
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def png_claiming(width: int, height: int) -> bytes:
    import struct

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    raw = zlib.compressobj(9)
    row = b"\x00" * (width + 1)
    idat = b"".join(raw.compress(row) for _ in range(height)) + raw.flush()
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def make_cases(tmp: Path) -> dict[str, tuple[Path, str]]:
    from PIL import Image

    cases = {}
    bomb = tmp / "bomb.png"
    bomb.write_bytes(png_claiming(6300, 6300))
    cases["PNG bomb 6300x6300 (39.7 MP), server check"] = (bomb, "server:image/png")
    limit = tmp / "limit.png"
    limit.write_bytes(png_claiming(5000, 4000))
    cases["PNG 5000x4000 (20 MP, at the limit), server check"] = (limit, "server:image/png")
    photo = tmp / "big.jpg"
    out = io.BytesIO()
    Image.effect_noise((6400, 4800), 40).convert("RGB").save(out, "JPEG", quality=80)
    photo.write_bytes(out.getvalue())
    cases["JPEG 6400x4800 (30.7 MP), server check (draft)"] = (photo, "server:image/jpeg")
    cases["JPEG 6400x4800 (30.7 MP), full-scale Pillow decode"] = (photo, "full")
    cases["baseline (imports only)"] = (photo, "none")
    return cases


CHILD = """
import resource, sys, time
sys.path.insert(0, {root!r})
from PIL import Image
from bot.miniprogram import materials
data = open({path!r}, "rb").read()
mode = {mode!r}


def vm(field):
    for line in open("/proc/self/status"):
        if line.startswith(field):
            return int(line.split()[1])


open("/proc/self/clear_refs", "w").write("5")  # peak RSS (VmHWM) starts again from here
before = vm("VmRSS:")
start = time.perf_counter()
outcome = "-"
if mode.startswith("server:"):
    try:
        cleaned, kind = materials.clean_image(data, mode[7:])
        outcome = "accepted, stored %d bytes" % len(cleaned)
    except materials.MaterialError as exc:
        outcome = "refused: " + exc.code
elif mode == "full":
    Image.MAX_IMAGE_PIXELS = None
    import io
    image = Image.open(io.BytesIO(data)); image.load(); outcome = "decoded %dx%d" % image.size
print(vm("VmHWM:") - before, time.perf_counter() - start, outcome)
"""


def main() -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        cases = make_cases(Path(tmp))
        print(f"{'case':58} {'file':>9} {'peak +RSS':>9} {'time':>7}  outcome")
        for name, (path, mode) in cases.items():
            code = CHILD.format(root=str(ROOT), path=str(path), mode=mode)
            run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
            out = run.stdout.split(maxsplit=2)
            rss_mb, seconds, outcome = int(out[0]) / 1024, float(out[1]), out[2].strip()
            print(f"{name:58} {path.stat().st_size / 1024:8.0f}K {rss_mb:8.0f}M {seconds:6.2f}s  {outcome}")
    print(f"(this process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB; machine shared, timings noisy)")


if __name__ == "__main__":
    main()
