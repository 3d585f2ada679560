"""Shared core of the AI Energy Score: task catalog, records, ratings and storage.

Light by design: pydantic, pandas, pyarrow and huggingface_hub only, so the Space starts fast.
"""
