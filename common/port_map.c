/* The port tables, fixed in size: a program that binds port 0 forever (FTP passive mode)
 * sets bits that are set already, and recycles the oldest slots of the ring. */
#include "port_map.h"

uint16_t port_map_sentinel_port(const struct port_map *m, uint16_t sentinel)
{
	for (unsigned i = 0; i < EPR_MAX_SENTINELS && m->mapped[i].sentinel; i++)
		if (m->mapped[i].sentinel == sentinel)
			return m->mapped[i].port;
	return 0;
}

void port_map_set_sentinel_port(struct port_map *m, uint16_t sentinel, uint16_t port)
{
	for (unsigned i = 0; i < EPR_MAX_SENTINELS; i++) {
		if (m->mapped[i].sentinel == 0 || m->mapped[i].sentinel == sentinel) {
			m->mapped[i].sentinel = sentinel;
			m->mapped[i].port = port;
			break;
		}
	}
	__atomic_store_n(&m->rewritten, 1, __ATOMIC_RELEASE);
}

void port_map_remember_zero(struct port_map *m, uint16_t port)
{
	m->zero[m->zero_next++ % PORT_MAP_ZERO_SLOTS] = port;
	/* atomic: port_map_zero_port reads the bits without the lock */
	__atomic_fetch_or(&m->zero_bits[port / 64], UINT64_C(1) << (port % 64), __ATOMIC_RELAXED);
	__atomic_store_n(&m->rewritten, 1, __ATOMIC_RELEASE);
}

int port_map_zero_port(const struct port_map *m, uint16_t port)
{
	return port && (__atomic_load_n(&m->zero_bits[port / 64], __ATOMIC_RELAXED) >> (port % 64)) & 1;
}

int port_map_find(const struct port_map *m, uint16_t port, uint16_t *sentinel)
{
	for (unsigned i = 0; i < EPR_MAX_SENTINELS && m->mapped[i].sentinel; i++) {
		if (m->mapped[i].port == port) {
			*sentinel = m->mapped[i].sentinel;
			return 1;
		}
	}
	if (port_map_zero_port(m, port)) {
		*sentinel = 0;
		return 1;
	}
	return 0;
}

int port_map_exported(const struct port_map *m, uint16_t port)
{
	for (unsigned i = 0; i < EPR_MAX_EXPORTS; i++)
		if (port && m->exported[i] == port)
			return 1;
	return 0;
}

void port_map_set_exported(struct port_map *m, uint16_t port)
{
	m->exported[m->exported_next++ % EPR_MAX_EXPORTS] = port;
}

void port_map_clear_exported(struct port_map *m, uint16_t port)
{
	for (unsigned i = 0; i < EPR_MAX_EXPORTS; i++)
		if (m->exported[i] == port)
			m->exported[i] = 0;
}

int port_map_any_rewrite(const struct port_map *m)
{
	return __atomic_load_n(&m->rewritten, __ATOMIC_ACQUIRE);
}
