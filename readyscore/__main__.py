from readyscore.cli import main

main()
