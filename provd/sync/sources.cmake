# The central sync: when to pull, one pull on a worker thread, what changes.
list(APPEND PROVD_CORE_SOURCES
  ${CMAKE_CURRENT_LIST_DIR}/backoff.c
  ${CMAKE_CURRENT_LIST_DIR}/syncplan.c
  ${CMAKE_CURRENT_LIST_DIR}/syncjob.c
  ${CMAKE_CURRENT_LIST_DIR}/synclog.c
  ${CMAKE_CURRENT_LIST_DIR}/sync.c
  ${CMAKE_CURRENT_LIST_DIR}/syncresult.c
  ${CMAKE_CURRENT_LIST_DIR}/syncrefresh.c
)
