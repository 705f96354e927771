/* Parsing epr reserve's IP argument. */
#include "ip_arg.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

socklen_t ip_arg_parse(const char *text, uint16_t port, struct sockaddr_storage *addr)
{
	struct sockaddr_in *in4 = (struct sockaddr_in *)addr;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)addr;
	char bare[INET6_ADDRSTRLEN];
	size_t len = strlen(text);

	memset(addr, 0, sizeof *addr);
	/* The classic tool resolves names; "localhost" is the one its users pass. */
	if (strcmp(text, "localhost") == 0)
		text = "127.0.0.1";
	if (inet_pton(AF_INET, text, &in4->sin_addr) == 1) {
		in4->sin_family = AF_INET;
		in4->sin_port = htons(port);
		return sizeof *in4;
	}
	if (len >= 2 && text[0] == '[' && text[len - 1] == ']' && len - 2 < sizeof bare) {
		memcpy(bare, text + 1, len - 2);
		bare[len - 2] = '\0';
		text = bare;
	}
	if (inet_pton(AF_INET6, text, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(port);
		return sizeof *in6;
	}
	return 0;
}
