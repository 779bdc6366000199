"""`python -m reg_eval`: the same command line as `reg-eval`."""

from reg_eval.cli import main

main()
