"""Whole-page and shared-fragment caching: the portal's bottom layer (see pagecache.cache)."""
