# Helpers every stage uses, knowing nothing of the data flow.
list(APPEND PROVD_CORE_SOURCES
  ${CMAKE_CURRENT_LIST_DIR}/errbuf.c
  ${CMAKE_CURRENT_LIST_DIR}/docsig_key.c    # key text forms (config.c checks trusted_keys with it)
  ${CMAKE_CURRENT_LIST_DIR}/log.c
  ${CMAKE_CURRENT_LIST_DIR}/ratelimit.c
  ${CMAKE_CURRENT_LIST_DIR}/faultpoint.c     # test builds: stop at a named point (crash tests)
)
