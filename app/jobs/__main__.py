"""``python -m app.jobs``: the job worker as ``gridpatrol serve`` starts it beside the app
server (the same as ``gridpatrol jobs worker``)."""

from __future__ import annotations

import argparse
import logging
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m app.jobs",
                                     description="Run queued background jobs.")
    parser.add_argument("--concurrency", type=int, default=None)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s [jobs] %(levelname)s "
                        "%(name)s: %(message)s")
    from app import create_app
    from app.jobs.worker import serve_forever

    app = create_app()
    serve_forever(app, concurrency=args.concurrency or int(app.config["JOBS_CONCURRENCY"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
