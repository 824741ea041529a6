"""Knowledge-base editing by staff: item versions with who/diff/revert, and catalog import with a preview."""
