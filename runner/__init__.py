"""The benchmark runner: turns a request into a measured result. Only runner/engine code imports torch."""
