# What is served: the lookups and STATUS, the mapped snapshot, cache verify.
provd_sources(
  lookup.c status.c         # PW_*, GR_*, INITGROUPS; STATUS
  cache_verify.c            # provctl cache verify, provd --verify-cache
  mapwrite.c mappublish.c   # the lookup snapshot nss_prov maps, and when
)
