# Pulling and parsing sources: file://, the embedded demo, HTTP(S) (the only
# curl file: fetch.c), documents (json-c: docparse.c), signatures, SCIM.
provd_sources(
  source.c source_read.c demo.c   # which source, a local file, the demo
  fetch.c token.c                  # HTTP(S) GET with its bearer token
  docparse.c docfield.c docscan.c  # the JSON document into a raw snapshot
  docsig.c docsig_fetch.c          # detached signatures
  docwrite.c                       # a snapshot back into a document
  scim.c scim_fields.c scim_build.c scim_service.c scimattr.c scimupg.c scimpull.c
  idmap.c                          # uids and gids for entries without one
)
