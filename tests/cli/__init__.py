"""The `confide` command line, in process and as a real subprocess."""
