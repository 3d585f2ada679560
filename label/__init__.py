"""The model-card label: an energy-efficiency label for one model, drawn from code as PNG or SVG."""
