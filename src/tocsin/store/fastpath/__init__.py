"""The fenced fast write path: batches of check state changes run as one synchronous
function in one transaction (`runners`), written through fixed SQL derived from
`store.tables` (`batch`, `bulk`), made durable on SQLite by the ping log and the WAL's
own fsync (`pinglog`, `wal`). Only the ping path, the alert pipeline, the services
that act inside a ping batch, and the server's builder may use it."""
