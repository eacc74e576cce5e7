# Admission: the host's own accounts, what was served before, the id
# ledger, the rules; document bytes to a snapshot ready to serve.
list(APPEND PROVD_CORE_SOURCES
  ${CMAKE_CURRENT_LIST_DIR}/localdb.c
  ${CMAKE_CURRENT_LIST_DIR}/prior.c
  ${CMAKE_CURRENT_LIST_DIR}/idledger.c
  ${CMAKE_CURRENT_LIST_DIR}/sshkey.c
  ${CMAKE_CURRENT_LIST_DIR}/admit.c
  ${CMAKE_CURRENT_LIST_DIR}/admit_rules.c
  ${CMAKE_CURRENT_LIST_DIR}/admit_collide.c
  ${CMAKE_CURRENT_LIST_DIR}/admit_fix.c
  ${CMAKE_CURRENT_LIST_DIR}/snapshot.c
)
