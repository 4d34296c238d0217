-- Run once by the postgres image on an empty data volume (docker-entrypoint-initdb.d, via psql).
-- One database per service; pgvector enabled in each (migrations may also CREATE EXTENSION IF NOT EXISTS).
CREATE DATABASE ats;
CREATE DATABASE crm;
CREATE DATABASE gateway;

\connect ats
CREATE EXTENSION IF NOT EXISTS vector;
\connect crm
CREATE EXTENSION IF NOT EXISTS vector;
\connect gateway
CREATE EXTENSION IF NOT EXISTS vector;
