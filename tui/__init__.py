"""The faces of Confide: the Textual app and the `confide` command line. No SQL, no crypto."""
