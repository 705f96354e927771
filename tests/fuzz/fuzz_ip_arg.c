/* libFuzzer: epr reserve's IP argument (ip_arg_parse) on arbitrary bytes. What it accepts
 * must be a whole sockaddr of the right length and family, carry the port, and name an
 * address that prints and parses back to itself. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ip_arg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sockaddr_storage addr, again;
	char text[256], printed[INET6_ADDRSTRLEN + 2];
	uint16_t port;
	socklen_t len;

	if (size < 2 || size - 2 >= sizeof(text))
		return 0;
	port = (uint16_t)(data[0] << 8 | data[1]);
	memcpy(text, data + 2, size - 2);
	text[size - 2] = '\0';

	len = ip_arg_parse(text, port, &addr);
	if (len == 0)
		return 0;
	if (addr.ss_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)&addr;
		if (len != sizeof(*in) || ntohs(in->sin_port) != port)
			abort();
		inet_ntop(AF_INET, &in->sin_addr, printed, sizeof(printed));
	} else if (addr.ss_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)&addr;
		if (len != sizeof(*in6) || ntohs(in6->sin6_port) != port || in6->sin6_scope_id)
			abort();
		inet_ntop(AF_INET6, &in6->sin6_addr, printed, sizeof(printed));
	} else {
		abort();
	}
	if (ip_arg_parse(printed, port, &again) != len || memcmp(&again, &addr, len) != 0)
		abort(); /* what it accepted prints and parses back to the same address */
	return 0;
}
