/* A dynamic program with no Go build-id note but a section named .go.buildinfo, as a Go
 * program whose note was stripped keeps: epr must classify it as Go (tests/unit/test_elf_check.c). */
__attribute__((used, section(".go.buildinfo"))) static const char info[] = "\xff Go buildinf:";

int main(void)
{
	return 0;
}
