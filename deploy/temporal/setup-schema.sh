#!/bin/sh
# Creates or upgrades Temporal's two PostgreSQL databases. Safe to run on every `docker compose up`:
# `create` and `setup-schema -v 0.0` fail harmlessly once done; `update-schema` applies only what is new.
set -eu
tool() { temporal-sql-tool --plugin postgres12 --ep postgresql -p 5432 -u "$POSTGRES_USER" "$@"; } # password: SQL_PASSWORD
for db in temporal temporal_visibility; do
  tool --db "$db" create 2>/dev/null || echo "database $db exists"
  tool --db "$db" setup-schema -v 0.0 2>/dev/null || echo "schema of $db already initialised"
done
tool --db temporal update-schema -d /etc/temporal/schema/postgresql/v12/temporal/versioned
tool --db temporal_visibility update-schema -d /etc/temporal/schema/postgresql/v12/visibility/versioned
