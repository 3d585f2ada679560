"""Maintainer commands: `python -m leaderboard release 2026-11`, `python -m leaderboard rebuild-index`."""

from __future__ import annotations

import argparse
import logging
import sys
from datetime import UTC, datetime

from core.releases import cut_release
from core.repos import DuplicateRecord, RequestsRepo, ResultsRepo
from core.settings import load_settings
from core.store import StoreError, open_stores


def _parse_time(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an ISO 8601 time, e.g. 2026-11-30T00:00:00+00:00") from None
    if moment.tzinfo is None:
        raise argparse.ArgumentTypeError(f"{text!r} has no time zone; add one, e.g. +00:00")
    return moment


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m leaderboard", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    release = commands.add_parser("release", help="cut a release: rate every result measured so far and freeze it")
    release.add_argument("release_id", help="e.g. 2026-11")
    release.add_argument("--at", type=_parse_time, help="cut time (ISO 8601 with zone); default: now")
    commands.add_parser("rebuild-index", help="remake both indexes from the record files")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")

    try:
        stores = open_stores(load_settings())
        if args.command == "release":
            made = cut_release(ResultsRepo(stores.results), args.release_id, cut_at=args.at or datetime.now(UTC))
            print(f"release {made.id}: {len(made.stars)} results rated in {len(made.populations)} populations")
            for population in made.populations:
                edges = (
                    ", ".join(f"{edge:.6g}" for edge in population.band_edges_wh)
                    if population.band_edges_wh
                    else "not enough models to rate (every member gets 3 stars)"
                )
                print(f"  {population.key.label()}: {len(population.result_ids)} results; band edges (Wh): {edges}")
        else:
            for repo in (RequestsRepo(stores.requests), ResultsRepo(stores.results)):
                problems = repo.rebuild_index()
                print(f"{repo.index_path}: rebuilt, {len(problems)} record(s) skipped")
                for problem in problems:
                    print(f"  skipped {problem}")
    except (DuplicateRecord, StoreError, ValueError, FileNotFoundError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
