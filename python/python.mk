# The Python modules (python/), included by the Makefile: it provides B, CC, BASE and CFLAGS.
#   build/libepr-reserve.so   common/reserve.c behind epr_reserve(), which
#                             ephemeral_port_reserve.py loads with ctypes, and
#                             epr_portserver_request(), a C client of portpicker's portserver
# The modules themselves are plain files: make install copies them (mk/install.mk).
PY_MODULES := python/ephemeral_port_reserve.py python/epr.py python/epr_pytest.py
RESERVE_LIB_OBJ := $(B)/obj/python/reserve_lib.o $(B)/obj/common/reserve.o \
	$(B)/obj/common/portserver_client.o

all: $(B)/libepr-reserve.so

-include $(B)/obj/python/reserve_lib.d

$(B)/libepr-reserve.so: $(RESERVE_LIB_OBJ) python/reserve_lib.map
	$(CC) $(CFLAGS) -shared -Wl,--version-script=python/reserve_lib.map -Wl,-z,now \
		$(LDFLAGS) -o $@ $(RESERVE_LIB_OBJ)
