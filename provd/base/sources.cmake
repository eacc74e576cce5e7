# Helpers every stage uses, knowing nothing of the data flow.
provd_sources(
  errbuf.c log.c ratelimit.c
  statefile.c    # a state file replaced whole: temp, fsync, rename, fsync of the dir
  docsig_key.c   # key text forms (config.c checks trusted_keys with it)
  faultpoint.c   # test builds: stop at a named point (crash tests)
)
