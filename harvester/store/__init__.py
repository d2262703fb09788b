"""The harvest database: connection, schema migrations, writers, ledger, export."""
