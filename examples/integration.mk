# An integration test against a MariaDB of its own, on a free port:
#
#   make -f examples/integration.mk integration-test
#
# brings up a mariadbd told --port=3306 through epr (on a free port, whatever holds 3306),
# runs TEST with the port in $EPR_PORT, and brings the database down afterwards whether
# TEST passed or not. db-up and db-down also work alone. DB_DIR holds its files.
#
# integration-test ties the database to the make that runs it (epr start --owner): should
# that make be killed, as a cancelled CI job kills it, the database goes within a second
# instead of running on. db-up alone leaves it running until db-down (or EPR_OWNER=PID).

THIS    := $(lastword $(MAKEFILE_LIST))
EPR     ?= $(abspath $(dir $(THIS))../build/epr)
DB_DIR  ?= $(CURDIR)/.integration-db
DB_ENV  := $(DB_DIR)/db.env
MYSQL    = mariadb --no-defaults -h 127.0.0.1 -P "$$EPR_PORT" -u root
# The integration test: a stand-in for yours. It runs with the env file's variables set.
TEST    ?= $(MYSQL) -e 'create database app; create table app.t (v int); \
	insert into app.t values (42);' && $(MYSQL) -N -e 'select v from app.t'

.PHONY: integration-test db-up db-down

integration-test:
	@$(MAKE) --no-print-directory -f $(THIS) db-up EPR_OWNER=$$PPID
	@. $(DB_ENV) && $(TEST); status=$$?; \
	$(MAKE) --no-print-directory -f $(THIS) db-down; exit $$status

db-up:
	rm -rf $(DB_DIR) && mkdir -p $(DB_DIR)/tmp
	mariadb-install-db --no-defaults --datadir=$(DB_DIR)/data --tmpdir=$(DB_DIR)/tmp \
		--user=$$(id -un) --auth-root-authentication-method=normal --skip-test-db \
		>$(DB_DIR)/install.log
	$(EPR) start -p 3306 -e $(DB_ENV) -t 60 $(if $(EPR_OWNER),--owner $(EPR_OWNER)) -- mariadbd --no-defaults \
		--datadir=$(DB_DIR)/data --tmpdir=$(DB_DIR)/tmp --socket=$(DB_DIR)/mysqld.sock \
		--pid-file=$(DB_DIR)/mysqld.pid --user=$$(id -un) --port=3306 \
		--bind-address=127.0.0.1,::1 --skip-log-bin

db-down:
	if [ -e $(DB_ENV) ]; then $(EPR) stop -t 30 $(DB_ENV); fi
	rm -rf $(DB_DIR)
