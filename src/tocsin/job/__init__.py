"""The job side: what runs next to a job and pings Tocsin about it.

Only the standard library, so `tocsin run` starts in a few milliseconds and the
library adds nothing to the program it watches.
"""
