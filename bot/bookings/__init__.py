"""Proxy and home-visit bookings: rules and state machine (service), the chat form, stations, working days, due dates."""
