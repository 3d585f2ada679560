"""Maintainer commands for vendor results: `python -m submission reviews`, `logs ID OUT.zip` (the upload, from the
private uploads store), `approve ID`, `reject ID --reason ...`, and `move-vendor-logs` (once, after upgrading)."""

from __future__ import annotations

import argparse
import getpass
import sys
from datetime import UTC, datetime
from pathlib import Path

from core.repos import ResultsRepo
from core.settings import load_settings
from core.store import NotFound, StoreError, open_stores, open_uploads
from submission.migrate import move_vendor_logs
from submission.review import ReviewError, decide, pending_reviews
from submission.vendor import uploads_folder


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m submission", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("reviews", help="list the vendor results waiting for review")
    logs = commands.add_parser("logs", help="write a vendor result's uploaded zip (from the private uploads store)")
    logs.add_argument("result_id")
    logs.add_argument("out", type=Path, help="the zip file to write")
    commands.add_parser("move-vendor-logs", help="move vendor logs from the public results repo to the uploads store")
    for name, text in (("approve", "approve a vendor result: it enters the next release"), ("reject", "reject one")):
        command = commands.add_parser(name, help=text)
        command.add_argument("result_id")
        command.add_argument("--reason", required=name == "reject", help="shown to the vendor")
        command.add_argument("--reviewer", default=getpass.getuser(), help="default: the current user")
    args = parser.parse_args(argv)
    try:
        settings = load_settings()
        results = ResultsRepo(open_stores(settings).results)
        if args.command == "reviews":
            waiting = pending_reviews(results)
            if waiting.empty:
                print("no vendor result is waiting for review")
            for row in waiting.itertuples():
                print(
                    f"{row.id}  {row.model_id!r}  {row.task}  {row.hardware!r}  {row.score_wh!r} Wh/1k  "
                    f"{row.measured_at}  attested by {row.attested_by!r} at {row.attested_at}  {row.flags}"
                )
            return 0
        if args.command == "logs":
            archive = open_uploads(settings).read(f"{uploads_folder(args.result_id)}/archive.zip")
            args.out.write_bytes(archive)
            print(f"{args.out}: {len(archive):,} bytes; check it with `python -m runner validate {args.out}`")
            return 0
        if args.command == "move-vendor-logs":
            moved = move_vendor_logs(results, open_uploads(settings))
            print(f"moved {moved.files} file(s) of {len(moved.results)} vendor result(s); results index rebuilt")
            for problem in moved.skipped:
                print(f"  skipped {problem}")
            return 0
        decided = decide(
            results,
            args.result_id,
            approve=args.command == "approve",
            reviewer=args.reviewer,
            note=args.reason,
            now=datetime.now(UTC),
        )
        print(f"{decided.id}: {decided.review.value} by {decided.reviewed_by}")
    except (ReviewError, NotFound, StoreError, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
