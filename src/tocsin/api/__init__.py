"""The REST APIs: Healthchecks' and Better Stack's dialects, for clients written for
them, and Tocsin's own. Each dialect is a package of the same shape (http, spec or
models, render, endpoint modules, routes); `common` is what they share."""
