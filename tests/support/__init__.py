"""Helpers every suite shares: the build's inputs, one wait loop, bounded exec."""
