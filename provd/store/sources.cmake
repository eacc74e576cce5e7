# The on-disk cache, the sync state, the removed users and the served state.
list(APPEND PROVD_CORE_SOURCES
  ${CMAKE_CURRENT_LIST_DIR}/cache.c
  ${CMAKE_CURRENT_LIST_DIR}/syncstate.c
  ${CMAKE_CURRENT_LIST_DIR}/removed.c
  ${CMAKE_CURRENT_LIST_DIR}/state.c
)
