from .units import main

main()
