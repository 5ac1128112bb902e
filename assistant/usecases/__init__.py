"""Use cases behind `Assistant` (assistant/service.py), one module per area; the CLI and UI
reach them only through `Assistant`, which inherits them."""
