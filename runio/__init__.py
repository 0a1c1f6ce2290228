"""Run plumbing shared by every CLI: flag errors, output folders, JSON records."""
