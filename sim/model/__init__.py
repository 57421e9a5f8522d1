"""What the model is, with no I/O: random numbers, rules, policies, ledger, the step order."""
