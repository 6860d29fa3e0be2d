from corpusctl.cli import main

main()
