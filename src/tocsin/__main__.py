from tocsin.launcher import main

main()
