"""Outputs: figure data (no drawing), matplotlib images, terminal tables."""
