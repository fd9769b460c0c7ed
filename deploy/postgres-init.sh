#!/bin/sh
# Run once by the postgres image, when it initialises an empty data directory: the API's own
# login role, owner of the database (so its migrations can create the tables) and nothing more:
# no superuser, no CREATEDB, no CREATEROLE. docker-compose.yml passes the names and password.
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
  -v role="$PARLEY_DB_USER" -v password="$PARLEY_DB_PASSWORD" -v db="$POSTGRES_DB" <<'SQL'
CREATE ROLE :"role" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD :'password';
ALTER DATABASE :"db" OWNER TO :"role";
SQL
