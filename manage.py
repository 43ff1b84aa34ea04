#!/usr/bin/env python
"""Django's command-line utility; `sunlit` is the same with the settings preset."""

from config.cli import main

if __name__ == "__main__":
    main()
