"""Runners execute a batch of candidates; they never decide anything."""

from .inline import InlineRunner, Runner

__all__ = ["InlineRunner", "Runner"]
