"""The shared Redis parts: where Redis is, and scripts run there within a deadline."""
