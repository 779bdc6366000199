from reg_eval.cli import main

main()
