"""WeChat access: receiving callbacks exactly once within 5 s (inbox) and the outbound API (api)."""
