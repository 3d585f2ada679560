"""The submission portal: open-model requests for the benchmark queue, vendor log archives, and review."""
