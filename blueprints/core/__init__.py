"""The shared kernel: one of each helper that every feature uses."""
