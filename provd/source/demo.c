/* SPDX-License-Identifier: MIT */
/* The embedded demo directory document (demo.h). */
#include "source/demo.h"

/* Linker symbols around the embedded packaging/demo-directory.json
 * (provd/source/demo_blob.S.in). */
extern const char prov_demo_doc_start[], prov_demo_doc_end[];

const char *demo_document(size_t *ret_len)
{
	if (ret_len)
		*ret_len = (size_t)(prov_demo_doc_end - prov_demo_doc_start);
	return prov_demo_doc_start;
}
