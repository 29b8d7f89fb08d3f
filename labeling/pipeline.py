"""The scoring pipeline a worker runs for one submission: claim, sandbox, trusted read, store."""
