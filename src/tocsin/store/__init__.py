"""Everything that knows SQL: tables, migrations and the queries the domain needs."""
