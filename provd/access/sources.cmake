# Access decisions, homes, sessions and the login path's requests.
provd_sources(
  decision.c login.c
  login_handlers.c                # ACCESS_CHECK, SESSION_*, SSH_KEYS
  homedir.c homebase.c            # just-in-time homes
  sudogroup.c derived.c           # the sudo group, once per snapshot
  sessions.c sessions_signal.c session_worker.c
)
