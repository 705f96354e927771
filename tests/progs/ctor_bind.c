/* Prints the port that libctor_bind.so's constructor listened on. */
#include <stdio.h>

extern int ctor_port;

int main(void)
{
	printf("CTOR %d\n", ctor_port);
	return ctor_port > 0 ? 0 : 1;
}
