from leaksweep.cli.main import main

main()
