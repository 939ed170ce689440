from xlkpi.cli import main

if __name__ == "__main__":  # worker processes started by "spawn" import this module again: run once
    main()
