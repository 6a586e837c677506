"""The HTTP server's guards: what every connection may take of the process's memory,
file descriptors and time (`server.limits`, `server.connections`, `server.protocol`);
and the running services as request handlers receive them (`server.services`)."""
