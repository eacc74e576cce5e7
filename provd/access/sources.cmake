# Access decisions, homes, sessions and the login path's requests.
list(APPEND PROVD_CORE_SOURCES
  ${CMAKE_CURRENT_LIST_DIR}/decision.c
  ${CMAKE_CURRENT_LIST_DIR}/homedir.c
  ${CMAKE_CURRENT_LIST_DIR}/homebase.c
  ${CMAKE_CURRENT_LIST_DIR}/login.c
  ${CMAKE_CURRENT_LIST_DIR}/login_handlers.c
  ${CMAKE_CURRENT_LIST_DIR}/sudogroup.c
  ${CMAKE_CURRENT_LIST_DIR}/derived.c     # the sudo group, once per snapshot
  ${CMAKE_CURRENT_LIST_DIR}/sessions.c
  ${CMAKE_CURRENT_LIST_DIR}/sessions_signal.c
  ${CMAKE_CURRENT_LIST_DIR}/session_worker.c
)
