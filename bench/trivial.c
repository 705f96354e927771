/* The smallest dynamically linked program: what loading libepr.so adds to it is the load cost. */
int main(void)
{
	return 0;
}
