import sys

from reliability.suite import main

sys.exit(main())
