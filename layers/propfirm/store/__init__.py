"""The PostgreSQL store: migrations, the Unit of Work and its repositories, the audit chain."""
