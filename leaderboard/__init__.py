"""The leaderboard readers see, and the maintainers' commands (`python -m leaderboard`)."""
