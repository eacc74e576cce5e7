# The central sync (issue 3): fetching (the only curl file), SCIM, the
# id map, planning and applying a pull, and the driver in the event loop.
list(APPEND PROVD_CORE_SOURCES
  ${CMAKE_CURRENT_LIST_DIR}/backoff.c
  ${CMAKE_CURRENT_LIST_DIR}/idmap.c
  ${CMAKE_CURRENT_LIST_DIR}/fetch.c
  ${CMAKE_CURRENT_LIST_DIR}/scim.c
  ${CMAKE_CURRENT_LIST_DIR}/scimattr.c
  ${CMAKE_CURRENT_LIST_DIR}/scimupg.c
  ${CMAKE_CURRENT_LIST_DIR}/docwrite.c
  ${CMAKE_CURRENT_LIST_DIR}/syncplan.c
  ${CMAKE_CURRENT_LIST_DIR}/scimpull.c
  ${CMAKE_CURRENT_LIST_DIR}/token.c
  ${CMAKE_CURRENT_LIST_DIR}/syncstate.c
  ${CMAKE_CURRENT_LIST_DIR}/syncjob.c
  ${CMAKE_CURRENT_LIST_DIR}/synclog.c
  ${CMAKE_CURRENT_LIST_DIR}/sync.c
  ${CMAKE_CURRENT_LIST_DIR}/docsig.c
  ${CMAKE_CURRENT_LIST_DIR}/docsig_fetch.c
)
