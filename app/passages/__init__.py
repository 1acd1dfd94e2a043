"""Vehicle checkpoints (卡口) and their passages: import, feed, search, trace."""
