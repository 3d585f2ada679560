"""Maintainer commands for vendor results: `python -m submission reviews`, `approve ID`, `reject ID --reason ...`."""

from __future__ import annotations

import argparse
import getpass
import sys
from datetime import UTC, datetime

from core.repos import ResultsRepo
from core.settings import load_settings
from core.store import NotFound, StoreError, open_stores
from submission.review import ReviewError, decide, pending_reviews


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m submission", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("reviews", help="list the vendor results waiting for review")
    for name, text in (("approve", "approve a vendor result: it enters the next release"), ("reject", "reject one")):
        command = commands.add_parser(name, help=text)
        command.add_argument("result_id")
        command.add_argument("--reason", required=name == "reject", help="shown to the vendor")
        command.add_argument("--reviewer", default=getpass.getuser(), help="default: the current user")
    args = parser.parse_args(argv)
    try:
        results = ResultsRepo(open_stores(load_settings()).results)
        if args.command == "reviews":
            waiting = pending_reviews(results)
            if waiting.empty:
                print("no vendor result is waiting for review")
            for row in waiting.itertuples():
                print(
                    f"{row.id}  {row.model_id}  {row.task}  {row.hardware}  {row.score_wh!r} Wh/1k  {row.measured_at}"
                )
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
