"""Results for people: the figures and reports of each job, apart from its training."""
