"""`make bench`: run every benchmark in turn and print their figures."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
BENCHES = [
    ["understand_speed.py"],
    ["callback_parse.py"],
    ["booking_turns.py"],
    ["console_live.py"],
    ["desk_report.py", "--repeat", "2", "--http"],
    ["notification_queue.py", "--count", "300", "--rounds", "2"],
    ["api_latency.py"],
    ["store_scale.py", "--bookings", "1000,10000", "--repeat", "5"],
    ["loop_busy.py", "--bookings", "3000"],
    ["wechat_pipeline.py", "--seconds", "10"],
]

for bench in BENCHES:
    if bench[0] == "wechat_pipeline.py" and not shutil.which("wrk"):
        print("skipping wechat_pipeline.py: install wrk (apt-get install wrk)")
        continue
    print(f"== {bench[0]}", flush=True)
    subprocess.run([sys.executable, str(HERE / bench[0]), *bench[1:]], check=False)
