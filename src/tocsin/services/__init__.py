"""One function per action every front end calls (create a check, pause it,
acknowledge an incident…). Each owns its transaction and tells the watcher what it
moved, so no front end writes to the database or wakes a worker itself."""
