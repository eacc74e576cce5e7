# Admission: the host's own accounts, what was served before, the id
# ledger, the rules; document bytes to a snapshot ready to serve.
provd_sources(
  localdb.c prior.c idledger.c
  admit.c admit_rules.c admit_collide.c admit_fix.c sshkey.c
  snapshot.c   # bytes -> parsed, admitted, indexed
)
