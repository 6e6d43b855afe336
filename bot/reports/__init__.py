"""Reports: what the team achieved, as figures, charts, CSV and a weekly digest."""
