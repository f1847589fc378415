"""Vòng Tay's command line and the tools around the packages (golden checks, demo data)."""
