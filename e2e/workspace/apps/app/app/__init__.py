"""The workspace's app: prints what its library and third-party packages report."""
