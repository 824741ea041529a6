"""The mini-program's side of the domain: accounts and tokens, content checks, uploaded materials."""
