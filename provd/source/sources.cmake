# Pulling and parsing sources: file://, the embedded demo, HTTP(S) (the only
# curl file: fetch.c), documents (json-c: docparse.c), signatures, SCIM.
list(APPEND PROVD_CORE_SOURCES
  ${CMAKE_CURRENT_LIST_DIR}/source.c
  ${CMAKE_CURRENT_LIST_DIR}/source_read.c
  ${CMAKE_CURRENT_LIST_DIR}/demo.c
  ${CMAKE_CURRENT_LIST_DIR}/fetch.c
  ${CMAKE_CURRENT_LIST_DIR}/token.c
  ${CMAKE_CURRENT_LIST_DIR}/docparse.c
  ${CMAKE_CURRENT_LIST_DIR}/docfield.c
  ${CMAKE_CURRENT_LIST_DIR}/docscan.c
  ${CMAKE_CURRENT_LIST_DIR}/docsig.c
  ${CMAKE_CURRENT_LIST_DIR}/docsig_fetch.c
  ${CMAKE_CURRENT_LIST_DIR}/docwrite.c
  ${CMAKE_CURRENT_LIST_DIR}/scim.c
  ${CMAKE_CURRENT_LIST_DIR}/scim_fields.c
  ${CMAKE_CURRENT_LIST_DIR}/scim_build.c
  ${CMAKE_CURRENT_LIST_DIR}/scim_service.c
  ${CMAKE_CURRENT_LIST_DIR}/scimattr.c
  ${CMAKE_CURRENT_LIST_DIR}/scimupg.c
  ${CMAKE_CURRENT_LIST_DIR}/scimpull.c
  ${CMAKE_CURRENT_LIST_DIR}/idmap.c
)
