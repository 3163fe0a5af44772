"""The command line: click commands that only wire sources, detector, filters and reporters."""
