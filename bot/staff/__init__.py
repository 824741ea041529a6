"""Staff: accounts, roles, sessions and the audit log of what staff did."""
