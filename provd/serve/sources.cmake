# What is served: the lookups and STATUS, the mapped snapshot, cache verify.
list(APPEND PROVD_CORE_SOURCES
  ${CMAKE_CURRENT_LIST_DIR}/lookup.c         # PW_*, GR_*, INITGROUPS
  ${CMAKE_CURRENT_LIST_DIR}/status.c         # STATUS
  ${CMAKE_CURRENT_LIST_DIR}/cache_verify.c   # provctl cache verify, provd --verify-cache
  ${CMAKE_CURRENT_LIST_DIR}/mapwrite.c       # the lookup snapshot nss_prov maps
  ${CMAKE_CURRENT_LIST_DIR}/mappublish.c     # when it is published, its status
)
