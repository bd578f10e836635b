"""The staff workspace: pages where municipal staff and coordinators keep the record (/<lang>/my/…)."""
