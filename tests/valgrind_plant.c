/* A Criterion test with a planted out-of-bounds read, for the
 * valgrind/catches-a-planted-error test: scripts/valgrind-unit.sh must
 * report it, though Criterion itself counts the test as passed. */
#include <criterion/criterion.h>
#include <stdlib.h>

Test(plant, reads_past_a_block)
{
	char *p = calloc(1, 4);
	volatile size_t past = 6; /* opaque to the compiler's bounds check */
	volatile char c;

	cr_assert_not_null(p);
	c = p[past];
	(void)c;
	free(p);
}
