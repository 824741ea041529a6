"""Hand-off to staff: the queue of residents waiting for a person."""
