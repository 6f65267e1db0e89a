"""``hydra/launcher=stacked``: train a Hydra sweep as a few stacked runs (see stacked_launcher.py)."""
