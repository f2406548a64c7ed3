"""Flows both faces run (the app and the command line): above `backup`, below the faces."""
