"""Camera health (视频质量诊断): detection accuracy and checks per minute.

1. Accuracy. For each of three cameras (three streets drawn by tests/camera_clips.py and
   encoded by FFmpeg), its earlier healthy checks (three noon clips) teach its baseline
   and reference; then every labelled clip made from its source clip with FFmpeg
   (freeze, black, blur, noise, colour cast, corrupted packets, a box over the lens, the
   view shifted, the view rotated) and its clean clips (the source, the street at night,
   the street turning to night) are checked. Clean streets checked for the first time
   (no history), by day and by night, are added. Precision and recall per fault.
2. Throughput. The health round itself (`run_round`: FFmpeg in a process per sample, 2 s
   decoded, 8 frames analysed, results written to PostgreSQL) over `--checks` cameras in a
   database of its own, `--workers` at a time, in a fresh process, for H.264 files of
   640x360, 1280x720 and 1920x1080 at 25 frames a second; CPU per check (FFmpeg's, and
   ours with the database) against FFmpeg alone decoding the same 2 s to nothing
   (`-f null`: the floor any checker pays), checks per minute, peak memory; then what that
   means for 2,504 cameras in 10 minutes on this machine.

Files are read as fast as FFmpeg decodes them; a live camera paces its 2 s in real time,
so a live round needs enough workers to cover that wait: the table states both limits.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.cameras.fence import StreamFence  # noqa: E402
from app.cameras.health.sampler import SamplePlan, ffmpeg_binary, take_sample  # noqa: E402
from benchmarks.common import table  # noqa: E402
from dispatch.cameras.health import BandBaseline, Reference, band_of, evaluate  # noqa: E402
from tests.camera_clips import (  # noqa: E402
    ffmpeg_filter,
    labelled_set,
    other_streets,
    street_clip,
    warm_up_clips,
)

PLAN = SamplePlan()  # span_s: GRIDPATROL_HEALTH_SAMPLE_S (2 s), or --span-s
FAULTS = ("frozen", "black", "blurred", "noise", "colour_cast", "corrupted", "covered",
          "moved")
CAMERAS_PREFECTURE = 2504
ROUND_S = 600


def accuracy(folder: Path, seeds: tuple[int, ...]) -> None:
    fence = StreamFence(media_dir=folder)
    truth: list[tuple[str, set[str], set[str]]] = []
    for seed in seeds:
        camera = folder / f"camera-{seed}"
        _, clips = labelled_set(camera, seed=seed)
        baselines: dict[int, BandBaseline] = {}
        references: dict[int, Reference] = {}
        for clip in warm_up_clips(camera / "earlier", seed=seed):
            band = band_of(clip.hour)
            result = evaluate(take_sample(str(clip.path), fence=fence, plan=PLAN),
                              baseline=baselines.get(band), reference=references.get(band))
            baselines[band] = result.baseline
            references.setdefault(band, result.new_reference)  # type: ignore[arg-type]
        for clip in clips:
            band = band_of(clip.hour)
            result = evaluate(take_sample(str(clip.path), fence=fence, plan=PLAN),
                              baseline=baselines.get(band), reference=references.get(band))
            truth.append((f"{seed}:{clip.name}", set(clip.faults), set(result.fault_codes)))
    for clip in other_streets(folder / "others", seeds=tuple(s + 10 for s in seeds)):
        result = evaluate(take_sample(str(clip.path), fence=fence, plan=PLAN))
        truth.append((clip.name, set(clip.faults), set(result.fault_codes)))
    rows = []
    for fault in FAULTS:
        tp = sum(1 for _, want, got in truth if fault in want and fault in got)
        fp = sum(1 for _, want, got in truth if fault not in want and fault in got)
        fn = sum(1 for _, want, got in truth if fault in want and fault not in got)
        rows.append([fault, tp + fn, tp, fp, fn, _share(tp, tp + fp), _share(tp, tp + fn)])
    clean = [(name, got) for name, want, got in truth if not want]
    flagged = [f"{name} → {sorted(got)}" for name, got in clean if got]
    print(f"\nAccuracy: {len(truth)} checks ({len(clean)} clean) on {len(seeds)} cameras "
          f"plus {len(seeds) * 2} first-time clean streets\n")
    print(table(rows, ["fault", "labelled", "found", "false alarms", "missed", "precision",
                       "recall"]))
    print(f"\nclean streams flagged: {len(flagged)} of {len(clean)}"
          + "".join(f"\n  {line}" for line in flagged))
    wrong = [f"{name}: labelled {sorted(want)}, found {sorted(got)}"
             for name, want, got in truth if want and want != got]
    if wrong:
        print("faulty clips not found exactly:" + "".join(f"\n  {line}" for line in wrong))


def _share(part: int, whole: int) -> str:
    return f"{part / whole:.2f}" if whole else "—"


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _self_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _status_kb(pid: int, field: str) -> int:
    """A ``/proc/PID/status`` memory field in kB (0 when the process is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


class _FfmpegMemory:
    """Polls this process's FFmpeg children every 100 ms: the largest peak RSS (VmHWM, of
    the FFmpeg image itself: a child's rusage would count the Python it was forked from)
    and the most running at once."""

    def __init__(self) -> None:
        import threading

        self.peak_kb = 0
        self.most = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def _poll(self) -> None:
        me = str(os.getpid())
        while not self._stop.wait(0.1):
            running = 0
            for entry in os.listdir("/proc"):
                if not entry.isdigit():
                    continue
                try:
                    stat = Path(f"/proc/{entry}/stat").read_text()
                except OSError:
                    continue
                name, rest = stat[stat.find("(") + 1:stat.rfind(")")], stat[stat.rfind(")") + 2:]
                if name == "ffmpeg" and rest.split()[1] == me:
                    running += 1
                    self.peak_kb = max(self.peak_kb, _status_kb(int(entry), "VmHWM"))
            self.most = max(self.most, running)


def measure_round(clip: Path, cameras: int, workers: int,
                  span_s: float = 2.0) -> dict[str, float]:
    """In this (fresh) process: the health round itself over ``cameras`` cameras whose
    stream is ``clip``, on a database of its own; a first round teaches baselines and
    references, the second is measured."""
    import json

    from app.auth import users
    from app.cameras.health.checks import run_round
    from app.db import get_session
    from benchmarks.common import bench_database

    with bench_database("gridpatrol_bench_health", MEDIA_DIR=str(clip.parent),
                        HEALTH_WORKERS=workers, CAMERA_NETWORKS="10.0.0.0/8",
                        HEALTH_SAMPLE_S=span_s) as bench:
        app = bench["app"]
        with app.app_context():
            session = get_session()
            user = users.create_user(session, "bench-supervisor", "correct horse battery",
                                     "supervisor")
            token = users.issue_token(session, user, label="bench")
            session.commit()
        client = app.test_client()
        for n in range(cameras):
            answer = client.post("/api/v1/cameras", headers={"Authorization": f"Bearer {token}"},
                                 json={"name": f"c{n}", "lon": 8.69 + n * 1e-4, "lat": 49.41,
                                       "stream_url": str(clip)})
            assert answer.status_code == 201, answer.json
        run_round(app)
        before_mb = _status_kb(os.getpid(), "VmRSS") / 1024
        watcher = _FfmpegMemory()
        watcher.start()
        cpu_children, cpu_self = _children_cpu(), _self_cpu()
        started = time.perf_counter()
        summary = run_round(app)
        wall = time.perf_counter() - started
        watcher.stop()
        result = {"checked": summary.checked, "wall_s": wall,
                  "ffmpeg_cpu_s": (_children_cpu() - cpu_children) / summary.checked,
                  "ours_cpu_s": (_self_cpu() - cpu_self) / summary.checked,
                  "faulty": sum(summary.faults.values()),
                  "rss_before_mb": before_mb,
                  "rss_self_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "rss_ffmpeg_mb": watcher.peak_kb / 1024, "ffmpeg_at_once": watcher.most}
    print(json.dumps(result))
    return result


def throughput(folder: Path, checks: int, workers: int) -> None:
    import json

    sizes = ((640, 360, ""), (1280, 720, ""), (1920, 1080, ""), (1920, 1080, "heavy"))
    rows = []
    extrapolation = []
    peaks = []
    for width, height, heavy in sizes:
        clip = street_clip(folder / f"street-{width}.mp4", seed=7, size=(width, height),
                           fps=25, seconds=3.0)
        if heavy:  # sensor noise everywhere: a bitrate (and decoding cost) of real footage
            clip = ffmpeg_filter(clip, folder / f"street-{width}-heavy.mp4", "-vf",
                                 "noise=alls=12:allf=t", "-c:v", "libx264", "-preset",
                                 "veryfast", "-b:v", "8M", "-g", "50", "-bf", "0",
                                 "-pix_fmt", "yuv420p")
        label = f"{width}x{height}" + (f" {heavy}, {clip.stat().st_size * 8 / 3e6:.1f} Mbit/s"
                                       if heavy else "")
        floor_cpu = []
        for _ in range(3):
            before = _children_cpu()
            subprocess.run([ffmpeg_binary(), "-nostdin", "-loglevel", "error", "-threads", "1",
                            "-i", str(clip), "-t", f"{PLAN.span_s:g}", "-f", "null", "-"],
                           check=True)
            floor_cpu.append(_children_cpu() - before)
        floor = sorted(floor_cpu)[1]
        done = subprocess.run([sys.executable, __file__, "--round", str(clip), "--checks",
                               str(checks), "--workers", str(workers),
                               "--span-s", f"{PLAN.span_s:g}"], capture_output=True,
                              text=True, check=True, timeout=3600)
        measured = json.loads(done.stdout.strip().splitlines()[-1])
        per_check = measured["ffmpeg_cpu_s"] + measured["ours_cpu_s"]
        per_minute = measured["checked"] / measured["wall_s"] * 60
        cores = os.cpu_count() or 1
        cpu_bound_min = CAMERAS_PREFECTURE * per_check / cores / 60
        rows.append([label, measured["checked"], f"{measured['wall_s']:.1f}",
                     f"{per_minute:.0f}", f"{measured['ffmpeg_cpu_s'] * 1000:.0f}",
                     f"{measured['ours_cpu_s'] * 1000:.0f}", f"{floor * 1000:.0f}",
                     f"{per_check / floor:.2f}", measured["faulty"]])
        peaks.append([label, f"{measured['rss_before_mb']:.0f}",
                      f"{measured['rss_self_mb']:.0f}", f"{measured['rss_ffmpeg_mb']:.0f}",
                      measured["ffmpeg_at_once"],
                      f"{measured['rss_self_mb'] + workers * measured['rss_ffmpeg_mb']:.0f}"])
        live_workers = CAMERAS_PREFECTURE * (PLAN.span_s + 0.5) / ROUND_S
        extrapolation.append([label, f"{per_check:.2f}",
                              f"{cpu_bound_min:.1f}",
                              "yes" if cpu_bound_min <= ROUND_S / 60 else "no",
                              f"{live_workers:.0f}"])
    print(f"\nThroughput (the health round, database writes included; {PLAN.span_s:g} s "
          f"decoded per check): {workers} workers, "
          f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}\n")
    print(table(rows, ["source", "checks", "wall s", "checks/min", "FFmpeg CPU ms/check",
                       "analysis + DB CPU ms/check", "FFmpeg alone (floor) ms",
                       "ratio to floor", "faults found"]))
    print("\nMemory (peak RSS, MB)\n")
    print(table(peaks, ["source", "app process before the round", "app process peak",
                        "one FFmpeg peak", "FFmpeg at once", f"bound: process + {workers} "
                        "FFmpeg"]))
    print()
    print(table(extrapolation, ["2,504 cameras of", "CPU s/check",
                                f"CPU-bound minutes on {os.cpu_count()} cores",
                                "within 10 min", "live workers needed (2.5 s each)"]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checks", type=int, default=40)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--skip-accuracy", action="store_true")
    parser.add_argument("--span-s", type=float, default=2.0,
                        help="stream seconds each check decodes (GRIDPATROL_HEALTH_SAMPLE_S)")
    parser.add_argument("--round", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    global PLAN
    PLAN = SamplePlan(span_s=args.span_s)
    if args.round:
        measure_round(args.round, args.checks, args.workers, span_s=args.span_s)
        return
    with tempfile.TemporaryDirectory(prefix="camera-health-") as raw:
        folder = Path(raw)
        if not args.skip_accuracy:
            accuracy(folder, tuple(args.seeds))
        throughput(folder, args.checks, args.workers)


if __name__ == "__main__":
    main()
