# Installing epr, the Debian package, and the man-page lint.
#   make install              bin/epr, bin/ephemeral-port-reserve, lib/epr/libepr.so and
#                             the man pages under PREFIX (/usr/local), inside DESTDIR if set;
#                             the Python modules in PYDIR, and lib/epr/libepr-reserve.so
#   make uninstall            remove exactly what install put there (same PREFIX, DESTDIR)
#   make man-lint             mandoc -T lint -W warning on docs/*.[1-8]
#   make deb                  build $(B)/deb/epr_VERSION_ARCH.deb with dpkg-buildpackage
#   make deb-lint             lintian on that .deb
#   make deb-smoke            apt-get install it, run debian/tests/smoke against /usr/bin/epr,
#                             then apt-get remove it again (needs root)
# The installed epr finds its shim as ../lib/epr/libepr.so from its own directory, so LIBDIR
# must stay $(BINDIR)/../lib/epr unless every user sets EPR_LIB.

MAN_PAGES := docs/epr.1 docs/libepr.7

# The Python modules (python/) go where Debian's python3 looks: /usr/lib/python3/dist-packages
# for the package, /usr/local/lib/python3.X/dist-packages otherwise. ephemeral_port_reserve
# finds libepr-reserve.so as ../../epr/ from there, so PYDIR must stay $(PREFIX)/lib/python*/...
PY_VERSION = $(shell /usr/bin/python3 -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null || echo 3)
PYDIR   ?= $(if $(filter /usr,$(PREFIX)),/usr/lib/python3,$(PREFIX)/lib/python$(PY_VERSION))/dist-packages
PY_INSTALLED := ephemeral_port_reserve epr epr_pytest

.PHONY: install uninstall man-lint deb deb-lint deb-smoke

install: $(B)/epr $(B)/libepr.so $(B)/libepr-reserve.so
	$(if $(filter $(abspath $(LIBDIR)),$(abspath $(BINDIR)/../lib/epr)),,\
		@echo "warning: LIBDIR=$(LIBDIR) is not BINDIR/../lib/epr: epr will need EPR_LIB" >&2)
	install -d '$(DESTDIR)$(BINDIR)' '$(DESTDIR)$(LIBDIR)' \
		'$(DESTDIR)$(MANDIR)/man1' '$(DESTDIR)$(MANDIR)/man7'
	install -m 0755 $(B)/epr '$(DESTDIR)$(BINDIR)/epr'
	ln -sf epr '$(DESTDIR)$(BINDIR)/ephemeral-port-reserve'
	install -m 0644 $(B)/libepr.so '$(DESTDIR)$(LIBDIR)/libepr.so'
	install -m 0644 docs/epr.1 '$(DESTDIR)$(MANDIR)/man1/epr.1'
	ln -sf epr.1 '$(DESTDIR)$(MANDIR)/man1/ephemeral-port-reserve.1'
	install -m 0644 docs/libepr.7 '$(DESTDIR)$(MANDIR)/man7/libepr.7'
	install -m 0644 $(B)/libepr-reserve.so '$(DESTDIR)$(LIBDIR)/libepr-reserve.so'
	install -d '$(DESTDIR)$(PYDIR)'
	install -m 0644 $(addprefix python/,$(addsuffix .py,$(PY_INSTALLED))) '$(DESTDIR)$(PYDIR)/'

# The shared directories (bin, man1...) stay; lib/epr is epr's own and goes once empty.
uninstall:
	rm -f '$(DESTDIR)$(BINDIR)/epr' '$(DESTDIR)$(BINDIR)/ephemeral-port-reserve' \
		'$(DESTDIR)$(LIBDIR)/libepr.so' '$(DESTDIR)$(MANDIR)/man1/epr.1' \
		'$(DESTDIR)$(MANDIR)/man1/ephemeral-port-reserve.1' \
		'$(DESTDIR)$(MANDIR)/man7/libepr.7' '$(DESTDIR)$(LIBDIR)/libepr-reserve.so' \
		$(foreach m,$(PY_INSTALLED),'$(DESTDIR)$(PYDIR)/$(m).py' '$(DESTDIR)$(PYDIR)/__pycache__/$(m)'.*.pyc)
	rmdir '$(DESTDIR)$(LIBDIR)' 2>/dev/null || true

# Warnings and errors fail; style notes (long source lines, Xr lookups) do not.
man-lint:
	mandoc -T lint -W warning $(MAN_PAGES)

# dpkg-buildpackage writes into the parent of the tree it builds: build a copy in
# $(B)/deb/src, so that the .deb lands in $(B)/deb/ and the work tree is not touched.
DEB_DIR     := $(B)/deb
DEB_SOURCES := Makefile README.md LICENSE common shim helper docs debian mk tests python
DEB_VERSION  = $(shell dpkg-parsechangelog -l debian/changelog -S Version)
DEB_ARCH     = $(shell dpkg-architecture -q DEB_HOST_ARCH)
DEB_FILE     = $(abspath $(DEB_DIR))/epr_$(DEB_VERSION)_$(DEB_ARCH).deb

deb:
	rm -rf '$(DEB_DIR)'
	mkdir -p '$(DEB_DIR)/src'
	cp -a $(DEB_SOURCES) '$(DEB_DIR)/src/'
	cd '$(DEB_DIR)/src' && env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL dpkg-buildpackage -us -uc -b
	@echo "built $(DEB_FILE)"

deb-lint:
	lintian --fail-on error,warning --display-info '$(DEB_FILE)'

# CI runs as root on a machine where the build tree's epr exists too: the smoke test names
# /usr/bin/epr. The package is removed whatever the outcome, leaving the machine as found.
deb-smoke:
	test -f '$(DEB_FILE)' || $(MAKE) deb
	DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends '$(DEB_FILE)'
	status=0; sh debian/tests/smoke || status=$$?; \
		DEBIAN_FRONTEND=noninteractive apt-get remove -y epr; exit $$status
