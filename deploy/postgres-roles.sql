-- pepflow's PostgreSQL roles and database (docs/deployment.md, "PostgreSQL roles").
-- Run once as a superuser:  psql -v ON_ERROR_STOP=1 -f postgres-roles.sql
-- Change both passwords first (or set them afterwards with \password).
--
-- pepflow_owner owns the tables: migrations (pepflow db upgrade) and grants (pepflow db grant) run
-- as it, by hand, when pepflow is installed or upgraded.
-- pepflow_app is what the services connect as: it reads and writes the case tables, and can only
-- read and add to the history (no UPDATE, DELETE or TRUNCATE of its rows), whatever a bug or an
-- attacker in the application tries.
CREATE ROLE pepflow_owner LOGIN PASSWORD 'CHANGE-ME-OWNER';
CREATE ROLE pepflow_app LOGIN PASSWORD 'CHANGE-ME-APP';
CREATE DATABASE pepflow OWNER pepflow_owner ENCODING 'UTF8' TEMPLATE template0;
REVOKE ALL ON DATABASE pepflow FROM PUBLIC;
GRANT CONNECT, TEMPORARY ON DATABASE pepflow TO pepflow_app;
\connect pepflow
-- PostgreSQL 15 and later: only the owner creates objects in the public schema
ALTER SCHEMA public OWNER TO pepflow_owner;
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO pepflow_app;
