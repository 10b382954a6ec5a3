"""Fails while being loaded."""

fail("broken at load time")
