# The login path (issue 4): access decisions, just-in-time homes, and the
# dispatch handlers for ACCESS_CHECK, SESSION_OPEN/CLOSE and SSH_KEYS.
list(APPEND PROVD_CORE_SOURCES
  ${CMAKE_CURRENT_LIST_DIR}/decision.c
  ${CMAKE_CURRENT_LIST_DIR}/homedir.c
  ${CMAKE_CURRENT_LIST_DIR}/login_handlers.c
)
