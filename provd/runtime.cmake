# The daemon's runtime: config, logging, the on-disk cache, the directory
# source (file:// and the embedded demo), daemon state, dispatch, the loop.
list(APPEND PROVD_CORE_SOURCES
  ${CMAKE_CURRENT_LIST_DIR}/config.c
  ${CMAKE_CURRENT_LIST_DIR}/log.c
  ${CMAKE_CURRENT_LIST_DIR}/cache.c
  ${CMAKE_CURRENT_LIST_DIR}/faultpoint.c     # test builds: stop at a named point (crash tests)
  ${CMAKE_CURRENT_LIST_DIR}/cache_verify.c   # provctl cache verify, provd --verify-cache
  ${CMAKE_CURRENT_LIST_DIR}/source.c
  ${CMAKE_CURRENT_LIST_DIR}/state.c
  ${CMAKE_CURRENT_LIST_DIR}/dispatch.c
  ${CMAKE_CURRENT_LIST_DIR}/listen.c
  ${CMAKE_CURRENT_LIST_DIR}/server.c
  ${CMAKE_CURRENT_LIST_DIR}/budget.c      # connections per peer uid
  ${CMAKE_CURRENT_LIST_DIR}/ratelimit.c   # audit lines per peer uid
  ${CMAKE_CURRENT_LIST_DIR}/worker.c      # slow work off the loop (homes)
  ${CMAKE_CURRENT_LIST_DIR}/mapwrite.c     # the lookup snapshot nss_prov maps
  ${CMAKE_CURRENT_LIST_DIR}/mappublish.c   # when it is published, its status
)

# DESIGN invariant 9: provd never resolves a name through NSS (it would ask
# itself through nss_prov). Its binary must not even reference the calls.
if(BUILD_TESTING)
  add_test(NAME provd/no-nss-lookups
    COMMAND sh -c "! nm -D -u \"$1\" | grep -E ' U (getpw|getgrnam|getgrgid|getgrent|getgrouplist|getsp|initgroups|getlogin|cuserid)'" sh $<TARGET_FILE:provd>)
  set_tests_properties(provd/no-nss-lookups PROPERTIES LABELS unit)
endif()
