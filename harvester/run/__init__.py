"""Running a harvest: assembly, target, session, spiders' plumbing, daemon, status."""
