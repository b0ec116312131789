-- First start of the compose PostgreSQL: the service's own database and role, apart from Temporal's.
CREATE ROLE payments WITH LOGIN PASSWORD 'payments';
CREATE DATABASE payments OWNER payments;
