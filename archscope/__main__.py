from archscope.cli import main

main()
