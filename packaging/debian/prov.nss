# Right after "files": local accounts always win, and prov answers before
# slower sources. Never shadow: prov users have no passwords.
passwd after=files prov
group after=files prov
