"""Enterprises' key projects (重点项目代办): approval steps by department and stage, due dates, progress."""
