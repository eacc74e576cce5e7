/* SPDX-License-Identifier: MIT */
#include <criterion/criterion.h>
#include <errno.h>

#include "loop/budget.h"

Test(budget, one_uid_is_capped_others_are_not)
{
	struct budget b;
	unsigned i;

	budget_init(&b, 3);
	for (i = 0; i < 3; i++)
		cr_assert_eq(budget_take(&b, 65534), 0);
	cr_assert_eq(budget_take(&b, 65534), -EUSERS);
	cr_assert_eq(budget_held(&b, 65534), 3, "a refusal counts nothing");
	cr_assert_eq(budget_take(&b, 1000), 0, "another uid has its own budget");
	budget_put(&b, 65534);
	cr_assert_eq(budget_take(&b, 65534), 0, "a connection that left frees its place");
	budget_free(&b);
}

Test(budget, put_of_unknown_uid_is_harmless)
{
	struct budget b;

	budget_init(&b, 2);
	budget_put(&b, 42);
	cr_assert_eq(budget_held(&b, 42), 0);
	cr_assert_eq(budget_take(&b, 42), 0);
	budget_put(&b, 42);
	budget_put(&b, 42);
	cr_assert_eq(budget_held(&b, 42), 0);
	budget_free(&b);
}

Test(budget, many_uids)
{
	struct budget b;
	unsigned i;

	budget_init(&b, 1);
	for (i = 0; i < 1000; i++)
		cr_assert_eq(budget_take(&b, 2000 + i), 0);
	for (i = 0; i < 1000; i++)
		cr_assert_eq(budget_take(&b, 2000 + i), -EUSERS);
	for (i = 0; i < 1000; i += 2)
		budget_put(&b, 2000 + i);
	for (i = 0; i < 1000; i++)
		cr_assert_eq(budget_held(&b, 2000 + i), i % 2 ? 1u : 0u);
	budget_free(&b);
}
