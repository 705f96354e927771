/* One slot per sentinel of EPR_PORTS, in its order: the configuration is fixed at load, so a
 * sentinel's index never changes. Slots are written once (a port never changes), so relaxed
 * atomics suffice: a racing reader sees 0 and asks the supervisor, which answers the same. */
#include "known.h"

#include "config.h"
#include "port_map.h"

static uint16_t port_of[EPR_MAX_SENTINELS];
static int any; /* set once a slot is: getsockname's fast path */

static int slot(uint16_t sentinel)
{
	const struct port_specs *specs = &config_get()->specs;
	const struct port_spec *spec = port_specs_find(specs, sentinel);

	return spec ? (int)(spec - specs->item) : -1;
}

void known_inherit(const struct port_specs *specs, const struct port_map *m)
{
	for (size_t i = 0; i < specs->n; i++) {
		uint16_t port = port_map_sentinel_port(m, specs->item[i].sentinel);

		if (port) {
			__atomic_store_n(&port_of[i], port, __ATOMIC_RELAXED);
			__atomic_store_n(&any, 1, __ATOMIC_RELEASE);
		}
	}
}

uint16_t known_port(uint16_t sentinel)
{
	int i = slot(sentinel);

	return i < 0 ? 0 : __atomic_load_n(&port_of[i], __ATOMIC_RELAXED);
}

void known_set(uint16_t sentinel, uint16_t port)
{
	int i = slot(sentinel);

	if (i < 0 || port == 0)
		return;
	__atomic_store_n(&port_of[i], port, __ATOMIC_RELAXED);
	__atomic_store_n(&any, 1, __ATOMIC_RELEASE);
}

int known_any(void)
{
	return __atomic_load_n(&any, __ATOMIC_ACQUIRE);
}

uint16_t known_sentinel(uint16_t port)
{
	const struct port_specs *specs;

	if (!known_any() || port == 0)
		return 0;
	specs = &config_get()->specs;
	for (size_t i = 0; i < specs->n; i++)
		if (__atomic_load_n(&port_of[i], __ATOMIC_RELAXED) == port)
			return specs->item[i].sentinel;
	return 0;
}
