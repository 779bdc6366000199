"""Error-analysis report and plots built from saved or fresh score results."""
